"""The one SQLite file that holds every incident, its timeline and the probes' samples.

A connection we open ourselves in autocommit mode, so every write is an explicit, short
transaction; the schema is sqlite-utils migrations (stratus_commander/migrations.py). WAL lets
the GUI read while the recorder writes; ``synchronous=FULL`` makes each committed timeline event
survive a crash or power cut (an event the user saw acknowledged is on disk). Probe samples
arrive in batches: one transaction (one fsync) per batch.

Opening never bricks, creates or changes what it should not:

- A new database is built beside its path under a temporary name, every migration applied, then
  linked into place whole (never over an existing file): a crash leaves no file or a complete one,
  and of processes creating one path at once, one wins and the others open its file.
- A file that is not SQLite, is truncated, is someone else's database or has a newer schema than
  this app knows raises :class:`StoreError` *before* anything is written to it (or beside it: it is
  inspected as immutable when no writer is live, so no ``-wal``/``-shm`` appears).
- ``readonly=True`` opens ``mode=ro`` and writes nothing; a file without write permission (by its
  mode bits, which root ignores but we do not) is only ever opened that way, and a command that
  would record to it gets :class:`StoreReadOnly`.
- Damage met while reading (corrupt pages, text that no longer decodes) becomes
  :class:`StoreDamaged` here, so no caller needs to know sqlite3's exceptions.
- Every statement runs through :class:`RedactingConnection`, the one place every write
  passes: each text parameter is redacted (:func:`~stratus_commander.secrets.redact`) and
  each :class:`Json` document has its strings redacted before it is serialised. No secret
  reaches the file, whichever feature wrote it; anything hashed or digested over stored text
  hashes the redacted form (:func:`digest`, the timeline's chain).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import sqlite3
import struct
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from stratus_commander.errors import StoreDamaged, StoreError, StoreReadOnly, StratusError
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

# A database being built carries this in its temporary name (".incidents.db.<pid>.<hex>.building").
_BUILDING = ".building"
# os.link fails with these where the file system has no hard links (FAT, some FUSE and SMB mounts).
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV}

# SQLite result codes (the primary code is the low byte of an extended one).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
_SQLITE_READONLY_ROLLBACK = 776  # a hot journal that a read-only connection cannot roll back


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


# --- sqlite3's errors as ours ---------------------------------------------------------------------


def translate_error(exc: sqlite3.Error, where: str) -> StratusError | None:
    """What the user should hear about ``exc``, or None for a programming error (a bug to see)."""
    text = str(exc)
    if text.startswith("Could not decode to UTF-8"):  # the bytes of a text value changed
        return StoreDamaged(text.split(" with text ")[0].replace("Could not", "could not"), where)
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreDamaged(text, where)
    if code == _SQLITE_READONLY:
        return StoreReadOnly(f"cannot write ({text})", where=where)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreError(
            f"{text}: another program held it for over {BUSY_TIMEOUT_MS // 1000} s; try again",
            where=where,
        )
    if code in (_SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN):
        return StoreError(f"cannot read or write it: {text}", where=where)
    return None


def _file_of(conn: sqlite3.Connection | RedactingConnection) -> str:
    try:
        rows = conn.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return "the database"
    return next((r[2] for r in rows if r[1] == "main" and r[2]), "the in-memory database")


def damage(conn: sqlite3.Connection | RedactingConnection, detail: str) -> StoreDamaged:
    """The error for a value read back that the app cannot have written (damaged bytes)."""
    return StoreDamaged(detail, _file_of(conn))


@contextmanager
def translate_errors(conn: sqlite3.Connection | RedactingConnection) -> Iterator[None]:
    """Raise our exception (:class:`StoreDamaged` ...) for a sqlite3 error met by a reader."""
    try:
        yield
    except sqlite3.Error as exc:
        ours = translate_error(exc, _file_of(conn))
        if ours is None:
            raise
        raise ours from exc


# --- inspecting and creating the file -------------------------------------------------------------


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _no_writer(path: Path) -> bool:
    """No connection has the file open in WAL mode (its -wal is deleted when the last one closes)
    and no interrupted transaction left a rollback journal: the bytes are all in the file."""
    return not _sidecar(path, "-wal").exists() and not _sidecar(path, "-journal").exists()


def _read_only_file(path: Path) -> bool:
    """The file may not be written: no write permission for us, or none for anyone in its mode
    bits. Root passes every permission check, but ``chmod a-w`` is still the owner saying "do not
    write this", so the mode bits count too."""
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def _connect_ro(path: Path, *, immutable: bool) -> sqlite3.Connection:
    """A connection that cannot write the file. ``immutable``: SQLite takes no locks and creates
    no -wal/-shm beside it; only right when no writer is live (see :func:`_no_writer`)."""
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)


class _Found(NamedTuple):
    current: bool  # every migration applied: nothing to write before use
    hot_journal: bool  # an interrupted write left a journal that only a writer can roll back


def _inspect_existing(path: Path) -> _Found:
    """Refuse, without writing a byte (or creating one beside it), a file we must not touch."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        header = fh.read(100)
    if size == 0:
        raise StoreError(
            "empty file, not a Stratus Commander database (it holds nothing: delete it or "
            "choose another --db path)",
            where=str(path),
        )
    if not header.startswith(_SQLITE_MAGIC):
        raise StoreError("not an SQLite database (wrong file header)", where=str(path))
    if len(header) < 100:
        raise StoreError("truncated SQLite file (header cut short)", where=str(path))
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count = struct.unpack(">II", header[24:32])
    version_valid_for = struct.unpack(">I", header[92:96])[0]
    wal = _sidecar(path, "-wal")
    # The in-header page count is only trustworthy when it was written with the change counter,
    # and a live WAL may legitimately hold pages the main file does not have yet.
    if change_counter == version_valid_for and not wal.exists() and size < page_size * page_count:
        raise StoreError(
            f"truncated SQLite file ({size} bytes, header says {page_size * page_count})",
            where=str(path),
        )
    immutable = _no_writer(path)
    try:
        try:
            tables, applied, unfinished = _read_schema(path, immutable=immutable)
        except sqlite3.Error:
            if not immutable:
                raise
            # A writer may have started between the look and the read (an immutable read takes
            # no lock): look again the careful way before calling the file unreadable.
            tables, applied, unfinished = _read_schema(path, immutable=False)
    except sqlite3.Error as exc:
        if exc.sqlite_errorcode == _SQLITE_READONLY_ROLLBACK:
            return _Found(current=False, hot_journal=True)
        ours = translate_error(exc, str(path))
        if isinstance(ours, StoreDamaged):
            raise ours from exc
        raise StoreError(f"unreadable SQLite database: {exc}", where=str(path)) from exc
    if tables and not applied and not unfinished:
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
    return _Found(current=set(MIGRATIONS) <= applied, hot_journal=False)


def _read_schema(path: Path, *, immutable: bool) -> tuple[set[str], set[str], bool]:
    """The file's tables, our migrations applied, and whether it is an unfinished creation by an
    older version (killed after sqlite-utils made its empty table, before our first migration)."""
    ro = _connect_ro(path, immutable=immutable)
    try:
        tables = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied = _applied(ro, tables)
        unfinished = (
            tables == {MIGRATIONS_TABLE}
            and not ro.execute(f"SELECT 1 FROM {MIGRATIONS_TABLE} LIMIT 1").fetchone()
        )
    finally:
        ro.close()
    return tables, applied, unfinished


def _applied(conn: sqlite3.Connection, tables: set[str]) -> set[str]:
    if MIGRATIONS_TABLE not in tables:
        return set()
    rows = conn.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", [MIGRATION_SET]
    )
    return {r[0] for r in rows}


def _create(path: Path) -> None:
    """Build a complete database beside ``path`` and link it into place, never over a file.

    Returns once ``path`` exists: ours, or that of a process that won the race to create it.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create its folder: {exc}", where=str(path)) from exc
    _remove_abandoned_builds(path)
    temp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_BUILDING}"
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            # Nothing to protect until it is linked into place: no journal file, no fsync per
            # step; one fsync of the finished file below.
            conn.execute("PRAGMA journal_mode = MEMORY")
            conn.execute("PRAGMA synchronous = OFF")
            from stratus_commander.migrations import apply  # sqlite-utils: only when needed

            apply(conn)
            conn.execute("PRAGMA journal_mode = WAL")  # recorded in the file's header
        finally:
            conn.close()  # the last connection: its -wal is folded in and deleted
        if _sidecar(temp, "-wal").exists():
            raise OSError(errno.EIO, f"{temp.name}-wal left after closing")
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _link_into_place(temp, path)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot create the database: {exc}", where=str(path)) from exc
    finally:
        for leftover in (temp, *(_sidecar(temp, s) for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)


def _link_into_place(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)  # fails, changing nothing, if path exists
    except FileExistsError:
        return  # another process created it first: its file is whole, use it
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        _rename_without_clobber(temp, path)
    _fsync_folder(path.parent)  # the new name survives a power cut


def _rename_without_clobber(temp: Path, path: Path) -> None:
    """For file systems without hard links: Windows' rename refuses an existing target; on POSIX
    (where rename replaces it) creators take turns under a lock on the folder."""
    if sys.platform == "win32":
        with suppress(FileExistsError):
            os.rename(temp, path)
        return
    import fcntl

    fd = os.open(path.parent, os.O_RDONLY)
    try:
        with suppress(OSError):  # no locks either: the exists check still narrows the race
            fcntl.flock(fd, fcntl.LOCK_EX)
        if not os.path.lexists(path):
            os.rename(temp, path)
    finally:
        os.close(fd)  # and with it the lock


def _fsync_folder(folder: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_abandoned_builds(path: Path) -> None:
    """Delete what builders killed mid-way left beside ``path`` (their process is gone)."""
    if sys.platform == "win32":
        return
    prefix = f".{path.name}."
    try:
        names = [n for n in os.listdir(path.parent) if n.startswith(prefix) and _BUILDING in n]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            (path.parent / name).unlink(missing_ok=True)
        except OSError:
            continue  # alive, another user's


def _roll_back_hot_journal(path: Path) -> None:
    """Let SQLite roll back what an interrupted write left in ``-journal`` (only a connection
    that may write can); the file returns to its last committed state."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()


def _check_health(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to record into a damaged timeline: the incidents and events tables' pages (O(their
    size), so for one-off writers such as a CLI command, never per event), and the chain heads an
    append reads back."""
    with translate_errors(conn):
        for table in ("incidents", "events"):
            problems = [r[0] for r in conn.execute(f"PRAGMA quick_check({table})")]
            if problems != ["ok"]:
                raise StoreDamaged(f"{table}: {problems[0]}", str(path))
        conn.execute(
            "SELECT e.* FROM incidents i JOIN events e ON e.incident_id = i.id "
            "AND e.seq = i.event_count"
        ).fetchall()


class Store:
    """An open incident database. One per thread: sqlite connections are not shared."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None, readonly: bool = False) -> None:
        self.conn = RedactingConnection(conn)
        self.path = path
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
    ) -> Store:
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
            _create(path)
        found = _inspect_existing(path)
        locked = _read_only_file(path)
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
                _roll_back_hot_journal(path)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot roll back {path.name}-journal: {exc}", str(path)) from exc
            found = _inspect_existing(path)
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
                conn = _connect_ro(path, immutable=locked and _no_writer(path))
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open: {exc}", where=str(path)) from exc
            return cls(conn, path, readonly=True)
        _remove_abandoned_builds(path)  # a creator killed after linking its build in place
        store = cls._open_rw(path)
        if check:
            try:
                _check_health(store.conn.raw, path)
            except BaseException:
                store.close()
                raise
        return store

    @classmethod
    def _open_rw(cls, path: Path) -> Store:
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

                apply(conn)  # one transaction that re-reads what is pending under its lock
        except sqlite3.Error as exc:
            conn.close()
            ours = translate_error(exc, str(path))
            if isinstance(ours, StoreDamaged | StoreReadOnly):
                raise ours from exc
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
        try:
            cursor = self.conn.execute(sql, args)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor]
        except sqlite3.Error as exc:
            ours = translate_error(exc, str(self.path or "the in-memory database"))
            if ours is None:
                raise
            raise ours from exc

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
INSERT INTO {target} ("check", minute, probe_id, n, n_known, n_degraded, n_down, lat_max)
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
    target="sample_minutes",
    minute="d.minute",
    probe="d.probe_id",
    source="sample_minutes_dirty d CROSS JOIN samples s ON s.probe_id = d.probe_id "
    "AND s.at_ms >= d.minute * 60000 AND s.at_ms < d.minute * 60000 + 60000 "
    "JOIN probes p ON p.id = d.probe_id",
)
_REBUILD_MINUTES = _ROLLUP.format(
    target="sample_minutes",
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
    if store.readonly:
        return _shadow_sample_minutes(conn.raw)
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


# A read-only connection cannot bring the rollup up to date, but it may create TEMP objects, and
# an unqualified name finds the temp schema first: the dirty minutes recomputed into a TEMP table,
# and a TEMP VIEW named sample_minutes over the stored rollup without those minutes plus the
# recomputed ones. Readers get exact figures with the same SQL; the view's WHERE is pushed into
# both arms, so the stored rollup is still read by its primary key.
_SHADOW_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS sample_minutes_stale (
    probe_id INTEGER NOT NULL, minute INTEGER NOT NULL, PRIMARY KEY (probe_id, minute)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS sample_minutes_fresh (
    "check" TEXT NOT NULL, minute INTEGER NOT NULL, probe_id INTEGER NOT NULL, n INTEGER NOT NULL,
    n_known INTEGER NOT NULL, n_degraded INTEGER NOT NULL, n_down INTEGER NOT NULL, lat_max REAL,
    PRIMARY KEY ("check", minute, probe_id)
) WITHOUT ROWID;
CREATE TEMP VIEW IF NOT EXISTS sample_minutes AS
SELECT * FROM main.sample_minutes m WHERE NOT EXISTS (
    SELECT 1 FROM temp.sample_minutes_stale d WHERE d.probe_id = m.probe_id AND d.minute = m.minute)
UNION ALL SELECT * FROM temp.sample_minutes_fresh;
"""
_SHADOW_MINUTES = _ROLLUP.format(
    target="temp.sample_minutes_fresh",
    minute="d.minute",
    probe="d.probe_id",
    source="temp.sample_minutes_stale d CROSS JOIN main.samples s ON s.probe_id = d.probe_id "
    "AND s.at_ms >= d.minute * 60000 AND s.at_ms < d.minute * 60000 + 60000 "
    "JOIN main.probes p ON p.id = d.probe_id",
)


def _shadow_sample_minutes(conn: sqlite3.Connection) -> int:
    if conn.execute("SELECT 1 FROM main.sample_minutes_dirty LIMIT 1").fetchone() is None:
        conn.execute("DROP VIEW IF EXISTS temp.sample_minutes")  # the stored rollup is exact
        return 0
    conn.execute("BEGIN")  # one snapshot: the dirty minutes and their samples agree
    try:
        for statement in _SHADOW_TABLES.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("DELETE FROM temp.sample_minutes_stale")
        conn.execute("DELETE FROM temp.sample_minutes_fresh")
        conn.execute(
            "INSERT INTO temp.sample_minutes_stale SELECT probe_id, minute "
            "FROM main.sample_minutes_dirty"
        )
        dirty = conn.execute("SELECT changes()").fetchone()[0]
        conn.execute(_SHADOW_MINUTES)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
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
