from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from stratus_commander.clock import to_iso
from stratus_commander.incident import Incident
from stratus_commander.incident.columns import time_columns
from stratus_commander.incident.deadlines import (
    CLOCK_FIELDS,
    STATES,
    ClockState,
    clock_states,
    clocks,
    declare_clock,
    on_time,
)
from stratus_commander.runbook import load_runbook

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
RUNBOOK = load_runbook()


def _incident(**kw: object) -> Incident:
    base = Incident(
        id=1,
        title="t",
        scope=("API",),
        impact="Critical",
        affected_services=(),
        status="investigating",
        drill=False,
        detected_at=T0 - timedelta(minutes=2),
        declared_at=T0,
    )
    return replace(base, **kw)


def _by_id(incident: Incident, now: datetime) -> dict:
    return {r.id: r for r in clocks(incident, RUNBOOK, now)}


def test_all_six_clocks_in_runbook_order() -> None:
    readings = clocks(_incident(), RUNBOOK, T0)
    assert [r.id for r in readings] == [
        "declare",
        "triage",
        "communicate",
        "next_update",
        "escalate",
        "pir",
    ]


def test_triage_goes_pending_due_soon_overdue_met() -> None:
    incident = _incident()
    now = T0
    r = _by_id(incident, now)["triage"]
    assert (r.state, r.due_at, r.countdown()) == (
        ClockState.PENDING,
        T0 + timedelta(minutes=10),
        "10:00",
    )
    r = _by_id(incident, T0 + timedelta(minutes=8, seconds=1))["triage"]
    assert (r.state, r.countdown()) == (ClockState.DUE_SOON, "01:59")
    r = _by_id(incident, T0 + timedelta(minutes=11, seconds=5))["triage"]
    assert (r.state, r.countdown()) == (ClockState.OVERDUE, "+01:05")
    done = replace(incident, triaged_at=T0 + timedelta(minutes=12))
    r = _by_id(done, T0 + timedelta(minutes=30))["triage"]
    # Met after its deadline: LATE, never MET, and by how much.
    assert r.state == ClockState.LATE and r.met_late and r.done
    assert r.late_by == timedelta(minutes=2)
    assert r.countdown() == "+02:00"  # frozen at how late it was met
    on_time_ = replace(incident, triaged_at=T0 + timedelta(minutes=9))
    r = _by_id(on_time_, T0 + timedelta(minutes=30))["triage"]
    assert (r.state, r.late_by) == (ClockState.MET, None)


def test_declare_clock_is_met_by_the_declaration_and_measured_from_detection() -> None:
    r = _by_id(_incident(), T0)["declare"]
    assert r.state == ClockState.MET
    assert r.due_at == T0 + timedelta(minutes=3)
    assert not r.met_late


def test_escalation_depends_on_impact() -> None:
    for impact, minutes in (("Critical", 5), ("Major", 15), ("Minor", 60)):
        r = _by_id(_incident(impact=impact), T0)["escalate"]
        assert r.due_at == T0 + timedelta(minutes=minutes), impact


def test_next_update_waits_for_the_first_update_then_recurs() -> None:
    incident = _incident()
    assert _by_id(incident, T0)["next_update"].state == ClockState.WAITING
    sent = replace(
        incident,
        first_update_at=T0 + timedelta(minutes=5),
        last_update_at=T0 + timedelta(minutes=40),
    )
    r = _by_id(sent, T0 + timedelta(minutes=50))["next_update"]
    assert r.due_at == T0 + timedelta(minutes=70)
    assert r.state == ClockState.PENDING
    resolved = replace(sent, resolved_at=T0 + timedelta(minutes=60), status="resolved")
    assert _by_id(resolved, T0 + timedelta(hours=5))["next_update"].state == ClockState.MET
    # Resolved 55 minutes after the next update was due: the cadence was kept LATE.
    late = replace(sent, resolved_at=T0 + timedelta(minutes=125), status="resolved")
    r = _by_id(late, T0 + timedelta(hours=5))["next_update"]
    assert (r.state, r.late_by) == (ClockState.LATE, timedelta(minutes=55))


def test_a_score_counts_late_as_missed() -> None:
    incident = _incident()
    late = replace(incident, triaged_at=T0 + timedelta(minutes=12))
    readings = list(_by_id(late, T0 + timedelta(minutes=12)).values())
    states = {r.id: r.state for r in readings}
    assert states["declare"] == ClockState.MET and states["triage"] == ClockState.LATE
    met, scored = on_time(readings)
    # declare met; triage late; escalate (5 min, Critical) overdue; communicate (15) pending.
    assert (met, scored) == (1, 3)


def test_review_clock_starts_at_resolution() -> None:
    assert _by_id(_incident(), T0)["pir"].state == ClockState.WAITING
    resolved = replace(_incident(), resolved_at=T0 + timedelta(hours=1), status="resolved")
    r = _by_id(resolved, T0 + timedelta(hours=50))["pir"]
    assert r.due_at == T0 + timedelta(hours=49)
    assert r.state == ClockState.OVERDUE
    assert r.countdown() == "+1:00:00"


@pytest.mark.parametrize("minutes", [0, 4, 6])
def test_restart_reads_the_same_clocks(minutes: int) -> None:
    # Nothing is remembered between calls: the same stored times and now give the same clocks.
    now = T0 + timedelta(minutes=minutes)
    assert clocks(_incident(), RUNBOOK, now) == clocks(_incident(), RUNBOOK, now)


def test_declare_clock_before_any_incident() -> None:
    r = declare_clock(RUNBOOK, T0, T0 + timedelta(minutes=4))
    assert (r.state, r.countdown()) == (ClockState.DUE_SOON, "01:00")


def test_resolution_stops_the_milestones_it_left_unmet() -> None:
    resolved = replace(
        _incident(impact="Minor"),
        triaged_at=T0 + timedelta(minutes=3),
        resolved_at=T0 + timedelta(minutes=40),
        status="resolved",
    )
    later = T0 + timedelta(hours=30)
    r = _by_id(resolved, later)
    assert r["triage"].state == ClockState.MET
    # COMMUNICATE (15 min) was never sent: missed, frozen at resolution, not counting on.
    assert (r["communicate"].state, r["communicate"].countdown()) == (ClockState.MISSED, "+25:00")
    # ESCALATE (Minor: 1 h) had not come due when it was resolved.
    assert (r["escalate"].state, r["escalate"].countdown()) == (ClockState.NOT_NEEDED, "20:00")
    assert r["pir"].state == ClockState.PENDING  # the review clock runs on


def test_clock_states_are_the_readings_states_whatever_the_incident_and_time() -> None:
    """The insights count clock_states(), the screens show clocks(): the same states, for
    incidents at every stage, met on time, late or never, read before, at and after each
    deadline."""
    minute = timedelta(minutes=1)
    incidents = []
    for impact in ("Critical", "Major", "Minor"):
        for late in (0, 3, 20, 90):  # minutes each milestone comes after the declaration
            at = T0 + late * minute
            stages = [
                {},
                {"triaged_at": at},
                {"triaged_at": at, "first_update_at": at, "last_update_at": at},
                {"first_update_at": at, "last_update_at": at, "escalated_at": at},
                {"escalated_at": at, "resolved_at": at + 40 * minute, "status": "resolved"},
                {"triaged_at": at, "resolved_at": at, "status": "resolved",
                 "review_done_at": at + timedelta(hours=60)},
            ]  # fmt: skip
            incidents += [_incident(impact=impact, **stage) for stage in stages]
    times = time_columns(
        {name: [to_iso(at) if (at := getattr(i, name)) else None for i in incidents]
         for name in CLOCK_FIELDS}
    )  # fmt: skip
    for offset in (-1, 0, 4, 5, 6, 14, 16, 45, 60 * 24, 60 * 72):
        now = T0 + offset * minute
        expected = [[r.state for r in clocks(i, RUNBOOK, now)] for i in incidents]
        per_clock = clock_states(times, [i.impact for i in incidents], RUNBOOK, now)
        assert [[STATES[s[n]] for s in per_clock] for n in range(len(incidents))] == expected
