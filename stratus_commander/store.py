"""The one SQLite file that holds every incident, its timeline and the probes' samples.

A connection we open ourselves in autocommit mode, so every write is an explicit, short
transaction; the schema is sqlite-utils migrations (stratus_commander/migrations.py). WAL lets
the GUI read while the recorder writes; ``synchronous=FULL`` makes each committed timeline event
survive a crash or power cut (an event the user saw acknowledged is on disk). Probe samples
arrive in batches: one transaction (one fsync) per batch.

Every statement runs through :class:`RedactingConnection`, the one place every write passes: each
text parameter is redacted (:func:`~stratus_commander.secrets.redact`) and each :class:`Json`
document has its strings redacted before it is serialised. No secret reaches the file, whichever
feature wrote it; anything hashed or digested over stored text hashes the redacted form
(:func:`digest`, the timeline's chain).

A file that is not SQLite, is truncated, is someone else's database or has a newer schema than this
app knows raises :class:`StoreError` *before* anything is written to it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from stratus_commander.errors import StoreError
from stratus_commander.secrets import redact, redact_data

_SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000

#: The schema: sqlite-utils migrations in stratus_commander/migrations.py, by name, in order.
MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' own
MIGRATION_SET = "stratus_commander"
MIGRATIONS = (
    "m001_initial",
    "m002_review_credits",
    "m003_credits_by_month",
    "m004_redact_stored",
)

#: Sample outcome codes (compact storage); the order is "how bad".
OUTCOME_CODES = {"up": 0, "degraded": 1, "down": 2, "unknown": 3}
OUTCOME_NAMES = {v: k for k, v in OUTCOME_CODES.items()}


class SampleRow(NamedTuple):
    """One probe sample (a tuple: cheap to build by the million)."""

    probe: str
    kind: str
    check: str
    at_ms: int
    outcome: str
    latency_ms: float | None
    detail: str | None = None
    metrics: str | None = None  # JSON text


@dataclass(frozen=True, slots=True)
class Json:
    """A JSON document to store: its strings are redacted, then it is serialised (compact keys
    order kept unless ``sort_keys``)."""

    value: Any
    sort_keys: bool = False

    def text(self) -> str:
        return json.dumps(redact_data(self.value), ensure_ascii=False, sort_keys=self.sort_keys)


def digest(data: Any) -> str:
    """SHA-256 of a document as it is stored (redacted, canonical JSON): what integrity checks
    compare a stored record with."""
    text = json.dumps(redact_data(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean(value: Any) -> Any:
    kind = type(value)  # exact types: this runs for every parameter of every row
    if kind is str:
        return redact(value)
    if kind is Json:
        return value.text()
    return value


def _clean_params(params: Any) -> Any:
    if isinstance(params, Mapping):
        return {k: _clean(v) for k, v in params.items()}
    return [*map(_clean, params)]


class RedactingConnection:
    """The store's connection: ``execute``/``executemany`` redact every text parameter and
    serialise :class:`Json` ones; everything else is the sqlite3 connection's own."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, _clean_params(params))

    def executemany(
        self, sql: str, rows: Iterable[Iterable[Any] | Mapping[str, Any]]
    ) -> sqlite3.Cursor:
        return self.raw.executemany(sql, (_clean_params(row) for row in rows))

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def close(self) -> None:
        self.raw.close()


def _inspect_existing(path: Path) -> None:
    """Refuse, without writing a byte, a file we must not touch."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        header = fh.read(100)
    if size == 0:
        raise StoreError("empty file, not a Stratus Commander database", where=str(path))
    if not header.startswith(_SQLITE_MAGIC):
        raise StoreError("not an SQLite database (wrong file header)", where=str(path))
    if len(header) < 100:
        raise StoreError("truncated SQLite file (header cut short)", where=str(path))
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count = struct.unpack(">II", header[24:32])
    version_valid_for = struct.unpack(">I", header[92:96])[0]
    wal = path.with_name(path.name + "-wal")
    # The in-header page count is only trustworthy when it was written with the change counter,
    # and a live WAL may legitimately hold pages the main file does not have yet.
    if change_counter == version_valid_for and not wal.exists() and size < page_size * page_count:
        raise StoreError(
            f"truncated SQLite file ({size} bytes, header says {page_size * page_count})",
            where=str(path),
        )
    try:
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            applied = _applied(ro, tables)
        finally:
            ro.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"unreadable SQLite database: {exc}", where=str(path)) from exc
    if tables and not applied:
        raise StoreError(
            "an SQLite database of another application (no Stratus Commander schema); "
            "choose another --db path",
            where=str(path),
        )
    unknown = applied - set(MIGRATIONS)
    if unknown:
        raise StoreError(
            f"created by a newer Stratus Commander (schema {', '.join(sorted(unknown))}); "
            "upgrade the app to open it",
            where=str(path),
        )


def _applied(conn: sqlite3.Connection, tables: set[str]) -> set[str]:
    if MIGRATIONS_TABLE not in tables:
        return set()
    rows = conn.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", [MIGRATION_SET]
    )
    return {r[0] for r in rows}


class Store:
    """An open incident database. One per thread: sqlite connections are not shared."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = RedactingConnection(conn)
        self.path = path
        self._probe_ids: dict[str, int] = {}
        self._pending_after_commit: list[Callable[[], None]] = []
        self._savepoints = 0

    @classmethod
    def open(cls, path: Path | str) -> Store:
        path = Path(path)
        if path.is_dir():
            raise StoreError("is a directory, expected a database file", where=str(path))
        if path.exists():
            _inspect_existing(path)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create its folder: {exc}", where=str(path)) from exc
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open: {exc}", where=str(path)) from exc
        return cls._setup(conn, path)

    @classmethod
    def memory(cls) -> Store:
        """An in-memory store for logic tests and throw-away use."""
        return cls._setup(sqlite3.connect(":memory:", isolation_level=None), None)

    @classmethod
    def _setup(cls, conn: sqlite3.Connection, path: Path | None) -> Store:
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not set(MIGRATIONS) <= _applied(conn, tables):
                from stratus_commander.migrations import apply  # sqlite-utils: only when needed

                apply(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot prepare the database: {exc}", where=str(path)) from exc
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[RedactingConnection]:
        """One durable write transaction; IMMEDIATE so concurrent writers (GUI + CLI) serialise
        before they read what they will build on (the hash chain's previous link).

        Nested use joins the outer transaction through a savepoint: a domain action that writes
        its own tables and then a timeline event commits both or neither.
        """
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

    def query(
        self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        args = dict(params) if isinstance(params, Mapping) else list(params)
        cursor = self.conn.execute(sql, args)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # --- probes and samples -----------------------------------------------------------------

    def probe_id(self, name: str, kind: str, check: str) -> int:
        """The integer key of a probe, registering it on first sight."""
        cached = self._probe_ids.get(name)
        if cached is not None:
            return cached
        conn = self.conn
        row = conn.execute("SELECT id FROM probes WHERE name = ?", [name]).fetchone()
        if row is None:
            conn.execute(
                'INSERT OR IGNORE INTO probes (name, kind, "check") VALUES (?, ?, ?)',
                [name, kind, check],
            )
            row = conn.execute("SELECT id FROM probes WHERE name = ?", [name]).fetchone()
        self._probe_ids[name] = row[0]
        return int(row[0])

    def add_samples(self, rows: Iterable[SampleRow]) -> int:
        """Write a batch of samples in one transaction (one fsync); returns how many."""
        rows = list(rows)
        for r in rows:
            if r.probe not in self._probe_ids:  # first sight: registered outside the batch
                self.probe_id(r.probe, r.kind, r.check)
        ids, codes = self._probe_ids, OUTCOME_CODES
        # Redacted here, the two text columns only (most rows have neither): cleaning every
        # parameter of a million rows in RedactingConnection would cost a third of the insert.
        params = [
            (
                ids[r.probe],
                r.at_ms,
                codes[r.outcome],
                r.latency_ms,
                r.detail and redact(r.detail),
                r.metrics and redact(r.metrics),
            )
            for r in rows
        ]
        if not params:
            return 0
        with self.write() as conn:
            conn.raw.executemany(
                "INSERT OR REPLACE INTO samples "
                "(probe_id, at_ms, outcome, latency_ms, detail, metrics) VALUES (?, ?, ?, ?, ?, ?)",
                params,
            )
        return len(params)

    def add_flip(
        self,
        probe: str,
        kind: str,
        check: str,
        at_ms: int,
        previous: str | None,
        current: str,
        detail: str,
    ) -> None:
        pid = self.probe_id(probe, kind, check)
        with self.write() as conn:
            conn.execute(
                "INSERT INTO flips (probe_id, at_ms, previous, current, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                [pid, at_ms, previous, current, detail],
            )

    def first_failure_since(self, since_ms: int) -> dict[str, Any] | None:
        """The earliest flip to a failing state after ``since_ms``: the detection evidence."""
        rows = self.query(
            'SELECT f.at_ms, f.current, f.detail, p.name AS probe, p."check" AS "check" '
            "FROM flips f JOIN probes p ON p.id = f.probe_id "
            "WHERE f.at_ms >= ? AND f.current IN ('down', 'degraded') ORDER BY f.at_ms LIMIT 1",
            [since_ms],
        )
        return rows[0] if rows else None


# --- review and credits ---------------------------------------------------------------------------

# One row per probe and minute: what uptime, credits and the review's graphs read instead of
# millions of raw samples (keyed by check group first, so a group's minutes come out in order
# without a sort). Writing samples only marks their minute dirty (a trigger that costs ~10 % on a
# batched insert, once per probe-minute); refresh_sample_minutes() recomputes the dirty minutes
# from their samples, so INSERT OR REPLACE, deletes and updates all end up exact.
# One pass over the samples of the dirty minutes. The four outcome counts travel packed in one
# integer (16 bits each; a probe has at most 60 000 samples a minute), which halves the per-row
# work of a catch-up over a day of 1 Hz data.
_ROLLUP = """
INSERT INTO sample_minutes ("check", minute, probe_id, n, n_known, n_degraded, n_down, lat_max)
SELECT "check", minute, probe_id,
       (c & 65535) + (c >> 16 & 65535) + (c >> 32 & 65535) + (c >> 48),
       (c & 65535) + (c >> 16 & 65535) + (c >> 32 & 65535),
       c >> 16 & 65535, c >> 32 & 65535, lat_max
FROM (SELECT p."check" AS "check", {minute} AS minute, {probe} AS probe_id,
             sum(1 << (s.outcome * 16)) AS c, max(s.latency_ms) AS lat_max
      FROM {source}
      GROUP BY {probe}, {minute})
"""
# CROSS JOIN pins the order: walk the dirty minutes, range-scan each one's samples (left to
# itself the planner may scan every sample and look the minute up, which is quadratic).
_REFRESH_MINUTES = _ROLLUP.format(
    minute="d.minute",
    probe="d.probe_id",
    source="sample_minutes_dirty d CROSS JOIN samples s ON s.probe_id = d.probe_id "
    "AND s.at_ms >= d.minute * 60000 AND s.at_ms < d.minute * 60000 + 60000 "
    "JOIN probes p ON p.id = d.probe_id",
)
_REBUILD_MINUTES = _ROLLUP.format(
    minute="s.at_ms / 60000",
    probe="s.probe_id",
    source="samples s JOIN probes p ON p.id = s.probe_id",
)


def refresh_sample_minutes(store: Store) -> int:
    """Recompute the minutes written since the last refresh; returns how many were dirty.

    Every reader of ``sample_minutes`` calls this first; a recorder may call it now and then
    (each call is cheap when little has changed) so the first review after a long recording does
    not have to catch up on all of it.
    """
    conn = store.conn
    if conn.execute("SELECT 1 FROM sample_minutes_dirty LIMIT 1").fetchone() is None:
        return 0
    with store.write():
        dirty = conn.execute("SELECT count(*) FROM sample_minutes_dirty").fetchone()[0]
        conn.execute(
            'DELETE FROM sample_minutes WHERE ("check", minute, probe_id) IN ('
            'SELECT p."check", d.minute, d.probe_id FROM sample_minutes_dirty d '
            "JOIN probes p ON p.id = d.probe_id)"
        )
        conn.execute(_REFRESH_MINUTES)
        conn.execute("DELETE FROM sample_minutes_dirty")
    return int(dirty)


def rebuild_sample_minutes(conn: sqlite3.Connection) -> None:
    """Recompute the whole minute rollup from the samples (migration back-fill, repair)."""
    conn.execute("DELETE FROM sample_minutes")
    conn.execute("DELETE FROM sample_minutes_dirty")
    conn.execute(_REBUILD_MINUTES)


def check_groups(store: Store) -> list[str]:
    """The probe check groups that have probes, in the runbook's triage order first."""
    order = ("api", "webhooks", "database", "external")
    found = {r["check"] for r in store.query('SELECT DISTINCT "check" FROM probes')}
    return [g for g in order if g in found] + sorted(found - set(order))
