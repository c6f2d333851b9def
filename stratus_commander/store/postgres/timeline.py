"""Incidents and their timelines on PostgreSQL: the rows behind ``Incidents``.

Several cockpits append to one incident at once. Inside a write, the incident's row is read
``FOR NO KEY UPDATE``: whoever holds it appends (and changes the row) while the others wait, so
each append reads the previous link as committed, seq numbers stay contiguous and the chain
linear. A domain action that reads the incident before it appends (``Incidents.record``) takes the
lock with that read, so what it projects from is current too. Not ``FOR UPDATE``: rows that refer
to the incident (an action item, a lesson) take a key-share lock on it as they are inserted, and
two writers each holding one and both wanting ``FOR UPDATE`` would deadlock.

An append is four round trips: BEGIN, that locked read, one statement that inserts the event,
moves the row's head (``event_count``, ``head_hash``) to it and notifies every watching cockpit
(``notify.py``; delivered when, and only if, the transaction commits), COMMIT. The head comes
from the locked row itself: every append moves it in the statement that inserts the event, and
a writer that waited for the lock reads the row as its holder committed it (READ COMMITTED
re-reads a row it waited for), so nothing else needs reading. The head is kept for the rest of
the transaction (``heads``): the appends of a ``push`` or a nested action read nothing again.

A new incident is numbered in its declaring transaction (the next after the highest, under an
advisory lock held until that transaction ends), not by a sequence: a declare that rolls back
leaves no gap in the numbers (schema migration p003 drops the identity).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stratus_commander.clock import to_iso
from stratus_commander.errors import NotFound, StoreDamaged
from stratus_commander.store.postgres.connection import RedactingConnection
from stratus_commander.store.postgres.locks import INCIDENT_ID_LOCK, LOCK_CLASS
from stratus_commander.store.postgres.notify import CHANNEL, notify_sql, payload
from stratus_commander.store.postgres.search import tokens, tsquery, words
from stratus_commander.store.records import INCIDENT_COLUMNS, incident_column_list
from stratus_commander.timeline import Event, event_from_row, next_event

_EVENT_COLUMNS = "incident_id, seq, at, kind, actor, text, data, prev_hash, hash"
_INCIDENT_COLUMNS = incident_column_list(INCIDENT_COLUMNS)
_OPEN = "('investigating', 'identified', 'monitoring')"
#: The number of a new incident: the next after the highest (taken under ``INCIDENT_ID_LOCK``).
_NEXT_ID = "SELECT coalesce(max(id), 0) + 1 AS id FROM incidents"
#: The incident's row, locked until the transaction ends, as the previous holder committed it.
_LOCKED_ROW = f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = %s FOR NO KEY UPDATE"
#: An event inserted, its incident's head moved to it, and the notice of it.
_APPEND = (
    f"WITH added AS (INSERT INTO events ({_EVENT_COLUMNS}, words) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, to_tsvector('simple', %s))), "
    "head AS (UPDATE incidents SET event_count = %s, head_hash = %s WHERE id = %s RETURNING id) "
    f"{notify_sql()} FROM head"
)


class TimelineQueries:
    """Mixed into :class:`~stratus_commander.store.postgres.backend.PostgresStore`."""

    conn: RedactingConnection
    location: str
    heads: dict[int, tuple[int, str] | None]

    if TYPE_CHECKING:  # the backend's own

        @property
        def writing(self) -> bool: ...

        def write(self) -> AbstractContextManager[RedactingConnection]: ...

        def query(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[dict[str, Any]]: ...

        def tuples(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[tuple[Any, ...]]: ...

    # --- incidents -----------------------------------------------------------------------------

    def incident_row(self, incident_id: int) -> dict[str, Any] | None:
        if not self.writing:
            rows = self.query(
                f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = %s", [incident_id]
            )
            return rows[0] if rows else None
        # Inside a write, the row is locked: what the action builds on stays current, and the
        # append that follows needs no read of its own.
        return self._locked_row(incident_id)

    def _locked_row(self, incident_id: int) -> dict[str, Any] | None:
        """Inside a write: the incident's row (none: no such incident), locked until the
        transaction ends; its timeline head is kept for the appends of this transaction."""
        rows = self.query(_LOCKED_ROW, [incident_id])
        if not rows:
            return None
        row = rows[0]
        count = row["event_count"]
        self.heads[incident_id] = (count, row["head_hash"]) if count else None
        return row

    def incident_rows(self, open_only: bool = False) -> list[dict[str, Any]]:
        where = f"WHERE status IN {_OPEN}" if open_only else ""
        return self.query(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents {where} ORDER BY declared_at DESC, id DESC"
        )

    def incident_columns(self, names: Sequence[str]) -> list[tuple[Any, ...]]:
        return self.tuples(f"SELECT {incident_column_list(names)} FROM incidents")

    def search_incident_rows(self, search: Sequence[str]) -> list[dict[str, Any]]:
        """Incidents whose title, timeline text or close and review records hold every word; the
        last word may be a prefix ("pool" finds "pools"), so results follow the typing."""
        query = tsquery(search)
        if query is None:
            return []
        return self.query(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id IN ("
            " SELECT id FROM incidents WHERE words @@ to_tsquery('simple', %(q)s)"
            " UNION SELECT incident_id FROM events WHERE words @@ to_tsquery('simple', %(q)s)"
            " UNION SELECT incident_id FROM reviews WHERE words @@ to_tsquery('simple', %(q)s)"
            ") ORDER BY declared_at DESC",
            {"q": query},
        )

    def insert_incident(self, values: Mapping[str, Any]) -> int:
        """A new incident row (its projection columns; lists as :class:`Json`); returns its id.
        Call inside :meth:`write`, with its ``declared`` event.

        Numbered in the declaring transaction: the next after the highest committed, under a
        lock held until that transaction ends (the declares of all cockpits take turns). A
        declare that rolls back leaves no gap (a missing number would read as a deleted
        incident); a sequence would have spent its number. ``values["id"]``: that id (a copy
        keeping its number)."""
        values = dict(values)
        with nullcontext(self.conn) if self.writing else self.write():
            self.query("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, INCIDENT_ID_LOCK])
            if "id" not in values:  # read after the lock: what the previous holder committed
                values["id"] = self.query(_NEXT_ID)[0]["id"]
            columns = ", ".join([*values, "head_hash", "words"])
            marks = ", ".join(f"%({k})s" for k in values)
            values["_words"] = words(str(values.get("title", "")))
            self.conn.execute(
                f"INSERT INTO incidents ({columns}) "
                f"VALUES ({marks}, '', to_tsvector('simple', %(_words)s))",
                values,
            )
            incident_id = int(values["id"])
            self.heads[incident_id] = None  # this transaction's own row, unseen until it commits
        return incident_id

    def update_incident(self, incident_id: int, changes: Mapping[str, Any]) -> None:
        """Set projection columns of an incident (inside :meth:`write`, with its event)."""
        if not changes:
            return
        sets = [f"{k} = %({k})s" for k in changes]
        params = {**changes, "_id": incident_id}
        if "title" in changes:
            sets.append("words = to_tsvector('simple', %(_words)s)")
            params["_words"] = words(str(changes["title"]))
        self.conn.execute(f"UPDATE incidents SET {', '.join(sets)} WHERE id = %(_id)s", params)

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
        """Chain one event to the incident's timeline, holding the incident's row lock until
        the caller's transaction ends (its own, when called outside one); the row is read (and
        locked) only if this transaction has not read it yet."""
        # Inside a write (the usual case) no savepoint is needed: the caller's transaction holds.
        with nullcontext(self.conn) if self.writing else self.write() as conn:
            # Locked (or created) by this transaction already, or now: one round trip.
            if incident_id not in self.heads and self._locked_row(incident_id) is None:
                raise NotFound(f"no incident INC-{incident_id} in {self.location}")
            last = self.heads[incident_id]
            event = next_event(last, incident_id, at, kind, actor, text, data)
            # The event, the new head, and a notice delivered to every watching cockpit once
            # (and only if) this transaction commits: one round trip. Sent as they are: the
            # event's texts and data were redacted by ``next_event`` (the chain covers what is
            # stored) and the rest is ours, so the store's cleaning would only redo that work.
            conn.execute_redacted(
                _APPEND,
                [
                    incident_id,
                    event.seq,
                    to_iso(at),
                    kind,
                    event.actor,
                    event.text,
                    json.dumps(event.data, ensure_ascii=False, sort_keys=True),
                    event.prev_hash,
                    event.hash,
                    " ".join(tokens(event.text)),
                    event.seq,
                    event.hash,
                    incident_id,
                    CHANNEL,
                    payload(incident_id, event.seq),
                ],
            )
            self.heads[incident_id] = (event.seq, event.hash)
        return event

    def events(self, incident_id: int) -> list[Event]:
        """The incident's timeline in order; a value the app cannot have written is damage."""
        out = []
        for row in self.query(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE incident_id = %s ORDER BY seq",
            [incident_id],
        ):
            try:
                out.append(event_from_row(row))
            except (ValueError, TypeError) as exc:  # a time or JSON the app never wrote
                raise StoreDamaged(
                    f"event {row['seq']} of INC-{incident_id}: {exc}", self.location
                ) from exc
        return out

    def timeline_head(self, incident_id: int) -> tuple[int, str] | None:
        """What the incident row records of its timeline: (event count, last hash)."""
        rows = self.query(
            "SELECT event_count, head_hash FROM incidents WHERE id = %s", [incident_id]
        )
        return (rows[0]["event_count"], rows[0]["head_hash"]) if rows else None
