"""Which clock warnings to raise, and when: the cockpit's banners and tray notices, as logic.

A clock warns twice per deadline: when it turns *due soon* (two minutes before, see
:data:`~stratus_commander.incident.deadlines.DUE_SOON`) and when it turns *overdue*.
:class:`AlertTracker`
remembers what it has announced, keyed by clock, state and deadline, so a warning is raised once per
clock and transition — and again for a new deadline (NEXT UPDATE re-arms after every update sent).
A clock first seen already overdue (the cockpit reopened late) warns once, as overdue only.

:func:`by_urgency` orders readings for the clock rail: overdue first (the longest overdue leading),
then due soon, pending (soonest deadline first), waiting, and met clocks last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from stratus_commander.incident.deadlines import ClockReading, ClockState

__all__ = ["NEXT_ACTION", "Alert", "AlertTracker", "by_urgency"]

#: What the commander does to meet each clock (the banner says it; the UI adds the shortcut).
NEXT_ACTION: dict[str, str] = {
    "declare": "Declare the incident",
    "triage": "Work through the triage checks and choose internal / external / unknown",
    "communicate": "Send the first status update",
    "next_update": "Send the next status update",
    "escalate": "Escalate per the matrix",
    "pir": "Hold the post-incident review",
}

_RANK = {
    ClockState.OVERDUE: 0,
    ClockState.DUE_SOON: 1,
    ClockState.PENDING: 2,
    ClockState.WAITING: 3,
    ClockState.MET: 4,
    ClockState.LATE: 4,
    ClockState.MISSED: 5,
    ClockState.NOT_NEEDED: 6,
}
_WARNS = (ClockState.DUE_SOON, ClockState.OVERDUE)


@dataclass(frozen=True, slots=True)
class Alert:
    """One warning: ``clock_id`` turned ``state`` (due soon or overdue) for deadline ``due_at``."""

    clock_id: str
    label: str
    state: ClockState
    due_at: datetime

    @property
    def action(self) -> str:
        return NEXT_ACTION.get(self.clock_id, "")

    @property
    def overdue(self) -> bool:
        return self.state is ClockState.OVERDUE


class AlertTracker:
    """Feed it every reading on every tick; it returns only the warnings not raised before."""

    def __init__(self) -> None:
        self._raised: set[tuple[str, ClockState, datetime]] = set()

    def update(self, readings: Iterable[ClockReading]) -> list[Alert]:
        out = []
        for r in readings:
            if r.state not in _WARNS or r.due_at is None:
                continue
            key = (r.id, r.state, r.due_at)
            if key in self._raised:
                continue
            self._raised.add(key)
            out.append(Alert(r.id, r.label, r.state, r.due_at))
        return out

    def reset(self) -> None:
        """Forget what was raised (another incident is now on screen)."""
        self._raised.clear()


def by_urgency(readings: Iterable[ClockReading]) -> list[ClockReading]:
    """Most urgent first; ties keep the runbook's order (the sort is stable)."""

    def key(r: ClockReading) -> tuple[int, timedelta]:
        remaining = r.remaining if r.remaining is not None else timedelta.max
        if r.done:
            remaining = timedelta(0)  # met clocks keep the runbook's order among themselves
        return _RANK[r.state], remaining

    return sorted(readings, key=key)
