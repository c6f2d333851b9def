"""The local outbox of a team database: actions taken while its server was away, in order.

One SQLite file per team database (``paths.outbox_path``: named after the URL, which holds no
password), next to the user's data. Each entry is one timeline event as the cockpit made it
(incident, time it happened, kind, actor, text, data) with an id of its own; :meth:`Outbox.add`
commits with ``synchronous=FULL`` (the file is fsynced) before the action is acknowledged. The
replay (``incident/outbox.py``) appends the entries in order to the server, recording each
entry's id in its event, and only then :meth:`Outbox.remove` s it: a replay cut short anywhere
is finished by the next one, without a duplicate.

An incident declared while the server was away has no number yet (the server gives it one):
:meth:`Outbox.reserve_local` gives it a *local* id, a negative integer (-1, -2, …, never reused,
shown ``INC-L1``, ``INC-L2``), with the row it was declared with. The replay creates it on the
server when it meets its ``declared`` entry and records the server's id here
(:meth:`Outbox.declared`, in the transaction that removes that entry); later entries of the local
id go to the server's incident, and the local id keeps naming it (:meth:`Outbox.server_id`).
An entry whose incident the server does not hold (a command line queued it for an id it could
not check) is set aside (:meth:`Outbox.set_aside`), kept and listed, never sent or dropped.
:meth:`Outbox.sending` is held by the one process replaying (a cockpit, or
``stratus-commander outbox send``): another one finds it taken and leaves the entries to it.

What the offline store last saw of the incidents it queues for (their rows and timelines) is
kept too (:meth:`Outbox.remember`, with the entries), so a cockpit restarted while the server is
still away shows them as it left them; it is forgotten once the outbox is empty.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stratus_commander.clock import from_iso, to_iso
from stratus_commander.errors import StoreError
from stratus_commander.secrets import redact, redact_data
from stratus_commander.timeline import Event, event_from_row

__all__ = ["Outbox", "OutboxEntry", "Seen", "local_label"]

#: What was seen of incidents: ``{id: (row, timeline or None)}``.
Seen = Mapping[int, tuple[Mapping[str, Any], Sequence[Event] | None]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    incident_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    text TEXT NOT NULL,
    data TEXT NOT NULL,
    queued_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS local_incidents (
    local_id INTEGER PRIMARY KEY,
    row TEXT NOT NULL,
    server_id INTEGER
);
CREATE TABLE IF NOT EXISTS seen (
    incident_id INTEGER PRIMARY KEY,
    row TEXT NOT NULL,
    events TEXT
);
CREATE TABLE IF NOT EXISTS set_aside (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    incident_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    text TEXT NOT NULL,
    data TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""
_COLUMNS = "id, incident_id, at, kind, actor, text, data, queued_at"


def local_label(incident_id: int) -> str:
    """``INC-L1`` for the local id -1 (an incident declared while the server was away)."""
    return f"INC-L{-incident_id}"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One action waiting for the server: the event it becomes, and when it was queued."""

    id: str
    incident_id: int
    at: datetime
    kind: str
    actor: str
    text: str
    queued_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def new(
        incident_id: int,
        at: datetime,
        kind: str,
        actor: str,
        text: str,
        data: Mapping[str, Any] | None,
        queued_at: datetime,
    ) -> OutboxEntry:
        """An entry with a fresh id, also in its data (``outbox_id``: the event on the server
        says which entry it was); redacted as the store redacts (nothing secret on disk)."""
        entry_id = uuid.uuid4().hex
        return OutboxEntry(
            id=entry_id,
            incident_id=incident_id,
            at=at,
            kind=kind,
            actor=redact(actor),
            text=redact(text),
            queued_at=queued_at,
            data={**redact_data(dict(data or {})), "outbox_id": entry_id},
        )


class Outbox:
    """The outbox file of one team database (one per thread, as stores are)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")  # each commit fsynced
            with self._transaction():  # created whole or not at all
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the outbox: {exc}", where=str(path)) from exc

    def close(self) -> None:
        self._conn.close()

    def add(self, entries: Sequence[OutboxEntry], seen: Seen | None = None) -> None:
        """Queue ``entries`` in one durable transaction (on disk when this returns), with what
        was seen of their incidents (see :meth:`remember`)."""
        try:
            with self._transaction():
                self._conn.executemany(
                    f"INSERT INTO outbox ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [_row(e) for e in entries],
                )
                self._remember(seen or {})
        except sqlite3.Error as exc:
            raise StoreError(f"cannot queue the action: {exc}", where=str(self.path)) from exc

    def remember(self, seen: Seen) -> None:
        """Keep what was last seen of these incidents: ``{id: (row, timeline or None)}``."""
        try:
            with self._transaction():
                self._remember(seen)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot keep what was seen: {exc}", where=str(self.path)) from exc

    def _remember(self, seen: Seen) -> None:
        self._conn.executemany(
            "INSERT OR REPLACE INTO seen (incident_id, row, events) VALUES (?, ?, ?)",
            [
                (
                    incident_id,
                    json.dumps(dict(row), sort_keys=True, ensure_ascii=False),
                    json.dumps([_event_json(e) for e in evs], ensure_ascii=False)
                    if evs is not None
                    else None,
                )
                for incident_id, (row, evs) in seen.items()
            ],
        )

    def seen(self) -> dict[int, tuple[dict[str, Any], list[Event] | None]]:
        """What was last seen of the incidents queued for (see :meth:`remember`)."""
        out: dict[int, tuple[dict[str, Any], list[Event] | None]] = {}
        for incident_id, row, evs in self._conn.execute(
            "SELECT incident_id, row, events FROM seen"
        ):
            events = [event_from_row(e) for e in json.loads(evs)] if evs is not None else None
            out[int(incident_id)] = (json.loads(row), events)
        return out

    def forget_seen(self) -> None:
        """Nothing waits any more: the server is what to read."""
        with self._transaction():
            self._conn.execute("DELETE FROM seen")

    def entries(self) -> list[OutboxEntry]:
        """Every waiting entry, oldest first."""
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY n").fetchall()
        return [_entry(r) for r in rows]

    def set_aside_entries(self) -> list[tuple[OutboxEntry, str]]:
        """The entries the server could not take (see :meth:`set_aside`), with the reason."""
        rows = self._conn.execute(f"SELECT {_COLUMNS}, reason FROM set_aside ORDER BY n")
        return [(_entry(r), r[8]) for r in rows.fetchall()]

    def set_aside(self, entry: OutboxEntry, reason: str) -> None:
        """Move ``entry`` out of the queue, kept with ``reason`` (its incident is not on the
        server): the entries behind it are sent, it is listed by ``outbox show``."""
        with self._transaction():
            self._conn.execute(
                f"INSERT OR IGNORE INTO set_aside ({_COLUMNS}, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*_row(entry), reason],
            )
            self._conn.execute("DELETE FROM outbox WHERE id = ?", [entry.id])

    # --- incidents declared while the server was away ------------------------------------------

    def reserve_local(self, row: Mapping[str, Any]) -> int:
        """A new local id (negative, never used before) for an incident declared offline, kept
        with the row it was declared with (its values as stored: JSON as text)."""
        try:
            with self._transaction():
                low = self._conn.execute("SELECT min(local_id) FROM local_incidents").fetchone()
                local_id = min(int(low[0] or 0), 0) - 1
                self._conn.execute(
                    "INSERT INTO local_incidents (local_id, row) VALUES (?, ?)",
                    [local_id, json.dumps(dict(row), sort_keys=True, ensure_ascii=False)],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot queue the action: {exc}", where=str(self.path)) from exc
        return local_id

    def local_row(self, local_id: int) -> dict[str, Any] | None:
        """The row the local incident was declared with."""
        found = self._conn.execute(
            "SELECT row FROM local_incidents WHERE local_id = ?", [local_id]
        ).fetchone()
        return json.loads(found[0]) if found else None

    def server_id(self, local_id: int) -> int | None:
        """The server's id of a local incident, once its declaration was sent."""
        found = self._conn.execute(
            "SELECT server_id FROM local_incidents WHERE local_id = ?", [local_id]
        ).fetchone()
        return int(found[0]) if found and found[0] is not None else None

    def local_ids(self) -> dict[int, int | None]:
        """Every local id, with its server id once known."""
        rows = self._conn.execute("SELECT local_id, server_id FROM local_incidents").fetchall()
        return {int(r[0]): (int(r[1]) if r[1] is not None else None) for r in rows}

    def declared(self, entry: OutboxEntry, server_id: int) -> None:
        """The local incident ``entry`` declared is ``server_id`` on the server now, and
        ``entry`` is sent: both, in one durable transaction."""
        with self._transaction():
            self._conn.execute(
                "UPDATE local_incidents SET server_id = ? WHERE local_id = ?",
                [server_id, entry.incident_id],
            )
            self._conn.execute("DELETE FROM outbox WHERE id = ?", [entry.id])

    @contextmanager
    def sending(self) -> Iterator[bool]:
        """Hold the right to send this outbox (a lock on ``<file>.sending`` that ends with the
        process, however it ends); yields False when another process holds it now."""
        lock = sqlite3.connect(self.path.with_name(self.path.name + ".sending"), timeout=0)
        try:
            lock.isolation_level = None
            try:
                lock.execute("BEGIN EXCLUSIVE")
            except sqlite3.OperationalError:  # locked: someone else is sending
                yield False
                return
            try:
                yield True
            finally:
                lock.execute("ROLLBACK")
        finally:
            lock.close()

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def remove(self, entry_id: str) -> None:
        """Forget an entry the server holds now (durably: a replay never sends it twice)."""
        with self._transaction():
            self._conn.execute("DELETE FROM outbox WHERE id = ?", [entry_id])

    def _transaction(self) -> _Tx:
        return _Tx(self._conn)


def _event_json(e: Event) -> dict[str, Any]:
    return {
        "incident_id": e.incident_id,
        "seq": e.seq,
        "at": to_iso(e.at),
        "kind": e.kind,
        "actor": e.actor,
        "text": e.text,
        "data": json.dumps(e.data, ensure_ascii=False),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def _row(e: OutboxEntry) -> tuple[Any, ...]:
    return (
        e.id,
        e.incident_id,
        to_iso(e.at),
        e.kind,
        e.actor,
        e.text,
        json.dumps(e.data, sort_keys=True, ensure_ascii=False),
        to_iso(e.queued_at),
    )


def _entry(r: Sequence[Any]) -> OutboxEntry:
    return OutboxEntry(
        id=r[0],
        incident_id=r[1],
        at=from_iso(r[2]),
        kind=r[3],
        actor=r[4],
        text=r[5],
        data=json.loads(r[6]),
        queued_at=from_iso(r[7]),
    )


class _Tx:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
