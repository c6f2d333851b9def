from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.clock import FakeClock, to_iso, to_ms
from stratus_commander.errors import DomainRefused, InputError
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import SampleRow, SqliteStore

T0 = datetime(2026, 11, 27, 9, 58, tzinfo=UTC)


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


@pytest.fixture
def inc() -> Incidents:
    return Incidents(SqliteStore.memory(), FakeClock(T0))


def advance(inc: Incidents, **kw: float) -> None:
    inc.clock.advance(**kw)  # type: ignore[attr-defined]


def worked_incident(inc: Incidents) -> int:
    """Detected 09:58, declared 10:01, triaged 10:06, update 10:10, monitoring 10:40,
    resolved 11:01."""
    advance(inc, minutes=3)
    iid = inc.declare("Payment API down", "Critical", ["API"], detected_at=T0).id
    advance(inc, minutes=5)
    inc.decide(iid, "internal", "own checks failing")
    advance(inc, minutes=4)
    inc.record(iid, "message_sent", "Investigating posted", {"channel": "status page"})
    advance(inc, minutes=30)
    inc.set_status(iid, "monitoring")
    advance(inc, minutes=21)
    inc.resolve(iid)
    return iid


def full_record(runbook: Runbook, **overrides: str) -> rv.CloseRecord:
    answers = {
        f"{s.id}.{i.id}": f"answer to {i.text}"
        for s in runbook.close.sections
        if s.id in rv.TEXT_SECTIONS
        for i in s.items
    }
    answers["root_cause_analysis.identify-root-cause"] = "Connection pool leak in payout worker"
    checklist = {
        f"{s.id}.{i.id}": "done"
        for s in runbook.close.sections
        if s.id not in rv.TEXT_SECTIONS
        for i in s.items
    }
    checklist["service_credits.calculate-credits"] = "not_needed"
    checklist.update(overrides)  # type: ignore[arg-type]
    return rv.CloseRecord(answers, checklist, "Rolled back to v2.31.4 and raised the pool limit")


# ---------------------------------------------------------------- close


def test_close_only_from_resolved(inc: Incidents, runbook: Runbook) -> None:
    iid = inc.declare("x", "Minor").id
    with pytest.raises(DomainRefused, match="investigating; only a resolved incident"):
        rv.close_incident(inc, runbook, iid, full_record(runbook))
    assert inc.get(iid).status == "investigating"


def test_close_refused_naming_every_gap(inc: Incidents, runbook: Runbook) -> None:
    iid = worked_incident(inc)
    record = full_record(runbook)
    answers = dict(record.answers)
    answers["root_cause_analysis.identify-root-cause"] = "  "
    checklist = dict(record.checklist)
    del checklist["fix_implementation.improve-alerting"]
    checklist["service_credits.calculate-credits"] = "done"  # but nothing was calculated
    gappy = rv.CloseRecord(answers, checklist, "")
    with pytest.raises(rv.CloseRefused) as info:
        rv.close_incident(inc, runbook, iid, gappy)
    assert info.value.missing == [
        "Root Cause Analysis: “Identify root cause” is empty",
        "Fix Implementation: “Improve alerting” not answered (done, not_needed or deferred)",
        "Fix applied is empty",
        "Service Credits: “Calculate based on actual uptime” is marked done but no credits "
        "were calculated (run `incidents credits`)",
    ]
    assert inc.get(iid).status == "resolved"
    assert rv.stored_close(inc.store, iid) is None  # nothing half-stored


def test_close_records_chained_event_and_renders_template(inc: Incidents, runbook: Runbook) -> None:
    iid = worked_incident(inc)
    record = full_record(runbook, **{"fix_implementation.update-runbook": "deferred"})
    record = rv.CloseRecord(
        record.answers,
        record.checklist,
        record.fix_applied,
        (("db-pool", "Alert on pool saturation above 80 %"),),
    )
    closed = rv.close_incident(inc, runbook, iid, record)
    incident = inc.get(iid)
    assert incident.status == "closed" and incident.closed_at == inc.clock.now()
    assert closed.event.kind == "closed"
    assert closed.event.data["checklist"]["fix_implementation.update-runbook"] == "deferred"
    assert closed.message == (
        "Incident resolved at 2026-11-27 11:01 UTC.\n\n"
        "Root Cause: Connection pool leak in payout worker\n"
        "Fix Applied: Rolled back to v2.31.4 and raised the pool limit\n"
        "Service Credits: None (not applicable to this incident)\n\n"
        "We apologize for any inconvenience caused.\n"
    )
    stored = rv.stored_close(inc.store, iid)
    assert stored is not None
    assert stored.learnings == (("triage.database.db-pool", "Alert on pool saturation above 80 %"),)
    assert inc.verify(iid).ok and inc.verify_projection(iid) == []
    assert rv.build_review(inc, runbook, iid).record_problems == ()
    with pytest.raises(DomainRefused, match="already closed"):
        rv.close_incident(inc, runbook, iid, record)


def test_close_message_quotes_credits(inc: Incidents, runbook: Runbook) -> None:
    # An earlier outage this month (862 minutes, probes running) plus this incident's 2 down
    # minutes: 864 of November's 43,200 minutes = 98.0 % → 25 % of GBP 500.00.
    earlier = to_ms(datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    inc.store.add_samples(
        SampleRow("api", "http", "api", earlier + m * 60_000, "down", None) for m in range(862)
    )
    inc.store.add_samples(
        SampleRow("api", "http", "api", to_ms(T0) + m * 60_000, "down" if m < 2 else "up", 9.0)
        for m in range(100)
    )
    iid = worked_incident(inc)
    acct = cr.Account(account_id="acme", name="Acme", monthly_fee=Decimal("500.00"), currency="GBP")
    report = cr.compute_credits(inc.store, inc.get(iid), [acct], runbook.sla.ladder, T0)
    cr.record_credits(inc, report)
    record = full_record(runbook, **{"service_credits.calculate-credits": "done"})
    message = rv.close_incident(inc, runbook, iid, record).message
    assert (
        "Service Credits: GBP 125.00 to 1 account (November 2026 uptime api 98.0000 %; SLA 99.9 %)"
        in message
    )


def test_close_message_and_review_show_each_month_of_an_outage_across_a_month_end(
    inc: Incidents, runbook: Runbook
) -> None:
    # 30 September 23:00 to 1 October 01:00 UTC, down throughout: 60 minutes in each month.
    start = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    inc.store.add_samples(
        SampleRow("api", "http", "api", to_ms(start) + m * 60_000, "down" if m < 120 else "up", 9.0)
        for m in range(180)
    )
    inc.clock.set(start)  # type: ignore[attr-defined]
    iid = inc.declare("Payment API down", "Major", ["API"], detected_at=start).id
    advance(inc, minutes=120)
    inc.resolve(iid)
    acct = cr.Account(account_id="acme", name="Acme", monthly_fee=Decimal("499.00"), currency="USD")
    credits = cr.compute_incident_credits(
        inc.store, inc.get(iid), [acct], runbook.sla.ladder, inc.clock.now()
    )
    cr.record_credits(inc, credits)
    review = rv.build_review(inc, runbook, iid)
    assert list(review.monthly_uptime) == ["2026-09", "2026-10"]
    assert [m["api"].down_minutes for m in review.monthly_uptime.values()] == [60, 60]
    assert review.record_problems == ()
    record = full_record(runbook, **{"service_credits.calculate-credits": "done"})
    message = rv.close_incident(inc, runbook, iid, record).message
    # 10 % of USD 499.00 in each month: 49.90 + 49.90.
    assert (
        "Service Credits: USD 99.80 to 1 account over 2 months: September 2026 USD 49.90 "
        "(uptime api 99.8611 %); October 2026 USD 49.90 (uptime api 99.8655 %); SLA 99.9 %"
    ) in message
    # One month's stored report edited behind the timeline's back is named.
    inc.store.conn.execute(
        "UPDATE credit_runs SET data = replace(data, '49.90', '4.99') "
        "WHERE incident_id = ? AND month = '2026-10'",
        [iid],
    )
    assert rv.build_review(inc, runbook, iid).record_problems == (
        "the stored credits for 2026-10 were edited after they were calculated",
    )


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ({"rca": {}}, "rca", "unknown key"),
        ({"root_cause_analysis": {"why": "x"}}, "root_cause_analysis.why", "not an item"),
        (
            {"fix_implementation": {"deploy-fix": "maybe"}},
            "fix_implementation.deploy-fix",
            "not one of done, not_needed, deferred",
        ),
        ({"fix_applied": 3}, "fix_applied", "must be text"),
        ({"learnings": [{"step": "x"}]}, "learnings[0]", "step and text"),
    ],
)
def test_close_file_errors_name_the_key(
    runbook: Runbook, data: dict, where: str, message: str
) -> None:
    with pytest.raises(InputError) as info:
        rv.close_record_from_mapping(runbook, data, "close.toml")
    assert info.value.where == f"close.toml: {where}"
    assert message in info.value.message


def test_close_file_states_are_forgiving_in_spelling(runbook: Runbook) -> None:
    record = rv.close_record_from_mapping(
        runbook,
        {"fix_implementation": {"deploy-fix": "Not needed", "update-runbook": "DONE"}},
        "close.toml",
    )
    assert record.checklist == {
        "fix_implementation.deploy-fix": "not_needed",
        "fix_implementation.update-runbook": "done",
    }


def test_unknown_learning_step_is_refused_before_closing(inc: Incidents, runbook: Runbook) -> None:
    iid = worked_incident(inc)
    record = full_record(runbook)
    record = rv.CloseRecord(
        record.answers, record.checklist, record.fix_applied, (("warp-drive", "x"),)
    )
    with pytest.raises(InputError, match="not a step of the runbook"):
        rv.close_incident(inc, runbook, iid, record)
    assert inc.get(iid).status == "resolved"


# ---------------------------------------------------------------- durations and order


def test_durations_with_definitions_and_targets(inc: Incidents, runbook: Runbook) -> None:
    # A probe flipped down 4 minutes before the commander noted the detection.
    inc.store.add_flip("api", "http", "api", to_ms(T0 - timedelta(minutes=4)), "up", "down", "")
    iid = worked_incident(inc)
    review = rv.build_review(inc, runbook, iid)
    got = {d.id: (d.as_json()["text"], d.met) for d in review.durations}
    assert got == {
        "detect": ("4\u00a0min", None),
        "declare": ("3\u00a0min", True),
        "triage": ("5\u00a0min", True),
        "first_update": ("9\u00a0min", True),
        "escalate": ("—", None),
        "mitigate": ("39\u00a0min", None),
        "resolve": ("1\u00a0h 3\u00a0min", None),
        "review": ("—", None),
    }
    assert all(d.definition for d in review.durations)
    assert review.order_problems == ()
    labels = [m.label for m in review.milestones]
    assert labels[:3] == ["First failing probe evidence", "Detected", "Declared"]
    assert "Status update sent: Investigating posted" in labels
    categories = {m.category for m in review.milestones}
    assert {"detection", "response", "communication", "mitigation", "resolution"} <= categories


def test_impossible_orders_are_flagged(inc: Incidents, runbook: Runbook) -> None:
    advance(inc, minutes=10)
    iid = inc.declare("odd", "Major", detected_at=T0).id
    # Someone corrects the detection time to after the declaration...
    inc.record(
        iid,
        "field_changed",
        "detected at corrected",
        {"field": "detected_at", "value": to_iso(T0 + timedelta(minutes=20))},
    )
    # ...and a laptop clock jumps back before the resolution is recorded.
    inc.clock.set(T0 + timedelta(minutes=5))  # type: ignore[attr-defined]
    inc.resolve(iid)
    review = rv.build_review(inc, runbook, iid)
    messages = [p.message for p in review.order_problems]
    assert any(m.startswith("detected after it was declared") for m in messages)
    assert any(m.startswith("resolved before it was detected") for m in messages)
    assert any(m.startswith("resolved before it was declared") for m in messages)
    assert any("event 3 (status_changed)" in m and "a clock went back" in m for m in messages)
    impossible = {d.id for d in review.durations if d.impossible}
    assert impossible == {"declare", "resolve"}


# ---------------------------------------------------------------- the PIR


def test_review_deadline_is_48h_after_resolution_and_goes_overdue(
    inc: Incidents, runbook: Runbook
) -> None:
    iid = worked_incident(inc)
    resolved_at = inc.get(iid).resolved_at
    assert resolved_at is not None
    review = rv.build_review(inc, runbook, iid)
    assert review.deadline == resolved_at + timedelta(hours=48)
    assert review.deadline_state == "pending"
    later = rv.build_review(inc, runbook, iid, now=resolved_at + timedelta(hours=49))
    assert later.deadline_state == "overdue"


def test_action_items_owner_deadline_overdue(inc: Incidents, runbook: Runbook) -> None:
    iid = worked_incident(inc)
    now = inc.clock.now()
    item = rv.add_action_item(
        inc,
        runbook,
        iid,
        "monitoring",
        "Alert on pool saturation",
        "alice",
        now + timedelta(days=1),
    )
    assert item.category == "monitoring-improvements"
    other = rv.add_action_item(inc, runbook, iid, "documentation-updates", "Runbook: pool checks")
    with pytest.raises(InputError, match="is not one of immediate-fixes"):
        rv.add_action_item(inc, runbook, iid, "vibes", "x")
    review = rv.build_review(inc, runbook, iid, now=now + timedelta(days=2))
    assert [i.id for i in review.overdue_items] == [item.id]
    assert review.follow_up.unassigned == 1 and review.follow_up.without_deadline == 1
    done = rv.update_action_item(inc, item.id, status="done")
    assert done.done_at == inc.clock.now()
    review = rv.build_review(inc, runbook, iid, now=now + timedelta(days=2))
    assert review.overdue_items == [] and review.follow_up.done == 1
    kinds = [e.data.get("action_item", {}).get("id") for e in inc.events(iid, {"review"})]
    assert kinds == [item.id, other.id, item.id]
    assert review.record_problems == ()


def test_complete_review_needs_everything_then_meets_the_clock(
    inc: Incidents, runbook: Runbook
) -> None:
    iid = worked_incident(inc)
    with pytest.raises(rv.ReviewRefused) as info:
        rv.complete_review(inc, runbook, iid)
    assert "the incident is resolved; close it first" in info.value.missing
    assert "Follow-up: review meeting not scheduled" in info.value.missing
    assert "Action items: none recorded" in info.value.missing
    rv.close_incident(inc, runbook, iid, full_record(runbook))
    rv.update_review(
        inc,
        runbook,
        iid,
        affected_users=1200,
        financial_impact="GBP 18,400 of bookings delayed",
        reputation="Two brokers escalated to account managers",
        meeting_at=inc.clock.now() + timedelta(days=1),
    )
    item = rv.add_action_item(inc, runbook, iid, "immediate", "Patch the payout worker leak")
    with pytest.raises(rv.ReviewRefused) as info:
        rv.complete_review(inc, runbook, iid)
    assert info.value.missing == [
        f"Action item #{item.id}: no owner",
        f"Action item #{item.id}: no deadline",
    ]
    rv.update_action_item(inc, item.id, owner="bob", deadline=inc.clock.now() + timedelta(days=3))
    advance(inc, hours=2)
    event = rv.complete_review(inc, runbook, iid)
    assert event.data["completed"] is True
    review = rv.build_review(inc, runbook, iid)
    assert review.incident.review_done_at == inc.clock.now()
    assert review.deadline_state == "done"
    assert review.rca[1] == ("why", "Why did it happen?", "Connection pool leak in payout worker")
    with pytest.raises(DomainRefused, match="review is complete"):
        rv.update_review(inc, runbook, iid, reputation="edited later")
    assert inc.verify(iid).ok and inc.verify_projection(iid) == []


def test_review_of_an_open_incident_is_refused(inc: Incidents, runbook: Runbook) -> None:
    iid = inc.declare("ongoing", "Minor").id
    with pytest.raises(DomainRefused, match="starts once it is resolved"):
        rv.update_review(inc, runbook, iid, affected_users=3)
    assert rv.build_review(inc, runbook, iid).deadline_state == "waiting"


def test_records_edited_outside_the_app_are_detected(inc: Incidents, runbook: Runbook) -> None:
    iid = worked_incident(inc)
    rv.close_incident(inc, runbook, iid, full_record(runbook))
    item = rv.add_action_item(inc, runbook, iid, "process", "Practise failover", "carol")
    inc.store.conn.execute("UPDATE reviews SET close = replace(close, 'pool leak', 'cosmic ray')")
    inc.store.conn.execute("UPDATE action_items SET owner = 'mallory' WHERE id = ?", [item.id])
    problems = rv.build_review(inc, runbook, iid).record_problems
    assert problems == (
        "the stored close record differs from the one the timeline recorded",
        f"action item #{item.id} differs from the timeline's record of it",
    )


# ---------------------------------------------------------------- the incident library


def test_search_finds_rca_action_items_and_lessons(inc: Incidents, runbook: Runbook) -> None:
    iid = worked_incident(inc)
    other = inc.declare("Unrelated webhook blip", "Minor").id
    record = full_record(runbook)
    answers = {**record.answers, "root_cause_analysis.contributing-factors": "Supavisor restart"}
    rv.close_incident(
        inc,
        runbook,
        iid,
        rv.CloseRecord(answers, record.checklist, record.fix_applied, (("db-pool", "Leaky"),)),
    )
    rv.add_action_item(inc, runbook, iid, "process", "Chaos drill quarterly")
    assert [i.id for i in inc.search("supavisor")] == [iid]
    assert [i.id for i in inc.search("payout worker")] == [iid]  # the root cause
    assert [i.id for i in inc.search("chaos drill")] == [iid]  # an action item
    assert [i.id for i in inc.search("webhook")] == [other]
    assert inc.search("mainframe") == []
