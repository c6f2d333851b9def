"""The SQLite backend of the store: one file in WAL mode, ``synchronous=FULL``.

A connection we open ourselves in autocommit mode, so every write is an explicit, short
transaction; the schema is sqlite-utils migrations (``migrations.py`` beside this). WAL lets the
GUI read while the recorder writes; ``synchronous=FULL`` makes each committed timeline event
survive a crash or power cut (an event the user saw acknowledged is on disk). Probe samples arrive
in batches: one transaction (one fsync) per batch. ``readonly=True`` opens ``mode=ro`` and writes
nothing; a command that would record to a read-only file gets :class:`StoreReadOnly`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stratus_commander.errors import StoreDamaged, StoreError, StoreReadOnly
from stratus_commander.store.sqlite.connection import (
    BUSY_TIMEOUT_MS,
    RedactingConnection,
    translate_error,
)
from stratus_commander.store.sqlite.files import (
    applied_migrations,
    check_health,
    connect_ro,
    create_database,
    inspect_existing,
    no_writer,
    read_only_file,
    remove_abandoned_builds,
    roll_back_hot_journal,
)
from stratus_commander.store.sqlite.retention import RetentionQueries
from stratus_commander.store.sqlite.reviews import ReviewQueries
from stratus_commander.store.sqlite.rollup import check_groups, refresh_sample_minutes
from stratus_commander.store.sqlite.samples import SampleQueries
from stratus_commander.store.sqlite.schema import MIGRATIONS
from stratus_commander.store.sqlite.timeline import TimelineQueries


class SqliteStore(TimelineQueries, SampleQueries, ReviewQueries, RetentionQueries):
    """An open incident database. One per thread: sqlite connections are not shared."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None, readonly: bool = False) -> None:
        self.conn = RedactingConnection(conn)
        self.path = path
        self.location = str(path) if path is not None else ":memory:"
        #: Opened ``mode=ro``: nothing is written (the minute rollup is brought up to date in
        #: TEMP tables of this connection instead, see :func:`refresh_sample_minutes`).
        self.readonly = readonly
        self._probe_ids: dict[str, int] = {}
        self._pending_after_commit: list[Callable[[], None]] = []
        self._savepoints = 0

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        create: bool = True,
        readonly: bool = False,
        check: bool = False,
    ) -> SqliteStore:
        """Open the database at ``path``.

        ``create``: a missing file is created (else :class:`StoreError` "no database at ...").
        ``readonly``: the caller only reads; the connection is ``mode=ro``. An older schema or an
        interrupted write is still brought up to date first when the file may be written (what
        any open did before); a read-only file is never written at all.
        ``check``: refuse (:class:`StoreDamaged`) a file whose timeline tables are damaged; for
        one-off writers (a CLI command), as it reads the whole timeline.
        """
        path = Path(path)
        if path.is_dir():
            raise StoreError("is a directory, expected a database file", where=str(path))
        if not path.exists():
            if path.is_symlink():
                raise StoreError("a symbolic link to a missing file", where=str(path))
            if not create:
                raise StoreError(
                    f"no database at {path} (a mistyped --db or STRATUS_COMMANDER_DB? "
                    "`incidents declare` creates one)"
                )
            create_database(path)
        found = inspect_existing(path)
        locked = read_only_file(path)
        if not readonly and locked:
            raise StoreReadOnly(
                "read-only file; this command records to it, so make it writable (chmod u+w) or "
                "use a writable copy (reading commands such as list, show, verify, export and "
                "review work on it as it is)",
                where=str(path),
            )
        if not readonly and not os.access(path.parent, os.W_OK | os.X_OK):
            raise StoreReadOnly(
                f"its folder is read-only, and SQLite keeps {path.name}-wal beside it while "
                "writing; use a copy in a writable folder",
                where=str(path),
            )
        if found.hot_journal:
            if locked:
                raise StoreError(
                    f"an interrupted write left {path.name}-journal, and only a writer can roll it "
                    "back: make a writable copy of both files and open that",
                    where=str(path),
                )
            try:
                roll_back_hot_journal(path)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot roll back {path.name}-journal: {exc}", str(path)) from exc
            found = inspect_existing(path)
        if readonly:
            if not found.current:
                if locked:
                    raise StoreError(
                        "written by an older Stratus Commander and read-only, so it cannot be "
                        "upgraded: open a writable copy",
                        where=str(path),
                    )
                cls._open_rw(path).close()  # the upgrade, then the read-only connection
            try:
                # A file nobody may write, with no writer live: read it as immutable, so not even
                # a -wal or -shm appears beside it.
                conn = connect_ro(path, immutable=locked and no_writer(path))
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open: {exc}", where=str(path)) from exc
            return cls(conn, path, readonly=True)
        remove_abandoned_builds(path)  # a creator killed after linking its build in place
        store = cls._open_rw(path)
        if check:
            try:
                check_health(store.conn.raw, path)
            except BaseException:
                store.close()
                raise
        return store

    @classmethod
    def _open_rw(cls, path: Path) -> SqliteStore:
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open: {exc}", where=str(path)) from exc
        return cls._setup(conn, path)

    @classmethod
    def memory(cls) -> SqliteStore:
        """An in-memory store for logic tests and throw-away use."""
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # before the first table
        return cls._setup(conn, None)

    @classmethod
    def _setup(cls, conn: sqlite3.Connection, path: Path | None) -> SqliteStore:
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not set(MIGRATIONS) <= applied_migrations(conn, tables):
                from stratus_commander.store.sqlite.migrations import (
                    apply,  # sqlite-utils: only when needed
                )

                apply(conn)  # one transaction that re-reads what is pending under its lock
        except sqlite3.Error as exc:
            conn.close()
            ours = translate_error(exc, str(path))
            if isinstance(ours, StoreDamaged | StoreReadOnly):
                raise ours from exc
            raise StoreError(f"cannot prepare the database: {exc}", where=str(path)) from exc
        except BaseException:  # ours, from a migration's statements: the connection goes too
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[RedactingConnection]:
        """One durable write transaction; IMMEDIATE so concurrent writers (GUI + CLI) serialise
        before they read what they will build on (the hash chain's previous link).

        Nested use joins the outer transaction through a savepoint: a domain action that writes
        its own tables and then a timeline event commits both or neither. A read-only store
        refuses (:class:`StoreReadOnly`) before anything starts.
        """
        if self.readonly:
            raise StoreReadOnly("opened read-only; this command records to it", where=self.location)
        conn = self.conn
        if conn.in_transaction:
            self._savepoints += 1
            name = f"nested_{self._savepoints}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield conn
            except BaseException:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            self._pending_after_commit.clear()
            raise
        conn.execute("COMMIT")
        pending, self._pending_after_commit = self._pending_after_commit, []
        for callback in pending:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what is being written is committed (at once outside a write)."""
        if self.conn.in_transaction:
            self._pending_after_commit.append(callback)
        else:
            callback()

    def watch(
        self,
        callback: Callable[[int | None, int], None],
        on_samples: Callable[[], None] | None = None,
    ) -> Callable[[], None] | None:
        """No other cockpit writes to a solo file: nothing to watch."""
        return None

    def query(
        self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        args = dict(params) if isinstance(params, Mapping) else list(params)
        try:
            cursor = self.conn.execute(sql, args)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor]
        except sqlite3.Error as exc:
            ours = translate_error(exc, str(self.path or "the in-memory database"))
            if ours is None:
                raise
            raise ours from exc

    def refresh_rollup(self) -> int:
        return refresh_sample_minutes(self)

    def check_groups(self) -> list[str]:
        return check_groups(self)

    def first_failure_since(self, since_ms: int) -> dict[str, Any] | None:
        """The earliest flip to a failing state after ``since_ms``: the detection evidence."""
        rows = self.query(
            'SELECT f.at_ms, f.current, f.detail, p.name AS probe, p."check" AS "check" '
            "FROM flips f JOIN probes p ON p.id = f.probe_id "
            "WHERE f.at_ms >= ? AND f.current IN ('down', 'degraded') ORDER BY f.at_ms LIMIT 1",
            [since_ms],
        )
        return rows[0] if rows else None
