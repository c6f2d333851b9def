"""Which clock warnings are raised when, and the rail's urgency order (Qt-free)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.incident.alerts import AlertTracker, by_urgency
from stratus_commander.incident.deadlines import ClockState, clocks
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SqliteStore

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
RUNBOOK = load_runbook()


def _incidents() -> Incidents:
    return Incidents(SqliteStore.memory(), FakeClock(T0))


def test_each_transition_warns_once_per_deadline() -> None:
    inc = _incidents()
    incident = inc.declare("API down", "Minor")
    tracker = AlertTracker()
    seen = []
    for minute in (0, 7, 7.9, 8, 8.5, 9, 10, 10.5, 11):  # two minutes before: due soon
        readings = clocks(incident, RUNBOOK, T0 + timedelta(minutes=minute))
        seen += [(minute, a.clock_id, a.state) for a in tracker.update(readings)]
    assert seen == [
        (8, "triage", ClockState.DUE_SOON),
        (10.5, "triage", ClockState.OVERDUE),
    ]


def test_a_clock_first_seen_overdue_warns_as_overdue_only() -> None:
    incident = _incidents().declare("API down", "Critical")
    alerts = AlertTracker().update(clocks(incident, RUNBOOK, T0 + timedelta(hours=2)))
    assert {a.clock_id: a.state for a in alerts} == {
        "triage": ClockState.OVERDUE,
        "communicate": ClockState.OVERDUE,
        "escalate": ClockState.OVERDUE,
    }
    escalate = next(a for a in alerts if a.clock_id == "escalate")
    assert escalate.due_at == T0 + timedelta(minutes=5) and escalate.overdue
    assert escalate.action == "Escalate per the matrix"


def test_reset_forgets_what_was_raised() -> None:
    incident = _incidents().declare("API down", "Critical")
    tracker = AlertTracker()
    readings = clocks(incident, RUNBOOK, T0 + timedelta(minutes=6))
    assert tracker.update(readings)
    assert tracker.update(readings) == []
    tracker.reset()
    assert tracker.update(readings)


def test_urgency_order_overdue_due_soon_pending_waiting_met() -> None:
    inc = _incidents()
    incident = inc.declare("API down", "Critical")
    inc.clock.advance(minutes=9)  # escalate (5 min) overdue, triage due soon, communicate pending
    readings = clocks(inc.get(incident.id), RUNBOOK, inc.clock.now())
    order = [(r.id, r.state) for r in by_urgency(readings)]
    assert order == [
        ("escalate", ClockState.OVERDUE),
        ("triage", ClockState.DUE_SOON),
        ("communicate", ClockState.PENDING),
        ("next_update", ClockState.WAITING),
        ("pir", ClockState.WAITING),
        ("declare", ClockState.MET),
    ]
