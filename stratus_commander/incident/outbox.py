"""Sending the outbox: the actions taken while the team server was away, appended in order.

:func:`replay` reconnects and appends each waiting entry (``store/outbox.py``) to its incident
through :meth:`Incidents.record`, with the time it happened (``at``) and the time it reached the
server as ``data["entered_at"]``; the chain simply continues. Each event carries its entry's id
(``data["outbox_id"]``); the entry leaves the outbox only after the event is committed, and an
entry whose id the timeline already holds (a replay killed between the two) is only removed. So a
replay cut short at any point is finished by the next one, with nothing lost and nothing twice.

An action that can no longer apply — the incident was closed meanwhile, its status changed under
it, a time rule of ``incident/times.py`` refuses its time now that other events came first — is
still recorded, as a note flagged ``data["late_from_outbox"]`` (the reason) that quotes the
original kind, text, data and time; it changes nothing in the incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stratus_commander.clock import Clock, to_iso
from stratus_commander.errors import DomainRefused, InputError, StoreUnreachable
from stratus_commander.incident.model import Incident, Incidents
from stratus_commander.store.offline import OfflineStore
from stratus_commander.store.outbox import OutboxEntry

__all__ = ["LATE_FLAG", "Replayed", "replay"]

#: The data key of a note that records an action the incident could no longer take.
LATE_FLAG = "late_from_outbox"
#: Kinds recorded on a closed incident too (as ``Incidents.note`` and the review do).
_ON_CLOSED = frozenset({"note", "review", "credits"})


@dataclass
class Replayed:
    """What a replay did: entries appended, already there (only removed), recorded late."""

    appended: int = 0
    already: int = 0
    late: list[str] = field(default_factory=list)
    #: the server went away again before the outbox was empty (the rest waits)
    interrupted: bool = False


def replay(
    store: OfflineStore,
    clock: Clock,
    *,
    committed: Callable[[OutboxEntry], None] | None = None,
) -> Replayed:
    """Send what waits in ``store``'s outbox, oldest first (nothing when the server is still
    away). ``committed(entry)``: called after each entry's event is committed and before the
    entry leaves the outbox (tests pause a replay there)."""
    done = Replayed()
    if not store.outbox.count() or not store.reconnect():
        return done
    incidents = Incidents(store.inner, clock)
    try:
        for entry in store.outbox.entries():
            with store.inner.write():
                before = incidents.get(entry.incident_id)  # locks the incident's row
                if any(e.data.get("outbox_id") == entry.id for e in incidents.events(before.id)):
                    done.already += 1
                else:
                    reason = _append(incidents, before, entry)
                    if reason is None:
                        done.appended += 1
                    else:
                        done.late.append(reason)
            if committed is not None:
                committed(entry)
            store.sent(entry)
    except StoreUnreachable as exc:
        store.went_away(exc)
        done.interrupted = True
    return done


def _append(incidents: Incidents, before: Incident, entry: OutboxEntry) -> str | None:
    """Append ``entry`` as the event it was, or as a flagged note; the reason it is late."""
    data = {k: v for k, v in entry.data.items() if k != "entered_at"}
    data["queued_at"] = to_iso(entry.queued_at)
    reason = _cannot_apply(before, entry)
    if reason is None:
        try:
            incidents.record(
                before.id,
                entry.kind,
                entry.text,
                data,
                allow_closed=entry.kind in _ON_CLOSED,
                actor=entry.actor,
                at=entry.at,
            )
            return None
        except (DomainRefused, InputError) as exc:  # TimeRefused is an InputError
            if isinstance(exc, StoreUnreachable):
                raise
            reason = str(exc)
    late: dict[str, Any] = {
        LATE_FLAG: reason,
        "kind": entry.kind,
        "data": {k: v for k, v in data.items() if k not in ("outbox_id", "queued_at")},
        "happened_at": to_iso(entry.at),
        "queued_at": data["queued_at"],
        "outbox_id": entry.id,
    }
    text = f"Taken while the team server was away, not applied ({reason}): {entry.text}"
    try:
        incidents.record(
            before.id, "note", text, late, allow_closed=True, actor=entry.actor, at=entry.at
        )
    except InputError as exc:  # its time is refused even for a note: recorded now
        if isinstance(exc, StoreUnreachable):
            raise
        incidents.record(before.id, "note", text, late, allow_closed=True, actor=entry.actor)
    return reason


def _cannot_apply(before: Incident, entry: OutboxEntry) -> str | None:
    """Why the incident, as it is now, cannot take ``entry`` (None: it can)."""
    if before.status == "closed" and entry.kind not in _ON_CLOSED:
        return f"{before.label} was closed meanwhile"
    if entry.kind == "status_changed":
        was, to = entry.data.get("from"), entry.data.get("to")
        if before.status == to:
            return f"{before.label} was already {to}"
        if before.status != was:
            return f"{before.label} is {before.status} now, not {was}"
    return None
