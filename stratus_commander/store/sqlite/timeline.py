"""Incidents and their timelines in the SQLite file: the rows behind ``Incidents``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from stratus_commander.clock import to_iso
from stratus_commander.store.records import incident_column_list
from stratus_commander.store.redaction import Json
from stratus_commander.store.sqlite.connection import RedactingConnection, damage, translate_errors
from stratus_commander.timeline import Event, event_from_row, next_event

_EVENT_COLUMNS = "incident_id, seq, at, kind, actor, text, data, prev_hash, hash"
_OPEN = ("investigating", "identified", "monitoring")


class TimelineQueries:
    """Mixed into :class:`~stratus_commander.store.sqlite.backend.SqliteStore`."""

    conn: RedactingConnection

    @classmethod
    def on(cls, conn: RedactingConnection) -> TimelineQueries:
        """These queries on a bare connection (a migration's, which has no store yet)."""
        queries = cls()
        queries.conn = conn
        return queries

    def _rows(self, sql: str, params: Iterable[Any] | Mapping[str, Any]) -> list[dict[str, Any]]:
        with translate_errors(self.conn):
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    # --- incidents -----------------------------------------------------------------------------

    def incident_row(self, incident_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM incidents WHERE id = ?", [incident_id])
        return rows[0] if rows else None

    def incident_rows(self, open_only: bool = False) -> list[dict[str, Any]]:
        where = f"WHERE status IN {_OPEN!r}" if open_only else ""
        return self._rows(f"SELECT * FROM incidents {where} ORDER BY declared_at DESC, id DESC", ())

    def incident_columns(self, names: Sequence[str]) -> list[tuple[Any, ...]]:
        with translate_errors(self.conn):
            return self.conn.execute(
                f"SELECT {incident_column_list(names)} FROM incidents", ()
            ).fetchall()

    def search_incident_rows(self, words: Sequence[str]) -> list[dict[str, Any]]:
        """Incidents whose title, timeline text or close and review records hold every word; the
        last word may be a prefix ("pool" finds "pools"), so results follow the typing."""
        # Quoting keeps FTS syntax in user text inert.
        query = " ".join('"{}"'.format(w.replace('"', " ")) for w in words) + "*"
        return self._rows(
            "SELECT * FROM incidents WHERE id IN ("
            " SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :q"
            " UNION SELECT e.incident_id FROM events e JOIN events_fts f ON f.rowid = e.id"
            "  WHERE events_fts MATCH :q"
            " UNION SELECT rowid FROM reviews_fts WHERE reviews_fts MATCH :q)"
            " ORDER BY declared_at DESC",
            {"q": query},
        )

    def insert_incident(self, values: Mapping[str, Any]) -> int:
        """A new incident row (its projection columns; lists as :class:`Json`); returns its id.
        Call inside :meth:`write`, with its ``declared`` event."""
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(
            f"INSERT INTO incidents ({columns}, head_hash) VALUES ({marks}, '')",
            list(values.values()),
        )
        return int(cursor.lastrowid or 0)

    def update_incident(self, incident_id: int, changes: Mapping[str, Any]) -> None:
        """Set projection columns of an incident (inside :meth:`write`, with its event)."""
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            self.conn.execute(
                f"UPDATE incidents SET {sets} WHERE id = ?", [*changes.values(), incident_id]
            )

    # --- timeline ------------------------------------------------------------------------------

    def append_event(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        actor: str,
        text: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        """Chain one event to the incident's timeline inside the caller's write transaction (an
        IMMEDIATE one: concurrent writers serialise before they read the previous link)."""
        last = self.conn.execute(
            "SELECT seq, hash FROM events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1",
            [incident_id],
        ).fetchone()
        event = next_event(last and (last[0], last[1]), incident_id, at, kind, actor, text, data)
        self.conn.execute(
            f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                incident_id,
                event.seq,
                to_iso(at),
                kind,
                event.actor,
                event.text,
                Json(event.data, sort_keys=True),
                event.prev_hash,
                event.hash,
            ],
        )
        self.conn.execute(
            "UPDATE incidents SET event_count = ?, head_hash = ? WHERE id = ?",
            [event.seq, event.hash, incident_id],
        )
        return event

    def events(self, incident_id: int) -> list[Event]:
        """The incident's timeline in order; a value the app cannot have written is damage."""
        out = []
        for row in self._rows(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE incident_id = ? ORDER BY seq",
            [incident_id],
        ):
            try:
                out.append(event_from_row(row))
            except (ValueError, TypeError) as exc:  # a time or JSON the app never wrote
                raise damage(self.conn, f"event {row['seq']} of INC-{incident_id}: {exc}") from exc
        return out

    def timeline_head(self, incident_id: int) -> tuple[int, str] | None:
        """What the incident row records of its timeline: (event count, last hash)."""
        rows = self._rows(
            "SELECT event_count, head_hash FROM incidents WHERE id = ?", [incident_id]
        )
        return (rows[0]["event_count"], rows[0]["head_hash"]) if rows else None
