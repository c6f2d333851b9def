"""Every runbook clock of an incident at a given ``now``: a pure function of stored times.

Phases overlap (triage and communication both run from the declaration), so each clock is a
milestone with a deadline, not a step of a state machine. A restart resumes exactly because nothing
here remembers anything: due = anchor + due_after, and the milestone's stored time says whether and
when it was met. A milestone met after its deadline is LATE, never MET: it is shown in its own
shape, word and colour and counts against the score (:func:`on_time`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from stratus_commander.clock import to_ms
from stratus_commander.incident import Incident
from stratus_commander.runbook import IMPACTS, ClockDef, Runbook
from stratus_commander.timefmt import countdown

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

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


#: The incident's field each clock anchor names, and the field that says a clock was met (the
#: update cadence runs while unresolved: resolution ends it). Looked up by name, not built per
#: call: the library and the insights read the clocks of thousands of incidents at once.
_ANCHOR_FIELD = {
    "detected": "detected_at",
    "declared": "declared_at",
    "last_update": "last_update_at",
    "resolved": "resolved_at",
}
_MET_FIELD = {
    "declare": "declared_at",
    "triage": "triaged_at",
    "communicate": "first_update_at",
    "next_update": "resolved_at",
    "escalate": "escalated_at",
    "pir": "review_done_at",
}


def _state(
    due: datetime, met_at: datetime | None, now: datetime, stopped: datetime | None
) -> ClockState:
    """A clock's state once its anchor exists; ``stopped``: when the incident was resolved, for
    a clock that resolution ends (every one but the review)."""
    if met_at is not None:
        return ClockState.LATE if met_at > due else ClockState.MET
    if stopped is not None:  # resolved first: the clock stopped there, counting no further
        return ClockState.MISSED if due < stopped else ClockState.NOT_NEEDED
    remaining = due - now
    if remaining < timedelta(0):
        return ClockState.OVERDUE
    return ClockState.DUE_SOON if remaining <= DUE_SOON else ClockState.PENDING


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
    remaining = due - (met_at if met_at is not None else now)
    state = _state(due, met_at, now, None)
    return ClockReading(clock.id, clock.label, state, anchor_at, due, remaining, met_at)


def clocks(incident: Incident, runbook: Runbook, now: datetime) -> list[ClockReading]:
    """Every clock of the runbook for ``incident`` at ``now``, in the runbook's order."""
    out = []
    resolved = incident.resolved_at
    for clock in runbook.clocks:
        # NEXT UPDATE waits for the first update (COMMUNICATE runs until then).
        anchor = getattr(incident, _ANCHOR_FIELD[clock.anchor])
        if anchor is None:
            out.append(ClockReading(clock.id, clock.label, ClockState.WAITING, None, None, None))
            continue
        met = getattr(incident, _MET_FIELD[clock.id])
        due = anchor + clock.due_after_for(incident.impact)
        # Resolution ends every milestone but the review: frozen there instead of counting on.
        stopped = resolved if clock.id != "pir" else None
        state = _state(due, met, now, stopped)
        end = met if met is not None else stopped if stopped is not None else now
        out.append(ClockReading(clock.id, clock.label, state, anchor, due, due - end, met))
    return out


#: Every state, in a fixed order: :func:`clock_states` gives each as its index here.
STATES = tuple(ClockState)
#: The stored times the clocks read (each clock's anchor and milestone, and the resolution).
CLOCK_FIELDS = tuple(sorted({*_ANCHOR_FIELD.values(), *_MET_FIELD.values(), "resolved_at"}))


def clock_states(
    times: Mapping[str, npt.NDArray[np.datetime64]],
    impacts: Sequence[str],
    runbook: Runbook,
    now: datetime,
) -> list[npt.NDArray[np.int8]]:
    """The state of every clock of :func:`clocks` for many incidents at once, without the
    readings: what the insights across thousands of incidents count. ``times`` holds each of
    :data:`CLOCK_FIELDS` as a column (:func:`~stratus_commander.incident.columns.time_columns`),
    ``impacts`` each incident's impact. Per clock, in the runbook's order, each incident's state
    as an index into :data:`STATES`: :func:`_state`'s rule, over whole columns."""
    import numpy as np

    ms = timedelta(milliseconds=1)
    impact_of = {str(impact): n for n, impact in enumerate(IMPACTS)}
    which = np.array([impact_of[i] for i in impacts], dtype=np.intp)
    now64 = np.datetime64(to_ms(now), "ms")
    resolved = times["resolved_at"]
    never = np.full(len(which), np.datetime64("NaT"), dtype="datetime64[ms]")
    zero, soon = np.timedelta64(0, "ms"), np.timedelta64(DUE_SOON // ms, "ms")
    code = {state: n for n, state in enumerate(STATES)}
    out = []
    for c in runbook.clocks:
        after = np.array([c.due_after_for(i) // ms for i in IMPACTS], dtype="timedelta64[ms]")
        anchor, met = times[_ANCHOR_FIELD[c.anchor]], times[_MET_FIELD[c.id]]
        due = anchor + after[which]
        # Resolution ends every milestone but the review. Comparisons with NaT are false.
        stopped = resolved if c.id != "pir" else never
        has_met, has_stop = ~np.isnat(met), ~np.isnat(stopped)
        left = due - now64
        rules = [
            (np.isnat(anchor), ClockState.WAITING),
            (met > due, ClockState.LATE),
            (has_met, ClockState.MET),
            (has_stop & (due < stopped), ClockState.MISSED),
            (has_stop, ClockState.NOT_NEEDED),
            (left < zero, ClockState.OVERDUE),
            (left <= soon, ClockState.DUE_SOON),
        ]
        states = np.full(len(which), code[ClockState.PENDING], dtype=np.int8)
        for where, state in reversed(rules):  # the first rule that holds wins
            states[where] = code[state]
        out.append(states)
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
