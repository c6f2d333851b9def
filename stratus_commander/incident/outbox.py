"""Sending the outbox: the actions taken while the team server was away, appended in order.

:func:`replay` reconnects and appends each waiting entry (``store/outbox.py``) to its incident
through :meth:`Incidents.record`, with the time it happened (``at``) and the time it reached the
server as ``data["entered_at"]``; the chain simply continues. Each event carries its entry's id
(``data["outbox_id"]``); the entry leaves the outbox only after the event is committed, and an
entry whose id the timeline already holds (a replay killed between the two) is only removed. So a
replay cut short at any point is finished by the next one, with nothing lost and nothing twice.

An action that can no longer apply — the incident was closed meanwhile, its status changed under
it, a role given by someone who is not (or no longer) its commander, a time rule of
``incident/times.py`` refuses its time now that other events came first — is
still recorded, as a note flagged ``data["late_from_outbox"]`` (the reason) that quotes the
original kind, text, data and time; it changes nothing in the incident. So is an action a
teammate took first meanwhile — the same check ticked (or unticked), the same triage decision,
the same role given: the rules that answer :class:`~stratus_commander.errors.AlreadyDone` online
(``already_ticked``, ``already_decided``, ``already_given``) are asked again, and the note says
who did it and when (``data["first"]``: ``by``, ``at``, ``seq``), not a duplicate milestone.

An incident declared while the server was away (a local id, ``INC-L1``: ``store/outbox.py``)
is created on the server when its ``declared`` entry is sent: the row it was declared with, and
its ``declared`` event with its original time, ``entered_at``, ``queued_at`` and
``declared_as`` (``INC-L1``). The server numbers it; the outbox records that number in the
transaction that removes the entry, and the local incident's later entries go to it. A replay
killed between the server's commit and that record finds the incident again by its declaration's
``outbox_id``. An entry whose incident the server does not hold (the command line queued it for
an id it could not check) is set aside in the outbox, listed, never sent or dropped.

One process sends an outbox at a time (``Outbox.sending``); another finds it taken and leaves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from stratus_commander.clock import Clock, to_iso
from stratus_commander.errors import (
    AlreadyDone,
    DomainRefused,
    InputError,
    NotFound,
    StoreUnreachable,
)
from stratus_commander.incident.checklists import TICK_KINDS, already_ticked, ticked
from stratus_commander.incident.model import Incident, Incidents, already_decided
from stratus_commander.incident.roles import ROLE_KIND, already_given, assign_refusal
from stratus_commander.store import Store
from stratus_commander.store.offline import OfflineStore
from stratus_commander.store.outbox import OutboxEntry, local_label
from stratus_commander.timeline import Event

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
    #: local ids of incidents declared while away → their numbers on the server
    declared: dict[int, int] = field(default_factory=dict)
    #: entries whose incident is not on the server: kept in the outbox, apart (the reasons)
    set_aside: list[str] = field(default_factory=list)
    #: the server went away again before the outbox was empty (the rest waits)
    interrupted: bool = False
    #: another process was sending this outbox (it is left to it)
    busy: bool = False

    @property
    def sent(self) -> int:
        """Entries that left the queue for the server."""
        return self.appended + self.already + len(self.late)


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
    if not store.reconnect() or not store.outbox.count():  # back, with nothing to send: clear
        return done
    with store.outbox.sending() as mine:
        if not mine:
            done.busy = True
            return done
        try:
            _send(store, clock, done, committed)
        except StoreUnreachable as exc:
            store.went_away(exc)
            done.interrupted = True
    return done


def _send(
    store: OfflineStore,
    clock: Clock,
    done: Replayed,
    committed: Callable[[OutboxEntry], None] | None,
) -> None:
    incidents = Incidents(store.inner, clock)
    for entry in store.outbox.entries():
        server_id = None
        try:
            if entry.incident_id < 0 and entry.kind == "declared":  # declared while away
                server_id = _declare(store, clock, entry, done)
            else:
                if entry.incident_id < 0:
                    mapped = store.outbox.server_id(entry.incident_id)
                    if mapped is None:  # its declaration is not queued (cannot happen)
                        raise NotFound(f"{local_label(entry.incident_id)} was never declared")
                    entry = replace(entry, incident_id=mapped)
                _send_one(store, incidents, entry, done)
        except NotFound as exc:
            store.set_aside(entry, str(exc))
            done.set_aside.append(str(exc))
            continue
        if committed is not None:
            committed(entry)
        store.sent(entry, server_id)


def _send_one(
    store: OfflineStore, incidents: Incidents, entry: OutboxEntry, done: Replayed
) -> None:
    with store.inner.write():
        before = incidents.get(entry.incident_id)  # locks the incident's row
        events = incidents.events(before.id)
        if any(e.data.get("outbox_id") == entry.id for e in events):
            done.already += 1
        else:
            reason = _append(incidents, before, events, entry)
            if reason is None:
                done.appended += 1
            else:
                done.late.append(reason)


def _declare(store: OfflineStore, clock: Clock, entry: OutboxEntry, done: Replayed) -> int:
    """Create the incident ``entry`` declared while away on the server (or find it, when a
    replay killed after its commit made it); its number there."""
    local = entry.incident_id
    server_id = _declared_before(store.inner, entry)
    if server_id is not None:
        done.already += 1
    else:
        row = store.outbox.local_row(local)
        if row is None:  # the outbox file was edited by hand: nothing to declare it with
            raise NotFound(f"{local_label(local)}: its declaration is not in the outbox")
        data = {k: v for k, v in entry.data.items() if k != "entered_at"}
        data.update(
            entered_at=to_iso(clock.now()),
            queued_at=to_iso(entry.queued_at),
            declared_as=local_label(local),
        )
        with store.inner.write():
            server_id = store.inner.insert_incident(row)
            store.inner.append_event(server_id, entry.at, "declared", entry.actor, entry.text, data)
        done.appended += 1
    done.declared[local] = server_id
    return server_id


def _declared_before(server: Store, entry: OutboxEntry) -> int | None:
    """The server's incident an earlier replay of the ``declared`` ``entry`` created."""
    when = to_iso(entry.at)
    for row in server.incident_rows():
        if row["declared_at"] == when and row["title"] == entry.text:
            evs = server.events(row["id"])
            if evs and evs[0].data.get("outbox_id") == entry.id:
                return int(row["id"])
    return None


def _append(
    incidents: Incidents, before: Incident, events: Sequence[Event], entry: OutboxEntry
) -> str | None:
    """Append ``entry`` as the event it was, or as a flagged note; the reason it is late."""
    data = {k: v for k, v in entry.data.items() if k != "entered_at"}
    data["queued_at"] = to_iso(entry.queued_at)
    reason = _cannot_apply(before, events, entry)
    first = _done_first(before, events, entry) if reason is None else None
    if first is not None:
        reason = str(first)
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
    if first is not None:
        late["first"] = {"by": first.by, "at": to_iso(first.at), "seq": _seq(first)}
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


def _cannot_apply(before: Incident, events: Sequence[Event], entry: OutboxEntry) -> str | None:
    """Why the incident, as it is now, cannot take ``entry`` (None: it can). A role given is
    checked again (a command line queued it without reading who commands)."""
    if before.status == "closed" and entry.kind not in _ON_CLOSED:
        return f"{before.label} was closed meanwhile"
    if entry.kind == ROLE_KIND:
        role, person = str(entry.data.get("role")), str(entry.data.get("person"))
        return assign_refusal(events, entry.actor, role, person)
    unticked = entry.kind == "check_unticked"
    group, item = str(entry.data.get("group")), str(entry.data.get("item"))
    if (
        unticked
        and item not in ticked(events, group)
        and _done_first(before, events, entry) is None
    ):
        return f"{before.label}: “{_what(entry)}” is not ticked"  # never ticked: as online
    if entry.kind == "status_changed":
        was, to = entry.data.get("from"), entry.data.get("to")
        if before.status == to:
            return f"{before.label} was already {to}"
        if before.status != was:
            return f"{before.label} is {before.status} now, not {was}"
    return None


def _done_first(
    before: Incident, events: Sequence[Event], entry: OutboxEntry
) -> AlreadyDone | None:
    """The answer the online action would have had: a teammate already did it (the same tick or
    untick, the same triage decision, the same role given), as the incident is now."""
    data = entry.data
    if entry.kind in TICK_KINDS:
        group, item = str(data.get("group")), str(data.get("item"))
        what = _what(entry)
        return already_ticked(events, before.label, group, item, what, entry.kind == "check_ticked")
    # The same decision; or another, made looking at one that no longer stands (a teammate
    # decided otherwise meanwhile). The command line saw nothing ("seen" absent).
    decision, current = data.get("decision"), before.triage_decision
    if (
        entry.kind == "decision"
        and decision is not None
        and current is not None
        and (current == decision or ("seen" in data and data["seen"] != current))
    ):
        return already_decided(before.label, events)
    if entry.kind == ROLE_KIND:
        return already_given(events, before.label, str(data.get("role")), str(data.get("person")))
    return None


def _seq(done: AlreadyDone) -> int | None:
    return done.event.seq if isinstance(done.event, Event) else None


def _what(entry: OutboxEntry) -> str:
    """The check a tick's text names (``Ticked: Restart the pooler (context)``)."""
    return entry.text.partition(": ")[2] or str(entry.data.get("item"))
