"""Every runbook clock of an incident at a given ``now``: a pure function of stored times.

Phases overlap (triage and communication both run from the declaration), so each clock is a
milestone with a deadline, not a step of a state machine. A restart resumes exactly because nothing
here remembers anything: due = anchor + due_after, and the milestone's stored time says whether and
when it was met. A milestone met after its deadline is LATE, never MET: it is shown in its own
shape, word and colour and counts against the score (:func:`on_time`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from stratus_commander.incident import Incident
from stratus_commander.runbook import ClockDef, Runbook
from stratus_commander.timefmt import countdown

#: A clock turns "due soon" this long before its deadline (the cockpit warns then, too).
DUE_SOON = timedelta(minutes=2)


class ClockState(StrEnum):
    WAITING = "waiting"  # its anchor has not happened yet (e.g. the review before resolution)
    PENDING = "pending"
    DUE_SOON = "due soon"
    OVERDUE = "overdue"
    MET = "met"  # on time
    LATE = "late"  # met, after its deadline: never shown as met, never counted as met
    # The incident was resolved before this milestone was met: the clock stops there.
    MISSED = "missed"  # its deadline had passed
    NOT_NEEDED = "not needed"  # its deadline had not come


@dataclass(frozen=True, slots=True)
class ClockReading:
    id: str
    label: str
    state: ClockState
    anchor_at: datetime | None
    due_at: datetime | None
    remaining: timedelta | None  # negative once overdue; frozen at the met time when met
    met_at: datetime | None = None

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.due_at is not None and self.met_at > self.due_at

    @property
    def done(self) -> bool:
        """Met, on time or late: the clock no longer runs."""
        return self.state in (ClockState.MET, ClockState.LATE)

    @property
    def late_by(self) -> timedelta | None:
        """How long after its deadline a LATE clock was met (``None`` unless LATE)."""
        if self.state is not ClockState.LATE or self.met_at is None or self.due_at is None:
            return None
        return self.met_at - self.due_at

    def countdown(self) -> str:
        """``mm:ss`` left, ``+mm:ss`` overdue (hours shown as ``h:mm:ss``)."""
        return countdown(self.remaining)


def _anchor(incident: Incident, clock: ClockDef) -> datetime | None:
    return {
        "detected": incident.detected_at,
        "declared": incident.declared_at,
        "last_update": incident.last_update_at,
        "resolved": incident.resolved_at,
    }[clock.anchor]


def _met(incident: Incident, clock: ClockDef) -> datetime | None:
    if clock.id == "next_update":
        # The update cadence runs while unresolved; resolution ends it.
        return incident.resolved_at
    return {
        "declare": incident.declared_at,
        "triage": incident.triaged_at,
        "communicate": incident.first_update_at,
        "escalate": incident.escalated_at,
        "pir": incident.review_done_at,
    }[clock.id]


def reading(
    clock: ClockDef,
    anchor_at: datetime | None,
    met_at: datetime | None,
    due_after: timedelta,
    now: datetime,
) -> ClockReading:
    """One clock from its anchor, its met time and ``now``."""
    if anchor_at is None:
        return ClockReading(clock.id, clock.label, ClockState.WAITING, None, None, None)
    due = anchor_at + due_after
    if met_at is not None:
        state = ClockState.LATE if met_at > due else ClockState.MET
        return ClockReading(clock.id, clock.label, state, anchor_at, due, due - met_at, met_at)
    remaining = due - now
    if remaining < timedelta(0):
        state = ClockState.OVERDUE
    elif remaining <= DUE_SOON:
        state = ClockState.DUE_SOON
    else:
        state = ClockState.PENDING
    return ClockReading(clock.id, clock.label, state, anchor_at, due, remaining)


def clocks(incident: Incident, runbook: Runbook, now: datetime) -> list[ClockReading]:
    """Every clock of the runbook for ``incident`` at ``now``, in the runbook's order."""
    out = []
    for clock in runbook.clocks:
        # NEXT UPDATE waits for the first update (COMMUNICATE runs until then).
        due_after = clock.due_after_for(incident.impact)
        r = reading(clock, _anchor(incident, clock), _met(incident, clock), due_after, now)
        stopped = incident.resolved_at
        if stopped is not None and r.met_at is None and r.due_at is not None and clock.id != "pir":
            # Resolution ends every milestone but the review: freeze it instead of counting on.
            state = ClockState.MISSED if r.due_at < stopped else ClockState.NOT_NEEDED
            r = replace(r, state=state, remaining=r.due_at - stopped)
        out.append(r)
    return out


#: The states a score counts: the clock's deadline came (met on time or not), or it was met.
_SCORED = frozenset({ClockState.MET, ClockState.LATE, ClockState.MISSED, ClockState.OVERDUE})


def on_time(readings: Iterable[ClockReading]) -> tuple[int, int]:
    """``(met on time, scored)``: LATE, MISSED and OVERDUE clocks count against; clocks still
    running with time left, waiting or not needed are not scored."""
    scored = [r for r in readings if r.state in _SCORED]
    return sum(1 for r in scored if r.state is ClockState.MET), len(scored)


def declare_clock(runbook: Runbook, detected_at: datetime, now: datetime) -> ClockReading:
    """The DECLARE clock before an incident exists (a drill runs it from first failing evidence)."""
    clock = runbook.clock("declare")
    return reading(clock, detected_at, None, clock.due_after_for("Critical"), now)
