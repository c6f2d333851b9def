"""The local outbox of a team database: actions taken while its server was away, in order.

One SQLite file per team database (``paths.outbox_path``: named after the URL, which holds no
password), next to the user's data. Each entry is one timeline event as the cockpit made it
(incident, time it happened, kind, actor, text, data) with an id of its own; :meth:`Outbox.add`
commits with ``synchronous=FULL`` (the file is fsynced) before the action is acknowledged. The
replay (``incident/outbox.py``) appends the entries in order to the server, recording each
entry's id in its event, and only then :meth:`Outbox.remove` s it: a replay cut short anywhere
is finished by the next one, without a duplicate.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stratus_commander.clock import from_iso, to_iso
from stratus_commander.errors import StoreError
from stratus_commander.secrets import redact, redact_data

__all__ = ["Outbox", "OutboxEntry"]

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
)
"""


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
            self._conn.execute(_SCHEMA)  # one statement: created whole or not at all
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the outbox: {exc}", where=str(path)) from exc

    def close(self) -> None:
        self._conn.close()

    def add(self, entries: Sequence[OutboxEntry]) -> None:
        """Queue ``entries`` in one durable transaction (on disk when this returns)."""
        rows = [
            (
                e.id,
                e.incident_id,
                to_iso(e.at),
                e.kind,
                e.actor,
                e.text,
                json.dumps(e.data, sort_keys=True, ensure_ascii=False),
                to_iso(e.queued_at),
            )
            for e in entries
        ]
        try:
            with self._transaction():
                self._conn.executemany(
                    "INSERT INTO outbox (id, incident_id, at, kind, actor, text, data, queued_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot queue the action: {exc}", where=str(self.path)) from exc

    def entries(self) -> list[OutboxEntry]:
        """Every waiting entry, oldest first."""
        rows = self._conn.execute(
            "SELECT id, incident_id, at, kind, actor, text, data, queued_at FROM outbox ORDER BY n"
        ).fetchall()
        return [
            OutboxEntry(
                id=r[0],
                incident_id=r[1],
                at=from_iso(r[2]),
                kind=r[3],
                actor=r[4],
                text=r[5],
                data=json.loads(r[6]),
                queued_at=from_iso(r[7]),
            )
            for r in rows
        ]

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def remove(self, entry_id: str) -> None:
        """Forget an entry the server holds now (durably: a replay never sends it twice)."""
        with self._transaction():
            self._conn.execute("DELETE FROM outbox WHERE id = ?", [entry_id])

    def _transaction(self) -> _Tx:
        return _Tx(self._conn)


class _Tx:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
