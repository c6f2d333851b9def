"""The update cadence: the runbook's promise of a status update every N minutes until resolved,
window by window (pure: the incident, its events and ``now``).

The NEXT UPDATE clock only ever shows the last window (from the last update). The cadence keeps
them all: each window runs from one status update to the next (the last one to the resolution),
and is kept when the next came within the runbook's interval. The COMMUNICATE clock covers the
time from the declaration to the first update, so the cadence starts at the first update.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stratus_commander.clock import to_iso
from stratus_commander.incident.model import Incident
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import human_duration
from stratus_commander.timeline import Event

__all__ = ["Cadence", "UpdateWindow", "update_cadence"]


@dataclass(frozen=True, slots=True)
class UpdateWindow:
    start: datetime  # the status update that opened it
    due: datetime  # the next update was due then
    end: datetime | None  # the next update, or the resolution; None while it runs
    kept: bool | None  # None: still running and not yet due

    @property
    def gap(self) -> timedelta | None:
        return self.end - self.start if self.end is not None else None

    @property
    def late_by(self) -> timedelta | None:
        """How far past its due time the window closed (``None`` when kept or running)."""
        if self.end is None or self.end <= self.due:
            return None
        return self.end - self.due

    def as_json(self) -> dict[str, Any]:
        gap, late = self.gap, self.late_by
        return {
            "start": to_iso(self.start),
            "due": to_iso(self.due),
            "end": to_iso(self.end) if self.end else None,
            "kept": self.kept,
            "gap_seconds": gap.total_seconds() if gap is not None else None,
            "late_seconds": late.total_seconds() if late is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Cadence:
    every: timedelta
    updates: tuple[datetime, ...]  # status updates sent up to the resolution, in time order
    windows: tuple[UpdateWindow, ...]

    @property
    def kept(self) -> int:
        return sum(1 for w in self.windows if w.kept)

    @property
    def missed(self) -> int:
        return sum(1 for w in self.windows if w.kept is False)

    @property
    def longest_gap(self) -> UpdateWindow | None:
        """The closed window with the longest time between updates (the first of equals)."""
        closed = [w for w in self.windows if w.gap is not None]
        return max(closed, key=lambda w: w.gap or timedelta(0), default=None)

    def summary(self, time: Any = None) -> str:
        """One line: updates, windows kept and missed, the longest gap. ``time`` formats a
        datetime (default: ``HH:MM`` as given)."""
        fmt = time or (lambda dt: dt.strftime("%H:%M"))
        every = human_duration(self.every)
        if not self.updates:
            return f"No status update sent (promised every {every})"
        n = len(self.updates)
        text = f"{n} status update{'s' * (n != 1)}; every {every}: "
        judged = self.kept + self.missed
        text += f"{self.kept} of {judged} windows kept" if judged else "no window closed yet"
        if self.missed:
            text += f", {self.missed} MISSED"
        gap = self.longest_gap
        if gap is not None and gap.end is not None:
            text += f"; longest gap {fmt(gap.start)}–{fmt(gap.end)} ({human_duration(gap.gap)})"
        return text

    def as_json(self) -> dict[str, Any]:
        gap = self.longest_gap
        return {
            "every_seconds": self.every.total_seconds(),
            "updates": len(self.updates),
            "kept": self.kept,
            "missed": self.missed,
            "windows": [w.as_json() for w in self.windows],
            "longest_gap": gap.as_json() if gap is not None else None,
        }


def update_cadence(
    incident: Incident, events: Iterable[Event], runbook: Runbook, now: datetime
) -> Cadence:
    """Every update window of ``incident`` from its first status update to its resolution (or
    ``now``, while it is unresolved)."""
    every = runbook.clock("next_update").due_after_for(incident.impact)
    stop = incident.resolved_at
    updates = sorted(
        e.at for e in events if e.kind == "message_sent" and (stop is None or e.at <= stop)
    )
    windows = []
    for i, start in enumerate(updates):
        due = start + every
        end = updates[i + 1] if i + 1 < len(updates) else stop
        if end is not None:
            windows.append(UpdateWindow(start, due, end, end <= due))
        else:
            windows.append(UpdateWindow(start, due, None, False if now > due else None))
    return Cadence(every, tuple(updates), tuple(windows))
