"""Check-back timers: "back to you in N min" on a delegated task, kept in the timeline.

Three kinds of event make a reminder's life, so it survives restarts and the review sees it:

    reminder_set   data {"who", "task", "minutes", "due_at"}: the timer starts; its id is the
                   event's ``seq`` and it is due at the event's time + ``minutes``
    reminder_due   data {"reminder": id, "state": "due"}: the cockpit raised it (once)
    reminder_due   data {"reminder": id, "state": "done"}: the commander checked back

Which reminders are due at ``now`` is a pure function of the events (:func:`due`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from stratus_commander.actors import CLOCK
from stratus_commander.clock import to_iso
from stratus_commander.errors import DomainRefused, InputError
from stratus_commander.incident import Incidents
from stratus_commander.text import one_line
from stratus_commander.timeline import Event

MAX_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int  # seq of its reminder_set event
    who: str
    task: str
    set_at: datetime
    minutes: int
    raised_at: datetime | None = None
    done_at: datetime | None = None

    @property
    def due_at(self) -> datetime:
        return self.set_at + timedelta(minutes=self.minutes)

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    def is_due(self, now: datetime) -> bool:
        return self.is_open and now >= self.due_at

    def remaining(self, now: datetime) -> timedelta:
        """Time left; negative once due."""
        return self.due_at - now

    @property
    def label(self) -> str:
        return f"{self.who}: {self.task}"


def reminders(events: Iterable[Event]) -> list[Reminder]:
    """Every reminder of an incident, in the order they were set."""
    found: dict[int, Reminder] = {}
    for event in events:
        d = event.data
        if event.kind == "reminder_set":
            found[event.seq] = Reminder(
                event.seq, str(d["who"]), str(d["task"]), event.at, int(d["minutes"])
            )
        elif event.kind == "reminder_due" and int(d.get("reminder", -1)) in found:
            rid = int(d["reminder"])
            if d.get("state") == "done":
                found[rid] = replace(found[rid], done_at=found[rid].done_at or event.at)
            else:
                found[rid] = replace(found[rid], raised_at=found[rid].raised_at or event.at)
    return list(found.values())


def open_reminders(events: Iterable[Event]) -> list[Reminder]:
    """Not checked back yet, soonest due first."""
    return sorted((r for r in reminders(events) if r.is_open), key=lambda r: (r.due_at, r.id))


def due(events: Iterable[Event], now: datetime) -> list[Reminder]:
    """Due at ``now`` and not done, soonest due first."""
    return [r for r in open_reminders(events) if r.is_due(now)]


def to_raise(events: Iterable[Event], now: datetime) -> list[Reminder]:
    """Due and never raised: the ones the cockpit must announce now."""
    return [r for r in due(events, now) if r.raised_at is None]


def set_reminder(
    incidents: Incidents, incident_id: int, who: str, task: str, minutes: int
) -> Event:
    """Start a "back to you in ``minutes`` min" timer on ``who``'s ``task``."""
    one_line(who, "who")
    one_line(task, "task")
    who, task = " ".join(who.split()), " ".join(task.split())
    if not who:
        raise InputError("must not be empty (whom will you check back with?)", where="who")
    if not task:
        raise InputError("must not be empty (what did you hand over?)", where="task")
    if not 1 <= minutes <= MAX_MINUTES:
        raise InputError(f"must be between 1 and {MAX_MINUTES} (got {minutes})", where="minutes")
    due_at = incidents.clock.now() + timedelta(minutes=minutes)
    return incidents.record(
        incident_id,
        "reminder_set",
        f"Back to you in {minutes} min — {who}: {task} (due {due_at:%H:%M} UTC)",
        {"who": who, "task": task, "minutes": minutes, "due_at": to_iso(due_at)},
    )


def raise_due(incidents: Incidents, incident_id: int, reminder: Reminder) -> Event:
    """Record that ``reminder`` came due and was announced."""
    return incidents.record(
        incident_id,
        "reminder_due",
        actor=CLOCK,
        text=f"Check back now — {reminder.label} (due {reminder.due_at:%H:%M} UTC)",
        data={"reminder": reminder.id, "state": "due"},
    )


def mark_done(incidents: Incidents, incident_id: int, reminder: Reminder) -> Event:
    """The commander checked back with ``reminder.who``."""
    if reminder.done_at is not None:
        raise DomainRefused(f"already checked back with {reminder.who} on {reminder.task}")
    return incidents.record(
        incident_id,
        "reminder_due",
        f"Checked back — {reminder.label}",
        {"reminder": reminder.id, "state": "done"},
    )
