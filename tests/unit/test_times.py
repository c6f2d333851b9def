"""incident/times.py: the rules a time given by hand must meet, as the domain applies them (the
cockpit will call the same), and the actions that take such a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.errors import AlreadyDone, DomainRefused, InputError, TimeRefused
from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import find_check, runbook_checks, set_tick
from stratus_commander.incident.times import declaration_times
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SqliteStore

RUNBOOK = load_runbook()
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def t(hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, 11, 27, hour, minute, tzinfo=UTC)


@pytest.fixture
def inc() -> Incidents:
    incidents = Incidents(SqliteStore.memory(), FakeClock(NOW), actor="alice")
    incidents.declare("API down", "Critical", detected_at=t("14:30"), declared_at=t("14:33"))
    return incidents


def refused(inc: Incidents, action, *args, **kwargs) -> TimeRefused:  # type: ignore[no-untyped-def]
    count = len(inc.events(1))
    with pytest.raises(TimeRefused) as caught:
        action(*args, **kwargs)
    assert len(inc.events(1)) == count  # nothing written
    return caught.value


def test_declared_and_detected_times(inc: Incidents) -> None:
    incident = inc.get(1)
    assert (incident.detected_at, incident.declared_at) == (t("14:30"), t("14:33"))
    event = inc.events(1)[0]
    assert event.at == t("14:33") and event.data["entered_at"] == "2026-11-28T09:00:00.000Z"
    assert declaration_times(None, None, NOW) == (NOW, NOW)
    assert declaration_times(None, t("14:33"), NOW) == (t("14:33"), t("14:33"))  # detected then
    with pytest.raises(TimeRefused) as caught:
        declaration_times(t("14:40"), t("14:33"), NOW)
    assert caught.value.where == "at" and "the declaration at" in str(caught.value)
    # Declared now, a detection inside the clock-skew allowance stands (the review flags it).
    skewed = NOW + timedelta(seconds=30)
    assert declaration_times(skewed, None, NOW) == (skewed, NOW)
    with pytest.raises(InputError, match=r"^detected at: .* is in the future"):
        declaration_times(NOW + timedelta(minutes=2), None, NOW)
    with pytest.raises(InputError, match=r"at: .* is in the future"):
        declaration_times(None, NOW + timedelta(hours=1), NOW)


def test_milestones_take_their_real_times(inc: Incidents) -> None:
    inc.escalate(1, ["CTO", " CTO ", "Head of Engineering"], "paged", at=t("14:36"))
    inc.decide(1, "internal", "pool", at=t("14:40"))
    inc.send_update(1, "Investigating", "status_page", at=t("14:45"))
    inc.send_update(1, "Update", at=t("15:10"))
    inc.set_status(1, "monitoring", at=t("15:50"))
    event = inc.resolve(1, "rolled back", at=t("16:10"))
    assert event.text == "Status: monitoring → resolved — rolled back"
    i = inc.get(1)
    assert (i.escalated_at, i.triaged_at, i.first_update_at, i.last_update_at) == (
        t("14:36"),
        t("14:40"),
        t("14:45"),
        t("15:10"),
    )
    assert (i.mitigated_at, i.resolved_at) == (t("15:50"), t("16:10"))
    escalated = inc.events(1, {"escalated"})[0]
    assert escalated.text == "Escalated to CTO, Head of Engineering (paged)"
    assert escalated.data["to"] == ["CTO", "Head of Engineering"]
    assert {e.actor for e in inc.events(1)} == {"alice"}
    assert inc.verify_projection(1) == []  # the record is what the timeline says


@pytest.mark.parametrize(
    ("act", "says"),
    [
        (lambda i: i.note(1, "x", at=t("14:29")), "the note at 2026-11-27T14:29:00.000Z is "
         "before the incident's detection at 2026-11-27T14:30:00.000Z"),
        (lambda i: i.resolve(1, at=t("14:31")), "the resolution at 2026-11-27T14:31:00.000Z is "
         "before the declaration at 2026-11-27T14:33:00.000Z"),
        (lambda i: i.decide(1, "unknown", at=NOW + timedelta(minutes=2)),
         "the triage decision at 2026-11-28T09:02:00.000Z is in the future: it is now "
         "2026-11-28T09:00:00.000Z"),
    ],
)  # fmt: skip
def test_the_three_rules_in_utc(inc: Incidents, act, says: str) -> None:  # type: ignore[no-untyped-def]
    assert str(refused(inc, act, inc)) == f"at: {says}"


def test_a_minute_of_clock_skew_is_allowed(inc: Incidents) -> None:
    assert inc.note(1, "x", at=NOW + timedelta(seconds=59)).at == NOW + timedelta(seconds=59)


def test_each_milestone_follows_the_one_before_it(inc: Incidents) -> None:
    inc.set_status(1, "identified", at=t("15:00"))
    err = refused(inc, inc.resolve, 1, at=t("14:50"))
    assert err.rule == "is before the previous status change (to identified) at"
    assert err.bound == t("15:00")
    inc.decide(1, "external", at=t("14:40"))
    assert "previous triage decision" in str(refused(inc, inc.decide, 1, "internal", at=t("14:39")))
    inc.send_update(1, "one", at=t("14:45"))
    assert "previous status update" in str(refused(inc, inc.send_update, 1, "two", at=t("14:44")))
    inc.escalate(1, ["CTO"], at=t("14:36"))
    assert "previous escalation" in str(refused(inc, inc.escalate, 1, ["CEO"], at=t("14:35")))
    check = find_check(RUNBOOK, "restart-database")
    set_tick(inc, 1, check.group, check.item, True, at=t("15:05"))
    err = refused(inc, set_tick, inc, 1, check.group, check.item, False, at=t("15:04"))
    assert str(err).endswith("is before this check's previous tick at 2026-11-27T15:05:00.000Z")
    other = find_check(RUNBOOK, "mitigation.database.pool-status")
    set_tick(inc, 1, other.group, other.item, True, at=t("14:50"))  # another check: its own
    # A note depends on the declaration only.
    assert inc.note(1, "remembered later", at=t("14:34")).at == t("14:34")


def test_describe_shows_both_times_as_the_caller_shows_times(inc: Incidents) -> None:
    err = refused(inc, inc.resolve, 1, at=t("14:31"))
    assert err.describe(lambda dt: dt.strftime("%H:%M")) == (
        "the resolution at 14:31 is before the declaration at 14:33"
    )


def test_a_naive_time_is_refused(inc: Incidents) -> None:
    with pytest.raises(InputError, match=r"^at: naive datetime"):
        inc.note(1, "x", at=datetime(2026, 11, 27, 15, 0))


def test_ticking_twice_is_answered_and_unticking_what_was_never_ticked_refused(
    inc: Incidents,
) -> None:
    check = find_check(RUNBOOK, "communicate.open-admin-panel")
    assert check.group == "status_page" and check.checklist == "status page"
    with pytest.raises(DomainRefused, match=r"“Go to admin panel” is not ticked"):
        set_tick(inc, 1, check.group, check.item, False)
    set_tick(inc, 1, check.group, check.item, True)
    count = len(inc.events(1))
    with pytest.raises(AlreadyDone, match=r"“Go to admin panel” was already ticked by the inc"):
        set_tick(inc, 1, check.group, check.item, True)
    set_tick(inc, 1, check.group, check.item, False)
    with pytest.raises(AlreadyDone, match=r"was already unticked by"):
        set_tick(inc, 1, check.group, check.item, False)
    assert len(inc.events(1)) == count + 1  # the answers recorded nothing


def test_update_and_escalation_values_are_checked(inc: Incidents) -> None:
    with pytest.raises(InputError, match=r"^text: must not be empty"):
        inc.send_update(1, "  \n")
    with pytest.raises(InputError, match=r"^channel: 'fax' is not one of"):
        inc.send_update(1, "x", "fax")
    with pytest.raises(InputError, match=r"^to: whom"):
        inc.escalate(1, [" "])
    with pytest.raises(InputError, match=r"^how: 'shouted' is not one of paged, called, messaged"):
        inc.escalate(1, ["CTO"], "shouted")
    # The cockpit's own values come through as it sent them.
    event = inc.send_update(1, "Investigating", "slack", "investigating", "markdown")
    assert dict(event.data) == {
        "channel": "slack",
        "template": "investigating",
        "format": "markdown",
    }


def test_check_ids_name_every_hand_ticked_item_once() -> None:
    checks = runbook_checks(RUNBOOK)
    assert "triage.api.api-logs" in checks  # a manual triage item
    assert "triage.api.api-health-endpoint" not in checks  # answered by the probes
    assert checks["mitigation.database.restart-database"].group == "mitigate:database"
    assert checks["playbooks.high-error-rates.scale-up"].group == "playbook:high-error-rates"
    assert checks["triage.api.api-logs"].checklist == "triage: API Health"
    assert all(find_check(RUNBOOK, cid) == check for cid, check in checks.items())
    with pytest.raises(InputError, match=r"^CHECK: 'scale-up' is in more than one checklist"):
        find_check(RUNBOOK, "scale-up")
    with pytest.raises(InputError, match=r"answered by the database probes"):
        find_check(RUNBOOK, "db-pool")
    with pytest.raises(InputError, match=r"did you mean mitigation\.api\.restart-app"):
        find_check(RUNBOOK, "restart")
