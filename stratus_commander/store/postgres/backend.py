"""The PostgreSQL backend of the store: team mode, several cockpits on one database.

One autocommit connection per store (one store per thread, as with SQLite); every write is an
explicit transaction (:meth:`PostgresStore.write`, nested use joins it through a savepoint).
Appends to one incident are serialised by a lock on its row (``timeline.py``). The schema is
created and upgraded on open (``schema.py``); a database of another application or of a newer
version is refused untouched. ``readonly=True`` sets the session read-only: nothing is written,
and the per-minute rollup is read exact through its view all the same (``rollup.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from stratus_commander.errors import StoreError, StoreReadOnly
from stratus_commander.store.postgres.connection import (
    Conn,
    RedactingConnection,
    connect,
    translate_error,
)
from stratus_commander.store.postgres.notify import Callback, Watcher
from stratus_commander.store.postgres.retention import RetentionQueries
from stratus_commander.store.postgres.reviews import ReviewQueries
from stratus_commander.store.postgres.rollup import check_groups, refresh
from stratus_commander.store.postgres.samples import SampleQueries
from stratus_commander.store.postgres.schema import prepare
from stratus_commander.store.postgres.timeline import TimelineQueries
from stratus_commander.store.postgres.url import Target, parse_url


class PostgresStore(TimelineQueries, SampleQueries, ReviewQueries, RetentionQueries):
    """An open incident database on a PostgreSQL server. One per thread."""

    #: A server database has no file (see :attr:`location`).
    path: Path | None = None

    def __init__(self, conn: Conn, target: Target, *, readonly: bool = False) -> None:
        self.conn = RedactingConnection(conn, target.shown)
        self.target = target
        #: The URL as given (it holds no password): what messages name.
        self.location = target.shown
        self.readonly = readonly
        self._probe_ids: dict[str, int] = {}
        self._pending_after_commit: list[Callable[[], None]] = []
        self._depth = 0
        #: Inside a write: the timeline head (last seq and hash; ``None``: no event yet) of each
        #: incident whose row this transaction locked or created (``timeline.py``); a savepoint
        #: rolled back restores what it was before.
        self.heads: dict[int, tuple[int, str] | None] = {}

    @classmethod
    def open(
        cls, url: str, *, create: bool = True, readonly: bool = False, check: bool = False
    ) -> PostgresStore:
        """Open the database ``url`` names (see ``url.py`` for its rules).

        ``create``: the tables are created in a database without them (else :class:`StoreError`
        "no Stratus Commander database there"). ``readonly``: the caller only reads; an older
        schema is still brought up to date first, as with SQLite. ``check``: read the timeline
        heads once up front (one-off writers), so damage the server reports stops the command
        before it records.
        """
        target = parse_url(url)
        conn = connect(target)
        try:
            prepare(conn, target.shown, create=create)
            if readonly:
                conn.execute("SET default_transaction_read_only = on")
            store = cls(conn, target, readonly=readonly)
            if check:
                store.query(
                    "SELECT e.seq FROM incidents i JOIN events e ON e.incident_id = i.id "
                    "AND e.seq = i.event_count"
                )
        except psycopg.Error as exc:
            conn.close()
            raise translate_error(exc, target.shown) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def answers(self, timeout_s: int = 3) -> bool:
        """Whether the server takes a connection now (a fresh one, closed at once: this may be
        asked from any thread)."""
        try:
            connect(self.target, timeout_s).close()
        except StoreError:
            return False
        return True

    def reconnect(self) -> None:
        """A fresh connection after the server went away (:class:`StoreUnreachable` while it
        still is; the old connection is closed once the new one works). Not inside a write."""
        conn = connect(self.target)
        try:
            if self.readonly:
                conn.execute("SET default_transaction_read_only = on")
        except psycopg.Error as exc:
            conn.close()
            raise translate_error(exc, self.location) from exc
        old, self.conn = self.conn, RedactingConnection(conn, self.target.shown)
        old.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions --------------------------------------------------------------------------

    @property
    def writing(self) -> bool:
        """Inside :meth:`write`."""
        return self._depth > 0

    @contextmanager
    def write(self) -> Iterator[RedactingConnection]:
        """One durable write transaction; nested use joins the outer one through a savepoint
        (a domain action that writes its own tables and then a timeline event commits both or
        neither)."""
        if self.readonly:
            raise StoreReadOnly("opened read-only; this command records to it", where=self.location)
        outer = self._depth == 0
        heads = dict(self.heads)
        try:
            with self.conn.raw.transaction():
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
        except BaseException as exc:
            if outer:
                self._pending_after_commit.clear()
            else:  # the savepoint is gone, and the events appended in it
                self.heads = heads
            if isinstance(exc, psycopg.Error):
                raise translate_error(exc, self.location) from exc
            raise
        finally:
            if outer:
                self.heads.clear()  # known only while the transaction holds the rows' locks
        if outer:
            pending, self._pending_after_commit = self._pending_after_commit, []
            for callback in pending:
                callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what is being written is committed (at once outside a write)."""
        if self.writing:
            self._pending_after_commit.append(callback)
        else:
            callback()

    def watch(
        self, callback: Callback, on_samples: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        """Call ``callback(incident_id, seq)`` on another thread for every event any process
        commits to this database (``(None, 0)`` after a lost connection came back), and
        ``on_samples()`` for every batch of samples or flip; returns the function that stops it."""
        return Watcher(self.target, callback, on_samples).start().stop

    # --- reading -------------------------------------------------------------------------------

    def query(
        self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows as dicts."""
        cursor = self.conn.execute(sql, params)
        result = cursor.pgresult
        if result is None:
            return []
        # The names alone (not ``description``, which builds a column object each, every time).
        names = [(result.fname(i) or b"").decode() for i in range(result.nfields)]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def tuples(
        self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Rows as tuples."""
        return self.conn.execute(sql, params).fetchall()

    def refresh_rollup(self) -> int:
        return refresh(self)

    def check_groups(self) -> list[str]:
        return check_groups(self)

    def first_failure_since(self, since_ms: int) -> dict[str, Any] | None:
        """The earliest flip to a failing state after ``since_ms``: the detection evidence."""
        rows = self.query(
            'SELECT f.at_ms, f.current, f.detail, p.name AS probe, p."check" AS "check" '
            "FROM flips f JOIN probes p ON p.id = f.probe_id "
            "WHERE f.at_ms >= %s AND f.current IN ('down', 'degraded') ORDER BY f.at_ms LIMIT 1",
            [since_ms],
        )
        return rows[0] if rows else None
