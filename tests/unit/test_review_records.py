"""The review's records read once, and the review computed in two parts: everything but the
measured uptime first, the uptime after (what the review desk shows first, and last)."""

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import SampleRow, SqliteStore, Store

T0 = datetime(2026, 11, 27, 9, 58, tzinfo=UTC)


class CountingStore:
    """A store that counts the calls made to it (and passes them on)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.store, name)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return value(*args, **kwargs)

        return counted


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


@pytest.fixture
def inc() -> Incidents:
    return Incidents(SqliteStore.memory(), FakeClock(T0))


def reviewed(inc: Incidents, runbook: Runbook) -> int:
    """An API outage seen by a probe, declared, resolved and closed, with an action item."""
    inc.store.add_samples(
        SampleRow("api", "http", "api", to_ms(T0) + m * 60_000, "down" if m < 30 else "up", 9.0)
        for m in range(90)
    )
    inc.clock.advance(minutes=3)  # type: ignore[attr-defined]
    iid = inc.declare("Payment API down", "Critical", ["API"], detected_at=T0).id
    inc.clock.advance(minutes=40)  # type: ignore[attr-defined]
    inc.resolve(iid)
    answers = {
        f"{s.id}.{i.id}": "written"
        for s in runbook.close.sections
        if s.id in rv.TEXT_SECTIONS
        for i in s.items
    }
    checklist: dict[str, rv.CheckState] = {
        f"{s.id}.{i.id}": "not_needed"
        for s in runbook.close.sections
        if s.id not in rv.TEXT_SECTIONS
        for i in s.items
    }
    rv.close_incident(inc, runbook, iid, rv.CloseRecord(answers, checklist, "Rolled back"))
    rv.add_action_item(inc, runbook, iid, "process", "Practise failover", "carol")
    rv.update_review(inc, runbook, iid, affected_users=12)
    return iid


def test_build_review_reads_each_stored_record_once(inc: Incidents, runbook: Runbook) -> None:
    iid = reviewed(inc, runbook)
    counting = CountingStore(inc.store)
    review = rv.build_review(Incidents(counting, inc.clock), runbook, iid)  # type: ignore[arg-type]
    for read in (
        "incident_row",
        "events",
        "timeline_head",
        "review_record",
        "action_item_rows",
        "credit_reports",
        "first_failing_flip",
    ):
        assert counting.calls[read] == 1, read
    assert review.chain.ok and review.record_problems == ()
    assert review.impact.affected_users == 12 and len(review.action_items) == 1


def test_the_review_without_uptime_measures_nothing_and_the_uptime_completes_it(
    inc: Incidents, runbook: Runbook
) -> None:
    iid = reviewed(inc, runbook)
    now = inc.clock.now()
    counting = CountingStore(inc.store)
    records = rv.load_records(Incidents(counting, inc.clock), iid)  # type: ignore[arg-type]
    assert rv.stored_uptime(records) is None  # no credits: the uptime must be measured
    first = rv.review_from(records, runbook, now, uptime=None)
    assert counting.calls["uptime_minutes"] == counting.calls["refresh_rollup"] == 0
    assert first.window_uptime == {} and first.monthly_uptime == {}

    uptime = rv.measure_review_uptime(counting, records.incident, now)  # type: ignore[arg-type]
    assert counting.calls["uptime_minutes"] > 0
    whole = rv.build_review(inc, runbook, iid, now)
    assert rv.with_uptime(first, uptime) == whole
    assert whole.window_uptime["api"].down_minutes == 30
    assert whole.monthly_uptime["2026-11"]["api"].down_minutes == 30
    # Everything but the uptime is there from the start.
    assert first.as_json() | {"uptime": None} == whole.as_json() | {"uptime": None}


def test_stored_credits_carry_their_uptime(inc: Incidents, runbook: Runbook) -> None:
    iid = reviewed(inc, runbook)
    account = cr.Account(
        account_id="acme", name="Acme", monthly_fee=Decimal("499.00"), currency="USD"
    )
    credits = cr.compute_incident_credits(
        inc.store, inc.get(iid), [account], runbook.sla.ladder, inc.clock.now()
    )
    cr.record_credits(inc, credits)
    # Samples stored later (a recorder catching up) do not change what was credited.
    inc.store.add_samples(
        SampleRow("api-2", "http", "api", to_ms(T0) + m * 60_000, "down", 9.0) for m in range(40)
    )
    records = rv.load_records(inc, iid)
    assert records.credits == cr.stored_credits(inc.store, iid)
    uptime = rv.stored_uptime(records)
    assert uptime is not None
    assert uptime != rv.measure_review_uptime(inc.store, records.incident, inc.clock.now())
    assert uptime.window == credits.reports[0].window_uptime
    assert uptime.months == {"2026-11": credits.reports[0].month_uptime}
    review = rv.build_review(inc, runbook, iid)
    assert (review.window_uptime, review.monthly_uptime) == (uptime.window, uptime.months)
