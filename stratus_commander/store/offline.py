"""A team store that keeps working while its server is away: actions go to the local outbox.

:class:`OfflineStore` wraps a team (PostgreSQL) store and implements the same protocol. While the
server answers and nothing waits in the outbox, every call goes to the server, and what the
cockpit reads of its incidents (their rows and timelines) is remembered. When the server cannot be
reached (:class:`~stratus_commander.errors.StoreUnreachable`), a write is taken offline instead:
the incident is read as last seen (with what waits in the outbox applied), each appended event
becomes an :class:`~stratus_commander.store.outbox.OutboxEntry` (its id in ``data["outbox_id"]``),
and the transaction's entries are fsynced to the outbox before the write returns, so the action
is acknowledged only once it is on disk. Until the outbox is empty again, later actions queue
behind it, so the server receives them in the order they were taken.

The replay (``incident/outbox.py``) reconnects (:meth:`OfflineStore.reconnect`) and appends the
entries through the wrapped store. :class:`TeamLink` is what the cockpit shows: the server, whether
it answers, how many events wait; its listeners are plain callbacks.

A server lost in the middle of a write (after it began) fails that one action with
``StoreUnreachable`` (nothing is acknowledged, nothing recorded); the next one is queued.

A server away when the store is opened (:meth:`OfflineStore.open`) does not stop it: it starts
queueing, the link says so, and :meth:`OfflineStore.reconnect` opens the server when it answers.

An incident declared while the server is away gets a *local id* from the outbox (-1, -2, …,
shown ``INC-L1``; ``store/outbox.py``); its ``declared`` event is queued like any other. The
replay creates it on the server, which numbers it, and the outbox keeps the mapping: from then
on the local id reads and writes the server's incident (a cockpit showing ``INC-L1`` shows
``INC-42`` after its next read). ``guess=True`` (the command line, which has read nothing
before): an incident not seen is taken as an open one with an empty timeline, so an action on it
can be queued; the replay checks it against the incident as the server has it, and records an
action that cannot apply as a flagged note (an unknown incident's entries are set aside).

What the store saw of incidents (rows, timelines) is kept in the outbox file when the server
goes away and with each queued action, so a store opened while the server is still away (a
cockpit restarted) reads them as they were; forgotten once nothing waits and the server answers.

Reads beyond incidents and timelines (samples, probes, reviews, …) go to the server while it
answers; while it is away a record read before is answered as it was, the library's search looks
through the incidents known here, and anything else raises a clear ``StoreUnreachable`` at once
(never a wait on a dead connection): its callers keep what they showed. Writes that are not an
incident's events (reviews, credits, samples) are the server's only: refused while it is away.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

from stratus_commander.clock import Clock
from stratus_commander.errors import NotFound, StoreError, StoreUnreachable
from stratus_commander.store.link import AwayServer, TeamLink
from stratus_commander.store.offline_calls import KNOWN_MAX, READ_WHAT, READS, UNREAD_ROW, WRITES
from stratus_commander.store.outbox import Outbox, OutboxEntry, local_label
from stratus_commander.store.protocol import Store
from stratus_commander.store.redaction import Json
from stratus_commander.timeline import Event, next_event

__all__ = ["OfflineStore", "TeamLink"]

log = logging.getLogger(__name__)


class _Offline:
    """One write taken offline: its entries, and the cache as it was before (to roll back)."""

    def __init__(self, rows: dict[int, dict[str, Any]], events: dict[int, list[Event]]) -> None:
        self.entries: list[OutboxEntry] = []
        self.after: list[Callable[[], None]] = []
        self.saved = _snapshot(rows, events)


def _snapshot(
    rows: dict[int, dict[str, Any]], events: dict[int, list[Event]]
) -> tuple[dict[int, dict[str, Any]], dict[int, list[Event]]]:
    """The cache as it is (restored when a write fails)."""
    return copy.deepcopy(rows), {k: list(v) for k, v in events.items()}


class OfflineStore:
    """A team store, with the local outbox behind it (see the module's docstring)."""

    def __init__(
        self,
        inner: Store,
        outbox: Outbox,
        clock: Clock,
        *,
        opener: Callable[[], Store] | None = None,
        guess: bool = False,
    ) -> None:
        """``opener``: opens the server again (a store opened while it was away);
        ``guess``: queue actions on incidents not read before (the command line)."""
        self.inner = inner
        self.outbox = outbox
        self.clock = clock
        self.path = inner.path
        self.location = inner.location
        self.readonly = inner.readonly
        self.link = TeamLink(inner.location, waiting=outbox.count())
        self.guess = guess
        #: how many events this store queued, and for which incidents (the command line says so)
        self.queued = 0
        self.queued_incidents: set[int] = set()
        self._opener = opener
        self._rows: dict[int, dict[str, Any]] = {}
        self._events: dict[int, list[Event]] = {}
        self._offline: _Offline | None = None
        self._online_depth = 0
        self._kept = False  # what was seen is kept in the outbox since the server went away
        #: what the reads beyond incidents and timelines last answered (by method and args)
        self._known: dict[tuple[str, str], Any] = {}
        if self.link.waiting:  # read as an earlier run left them until what waits is sent
            self._recall()

    def _recall(self) -> None:
        """What an earlier run saw of the incidents it queued for (local ones by the server's
        number once their declaration was sent)."""
        for incident_id, (row, evs) in self.outbox.seen().items():
            key = self._id(incident_id)
            self._rows[key] = {**row, "id": key}
            if evs is not None:
                self._events[key] = evs

    @classmethod
    def open(
        cls, url: str, opener: Callable[[], Store], outbox: Outbox, clock: Clock, **kw: Any
    ) -> OfflineStore:
        """The team store of ``url`` (``opener()`` opens it), queueing from the start when the
        server does not answer now (the link says so); other errors are raised."""
        try:
            inner = opener()
        except StoreUnreachable as exc:
            store = cls(AwayServer(url, exc), outbox, clock, opener=opener, **kw)  # type: ignore[arg-type]
            store.went_away(exc)
            if not store.link.waiting:
                store._recall()
            return store
        except BaseException:
            outbox.close()
            raise
        store = cls(inner, outbox, clock, opener=opener, **kw)
        if not store.link.waiting:
            outbox.forget_seen()  # the server is what to read: an old copy would mislead later
        return store

    def __getattr__(self, name: str) -> Any:  # every other store method: the server's
        value = getattr(self.inner, name)
        if name in READS:
            return partial(self._read, name)
        if name in WRITES:
            return partial(self._write_through, name)
        return value

    def _read(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A read beyond incidents and timelines: the server's answer while it answers (a
        record's, remembered); while it is away, the answer remembered, else a clear
        ``StoreUnreachable`` (never a wait on a dead connection)."""
        key = (name, repr((args, sorted(kwargs.items()))))
        if self.link.reachable:
            try:
                result = getattr(self.inner, name)(*args, **kwargs)
            except StoreUnreachable as exc:
                self.went_away(exc)
            else:
                if READS[name]:
                    self._known.pop(key, None)  # the newest last: the oldest goes first
                    self._known[key] = copy.deepcopy(result)
                    if len(self._known) > KNOWN_MAX:
                        del self._known[next(iter(self._known))]
                return result
        if key in self._known:
            return copy.deepcopy(self._known[key])
        raise StoreUnreachable(
            f"{READ_WHAT.get(name, 'this')} cannot be read while the team server is away"
            + (" (not read before it went away)" if READS[name] else ""),
            where=self.location,
        )

    def _write_through(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A write that is not an incident's event (reviews, credits, samples): the server's
        only; refused, clearly, while it is away or actions wait for it (the action it belongs
        to is then refused whole: nothing is half-written)."""
        if self.link.reachable and self._offline is None:
            try:
                return getattr(self.inner, name)(*args, **kwargs)
            except StoreUnreachable as exc:
                self.went_away(exc)
                raise
        raise StoreUnreachable(
            "the team server is away, or still being sent what waited for it: this is written on "
            "the server only (timeline events wait in the outbox; this cannot), try again once "
            "the banner has cleared",
            where=self.location,
        )

    def close(self) -> None:
        self.outbox.close()
        self.inner.close()

    def __enter__(self) -> OfflineStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the link ------------------------------------------------------------------------------

    @property
    def queueing(self) -> bool:
        """Writes go to the outbox: the server is away, or earlier actions still wait."""
        return not self.link.clear

    def went_away(self, error: StoreUnreachable) -> None:
        self.link.problem = str(error)
        if not self._kept and not self._online_depth and self._rows:  # for a restart while away
            self._kept = True
            try:
                self.outbox.remember(
                    {i: (row, self._events.get(i)) for i, row in self._rows.items()}
                )
            except StoreError as exc:  # shown as it is all the same; only a restart loses it
                log.warning("%s", exc)
        self.link.update(reachable=False)

    def ping(self) -> bool:
        """Whether the server still answers (one cheap read; the link says so when not)."""
        if not self.link.reachable:
            return False
        try:
            self.inner.timeline_head(0)  # the cheapest read of the protocol: no incident 0
        except StoreUnreachable as exc:
            self.went_away(exc)
            return False
        return True

    def server_answers(self) -> bool:
        """Whether the server takes a connection now; touches nothing of this store (safe from
        another thread: the cockpit asks there, then calls :meth:`reconnect` on its own)."""
        answers: Callable[[], bool] = getattr(self.inner, "answers", lambda: True)
        return answers()

    def reconnect(self) -> bool:
        """Try the server again (a fresh connection when it was lost); whether it answers."""
        if self.link.reachable:
            return True
        try:
            if isinstance(self.inner, AwayServer):
                assert self._opener is not None  # AwayServer comes from open(), with its opener
                self.inner = self._opener()
                self.readonly = self.inner.readonly
            else:
                self.inner.reconnect()  # type: ignore[attr-defined]
        except StoreError as exc:  # away still (or not ready to take us yet: said, kept trying)
            self.link.problem = str(exc)
            return False
        self.link.problem = ""
        self._kept = False
        if not self.link.waiting:
            self.outbox.forget_seen()
        self.link.update(reachable=True)
        return True

    def sent(self, entry: OutboxEntry, server_id: int | None = None) -> None:
        """``entry`` is on the server: out of the outbox (the replay calls this). ``server_id``:
        the server's id of the local incident ``entry`` declared."""
        if server_id is not None:
            self.outbox.declared(entry, server_id)
            row = self._rows.pop(entry.incident_id, None)  # known by the server's id from now on
            if row is not None:
                self._rows[server_id] = {**row, "id": server_id}
            self._events.pop(entry.incident_id, None)
        else:
            self.outbox.remove(entry.id)
        self._after_sending()

    def set_aside(self, entry: OutboxEntry, reason: str) -> None:
        """``entry`` cannot be sent (its incident is not on the server): kept apart."""
        self.outbox.set_aside(entry, reason)
        self._after_sending()

    def _after_sending(self) -> None:
        self.link.update(waiting=self.outbox.count())
        if self.link.waiting == 0:  # read the server again from now on
            self._rows.clear()
            self._events.clear()
            self.outbox.forget_seen()

    # --- transactions --------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Any]:
        if self._offline is not None or self._online_depth:  # nested: joins the outer one
            with self._nested() as conn:
                yield conn
            return
        if not self.queueing:
            try:
                online = self.inner.write()
                conn = online.__enter__()
            except StoreUnreachable as exc:
                self.went_away(exc)
            else:
                self._online_depth = 1
                saved = _snapshot(self._rows, self._events)
                try:
                    yield conn
                except BaseException as exc:
                    self._online_depth = 0
                    self._rows, self._events = saved  # what was cached inside is rolled back
                    if isinstance(exc, StoreUnreachable):
                        self.went_away(exc)
                    if not online.__exit__(type(exc), exc, exc.__traceback__):
                        raise
                else:
                    self._online_depth = 0
                    try:
                        online.__exit__(None, None, None)
                    except StoreUnreachable as exc:
                        self._rows, self._events = saved  # the commit may not have happened
                        self.went_away(exc)
                        raise
                return
        yield from self._write_offline()

    def _write_offline(self) -> Iterator[None]:
        tx = self._offline = _Offline(self._rows, self._events)
        try:
            yield None
            touched = {e.incident_id for e in tx.entries}
            seen = {i: (self._rows[i], self._events.get(i)) for i in touched if i in self._rows}
            self.outbox.add(tx.entries, seen)  # fsynced: only now is the action acknowledged
        except BaseException:
            self._rows, self._events = tx.saved
            raise
        finally:
            self._offline = None
        self.queued += len(tx.entries)
        self.queued_incidents.update(e.incident_id for e in tx.entries)
        self.link.update(waiting=self.outbox.count())
        for callback in tx.after:
            callback()

    @contextmanager
    def _nested(self) -> Iterator[Any]:
        if self._offline is not None:
            yield None
        else:
            with self.inner.write() as conn:
                yield conn

    def after_commit(self, callback: Callable[[], None]) -> None:
        if self._offline is not None:
            self._offline.after.append(callback)
        else:
            self.inner.after_commit(callback)

    # --- incidents and timelines: the server's, or as last seen --------------------------------

    def _local(self) -> bool:
        return self._offline is not None or (self.queueing and not self._online_depth)

    def _id(self, incident_id: int) -> int:
        """The server's id of a local incident once its declaration was sent (else as given)."""
        if incident_id < 0:
            return self.outbox.server_id(incident_id) or incident_id
        return incident_id

    def _last_seen(self, incident_id: int) -> dict[str, Any]:
        row = self._rows.get(incident_id)
        if row is None:
            local = self.outbox.local_row(incident_id) if incident_id < 0 else None
            if local is None and incident_id < 0:  # a local id is this machine's to know
                raise NotFound(f"no incident {_label(incident_id)} declared on this machine")
            if local is None and not self.guess:
                raise StoreUnreachable(
                    f"{_label(incident_id)} was not read before the server went away; it cannot be "
                    "recorded to until the server is back",
                    where=self.location,
                )
            row = self._rows[incident_id] = {**UNREAD_ROW, **(local or {}), "id": incident_id}
            self._events[incident_id] = []
        return row

    def incident_row(self, incident_id: int) -> dict[str, Any] | None:
        incident_id = self._id(incident_id)
        if not self._local() and incident_id > 0:
            try:
                row = self.inner.incident_row(incident_id)
            except StoreUnreachable as exc:
                self.went_away(exc)
                if self._online_depth:
                    raise
            else:
                if row is not None:
                    self._rows[incident_id] = dict(row)
                return row
        return dict(self._last_seen(incident_id))

    def incident_rows(self, open_only: bool = False) -> list[dict[str, Any]]:
        if not self._local():
            try:
                return self.inner.incident_rows(open_only)
            except StoreUnreachable as exc:
                self.went_away(exc)
        rows = sorted(self._rows.values(), key=lambda r: (r["declared_at"], r["id"]), reverse=True)
        open_ = ("investigating", "identified", "monitoring")
        return [dict(r) for r in rows if not open_only or r["status"] in open_]

    def incident_columns(self, names: Sequence[str]) -> list[tuple[Any, ...]]:
        if not self._local():
            try:
                return self.inner.incident_columns(names)
            except StoreUnreachable as exc:
                self.went_away(exc)
        return [tuple(row[n] for n in names) for row in self.incident_rows()]

    def search_incident_rows(self, words: Sequence[str]) -> list[dict[str, Any]]:
        if self.link.reachable:
            try:
                return self.inner.search_incident_rows(words)
            except StoreUnreachable as exc:
                self.went_away(exc)
        # Away: the incidents known here, by their titles and the timelines read (the review
        # records are the server's), with the server's word rules (the last word a prefix).
        from stratus_commander.store.postgres.search import tokens

        wanted = [runs for w in words if (runs := tokens(w))]
        found = []
        for row in self.incident_rows():
            texts = [row["title"], *(e.text for e in self._events.get(row["id"], ()))]
            have = set(tokens(" ".join(texts)))
            *whole, last = [run for runs in wanted for run in runs] or [""]
            if all(run in have for run in whole) and any(t.startswith(last) for t in have):
                found.append(row)
        return found if wanted else []

    def events(self, incident_id: int) -> list[Event]:
        incident_id = self._id(incident_id)
        if not self._local() and incident_id > 0:
            try:
                evs = self.inner.events(incident_id)
            except StoreUnreachable as exc:
                self.went_away(exc)
                if self._online_depth:
                    raise
            else:
                self._events[incident_id] = list(evs)
                return evs
        self._last_seen(incident_id)
        if incident_id not in self._events:
            raise StoreUnreachable(
                f"the timeline of {_label(incident_id)} was not read before the server went away",
                where=self.location,
            )
        return list(self._events[incident_id])

    def timeline_head(self, incident_id: int) -> tuple[int, str] | None:
        incident_id = self._id(incident_id)
        if not self._local() and incident_id > 0:
            return self.inner.timeline_head(incident_id)
        row = self._last_seen(incident_id)
        return (row["event_count"], row["head_hash"])

    def insert_incident(self, values: Mapping[str, Any]) -> int:
        if self._offline is None:
            return self.inner.insert_incident(values)
        # Declared while the server is away: a local id, and the row as it will be inserted.
        row = {k: v.text() if isinstance(v, Json) else v for k, v in values.items()}
        local_id = self.outbox.reserve_local(row)
        self._rows[local_id] = {**UNREAD_ROW, **row, "id": local_id}
        self._events[local_id] = []
        return local_id

    def update_incident(self, incident_id: int, changes: Mapping[str, Any]) -> None:
        incident_id = self._id(incident_id)
        if self._offline is None:
            self.inner.update_incident(incident_id, changes)
        row = self._rows.get(incident_id)
        if row is not None:
            row.update({k: v.text() if isinstance(v, Json) else v for k, v in changes.items()})

    def append_event(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        actor: str,
        text: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        incident_id = self._id(incident_id)
        if self._offline is None:
            event = self.inner.append_event(incident_id, at, kind, actor, text, data)
            self._remember(event)
            return event
        row = self._last_seen(incident_id)
        entry = OutboxEntry.new(incident_id, at, kind, actor, text, data, self.clock.now())
        self._offline.entries.append(entry)
        # A provisional link (the server's chain gives the real seq and hash on replay).
        last = (row["event_count"], row["head_hash"]) if row["event_count"] else None
        event = next_event(last, incident_id, at, kind, entry.actor, entry.text, entry.data)
        self._remember(event)
        return event

    def _remember(self, event: Event) -> None:
        evs = self._events.get(event.incident_id)
        if evs is not None and (evs[-1].seq if evs else 0) == event.seq - 1:
            evs.append(event)
        else:
            self._events.pop(event.incident_id, None)
        row = self._rows.get(event.incident_id)
        if row is not None:
            row.update(event_count=event.seq, head_hash=event.hash)


def _label(incident_id: int) -> str:
    return local_label(incident_id) if incident_id < 0 else f"INC-{incident_id}"
