"""The database file: inspected before it is touched, created whole, opened as asked.

- A new database is built beside its path under a temporary name, every migration applied, then
  linked into place whole (never over an existing file): a crash leaves no file or a complete one,
  and of processes creating one path at once, one wins and the others open its file.
- A file that is not SQLite, is truncated, is someone else's database or has a newer schema than
  this app knows raises :class:`StoreError` *before* anything is written to it (or beside it: it is
  inspected as immutable when no writer is live, so no ``-wal``/``-shm`` appears).
- A file without write permission (by its mode bits, which root ignores but we do not) is only
  ever opened read-only.
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import struct
import sys
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

from stratus_commander.errors import StoreDamaged, StoreError
from stratus_commander.store.sqlite.connection import (
    BUSY_TIMEOUT_MS,
    translate_error,
    translate_errors,
)
from stratus_commander.store.sqlite.schema import MIGRATION_SET, MIGRATIONS, MIGRATIONS_TABLE

_SQLITE_MAGIC = b"SQLite format 3\x00"
# A database being built carries this in its temporary name (".incidents.db.<pid>.<hex>.building").
_BUILDING = ".building"
# os.link fails with these where the file system has no hard links (FAT, some FUSE and SMB mounts).
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV}
SQLITE_READONLY_ROLLBACK = 776  # a hot journal that a read-only connection cannot roll back


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def no_writer(path: Path) -> bool:
    """No connection has the file open in WAL mode (its -wal is deleted when the last one closes)
    and no interrupted transaction left a rollback journal: the bytes are all in the file."""
    return not _sidecar(path, "-wal").exists() and not _sidecar(path, "-journal").exists()


def read_only_file(path: Path) -> bool:
    """The file may not be written: no write permission for us, or none for anyone in its mode
    bits. Root passes every permission check, but ``chmod a-w`` is still the owner saying "do not
    write this", so the mode bits count too."""
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def connect_ro(path: Path, *, immutable: bool) -> sqlite3.Connection:
    """A connection that cannot write the file. ``immutable``: SQLite takes no locks and creates
    no -wal/-shm beside it; only right when no writer is live (see :func:`no_writer`)."""
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)


class Found(NamedTuple):
    current: bool  # every migration applied: nothing to write before use
    hot_journal: bool  # an interrupted write left a journal that only a writer can roll back


def inspect_existing(path: Path) -> Found:
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
    immutable = no_writer(path)
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
        if exc.sqlite_errorcode == SQLITE_READONLY_ROLLBACK:
            return Found(current=False, hot_journal=True)
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
    return Found(current=set(MIGRATIONS) <= applied, hot_journal=False)


def _read_schema(path: Path, *, immutable: bool) -> tuple[set[str], set[str], bool]:
    """The file's tables, our migrations applied, and whether it is an unfinished creation by an
    older version (killed after sqlite-utils made its empty table, before our first migration)."""
    ro = connect_ro(path, immutable=immutable)
    try:
        tables = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied = applied_migrations(ro, tables)
        unfinished = (
            tables == {MIGRATIONS_TABLE}
            and not ro.execute(f"SELECT 1 FROM {MIGRATIONS_TABLE} LIMIT 1").fetchone()
        )
    finally:
        ro.close()
    return tables, applied, unfinished


def applied_migrations(conn: sqlite3.Connection, tables: set[str]) -> set[str]:
    if MIGRATIONS_TABLE not in tables:
        return set()
    rows = conn.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", [MIGRATION_SET]
    )
    return {r[0] for r in rows}


def create_database(path: Path) -> None:
    """Build a complete database beside ``path`` and link it into place, never over a file.

    Returns once ``path`` exists: ours, or that of a process that won the race to create it.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create its folder: {exc}", where=str(path)) from exc
    remove_abandoned_builds(path)
    temp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_BUILDING}"
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            # Nothing to protect until it is linked into place: no journal file, no fsync per
            # step; one fsync of the finished file below.
            conn.execute("PRAGMA journal_mode = MEMORY")
            conn.execute("PRAGMA synchronous = OFF")
            # Before the first table: pruned samples' pages can go back (``db compact``).
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            from stratus_commander.store.sqlite.migrations import (
                apply,  # sqlite-utils: only when needed
            )

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


def remove_abandoned_builds(path: Path) -> None:
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


def roll_back_hot_journal(path: Path) -> None:
    """Let SQLite roll back what an interrupted write left in ``-journal`` (only a connection
    that may write can); the file returns to its last committed state."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()


def check_health(conn: sqlite3.Connection, path: Path) -> None:
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
