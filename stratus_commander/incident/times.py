"""When an event may be timed: the rules a time given by hand must meet.

A commander who ran an outage on paper enters it afterwards with its real times (the command
line's ``--at``). A time is refused with :class:`~stratus_commander.errors.TimeRefused`, which
names the rule it breaks, when it is

- in the future (beyond :data:`FUTURE_SKEW` of clock skew);
- before the incident's detection;
- before the milestone the event depends on (:func:`depends_on`): every event follows the
  declaration; a status change, the resolution included, follows the previous status change;
  a triage decision, a status update or an escalation follows the previous one of its kind; a
  tick or untick follows the last tick or untick of the same check; the close follows the
  resolution.

Whatever order events are entered in, these keep the incident's record true: each milestone it
keeps (the first triage decision, the first and the last status update, the first escalation,
the resolution) is the one its timeline says. A detection or declaration time must also be a
plausible one (:func:`plausible_time`), and a declaration time given must not come before the
detection (:func:`declaration_times`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from stratus_commander.clock import ensure_utc, to_iso, truncate_ms
from stratus_commander.errors import InputError, TimeRefused
from stratus_commander.timeline import Event


class Milestones(Protocol):
    """The milestones of an incident the rules compare with (structurally, so this module needs
    nothing of :mod:`~stratus_commander.incident.model`, which imports it)."""

    @property
    def detected_at(self) -> datetime: ...
    @property
    def declared_at(self) -> datetime: ...
    @property
    def last_update_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...


__all__ = [
    "EARLIEST",
    "FUTURE_SKEW",
    "check_time",
    "declaration_times",
    "depends_on",
    "plausible_time",
    "what",
]

#: A time this far past now is clock skew between machines, not a forecast.
FUTURE_SKEW = timedelta(minutes=1)
#: A detection before this product's era is a typo (and a year below 1000 is a trap for
#: ISO-8601 tooling).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

_TICKS = ("check_ticked", "check_unticked")


def plausible_time(when: datetime, now: datetime, where: str) -> datetime:
    """``when`` in UTC, refused when it cannot be a real incident's time: before 2000, or more
    than a minute after ``now``."""
    when = _utc(when, where)
    if when < EARLIEST:
        raise InputError(f"{to_iso(when)} is before {EARLIEST.year}: a typo?", where=where)
    if when > now + FUTURE_SKEW:
        raise InputError(f"{to_iso(when)} is in the future", where=where)
    return when


def declaration_times(
    detected_at: datetime | None, declared_at: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """(detected, declared) of a new incident: each plausible, the declaration ``now`` and the
    detection the declaration unless given. A declaration time given must not come before the
    detection; one taken from the clock may, by the clock skew a detection time is allowed (the
    review flags it)."""
    declared = plausible_time(declared_at, now, "at") if declared_at is not None else now
    if detected_at is None:
        return declared, declared
    detected = plausible_time(detected_at, now, "detected at")
    if declared_at is not None and detected > declared:
        raise TimeRefused("the declaration", declared, "is before the detection at", detected)
    return detected, declared


def what(kind: str, data: Mapping[str, Any]) -> str:
    """The event as a refusal names it: ``the resolution``, ``the triage decision``."""
    if kind == "status_changed":
        to = data.get("to")
        return "the resolution" if to == "resolved" else f"the status change to {to}"
    return {
        "decision": "the triage decision",
        "message_sent": "the status update",
        "escalated": "the escalation",
        "note": "the note",
        "check_ticked": "the tick",
        "check_unticked": "the untick",
        "call_logged": "the call",
        "closed": "the close",
    }.get(kind, f"the {kind.replace('_', ' ')} event")


def _last(events: Sequence[Event], *kinds: str, **same: Any) -> Event | None:
    for event in reversed(events):
        if event.kind in kinds and all(event.data.get(k) == v for k, v in same.items()):
            return event
    return None


def depends_on(
    incident: Milestones, events: Sequence[Event], kind: str, data: Mapping[str, Any]
) -> list[tuple[str, datetime]]:
    """(name, time) of each earlier moment an event of ``kind`` may not come before."""
    out = [("the declaration", incident.declared_at)]
    previous: Event | None = None
    if kind == "status_changed":
        previous = _last(events, "status_changed")
        if previous is not None:
            out.append((f"the previous status change (to {previous.data.get('to')})", previous.at))
    elif kind == "decision" and (previous := _last(events, "decision")) is not None:
        out.append(("the previous triage decision", previous.at))
    elif kind == "message_sent" and incident.last_update_at is not None:
        out.append(("the previous status update", incident.last_update_at))
    elif kind == "escalated" and (previous := _last(events, "escalated")) is not None:
        out.append(("the previous escalation", previous.at))
    elif kind in _TICKS:
        previous = _last(events, *_TICKS, group=data.get("group"), item=data.get("item"))
        if previous is not None:
            verb = "tick" if previous.kind == "check_ticked" else "untick"
            out.append((f"this check's previous {verb}", previous.at))
    elif kind in ("closed", "review") and incident.resolved_at is not None:
        out.append(("the resolution", incident.resolved_at))
    return out


def check_time(
    incident: Milestones,
    events: Sequence[Event],
    kind: str,
    data: Mapping[str, Any],
    at: datetime,
    now: datetime,
    where: str = "at",
) -> datetime:
    """``at`` in UTC (to the millisecond) when an event of ``kind`` may be timed then; else
    :class:`TimeRefused` naming the rule."""
    at = truncate_ms(_utc(at, where))
    name = what(kind, data)
    if at > now + FUTURE_SKEW:
        raise TimeRefused(name, at, "is in the future: it is now", now, where)
    if at < incident.detected_at:
        detected = incident.detected_at
        raise TimeRefused(name, at, "is before the incident's detection at", detected, where)
    for milestone, bound in depends_on(incident, events, kind, data):
        if at < bound:
            raise TimeRefused(name, at, f"is before {milestone} at", bound, where)
    return at


def _utc(when: datetime, where: str) -> datetime:
    try:
        return ensure_utc(when)
    except ValueError as exc:  # naive: an ambiguous incident time is worse than an error
        raise InputError(str(exc), where=where) from None
