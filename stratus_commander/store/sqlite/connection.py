"""The SQLite connection as the store uses it: every parameter cleaned on its way in
(:mod:`stratus_commander.store.redaction`), and sqlite3's errors turned into ours on their way out
(:class:`~stratus_commander.errors.StoreDamaged`, ``StoreReadOnly``, ``StoreError``), so no caller
needs to know sqlite3's exceptions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from stratus_commander.errors import StoreDamaged, StoreError, StoreReadOnly, StratusError
from stratus_commander.store.redaction import clean_params

BUSY_TIMEOUT_MS = 5000

# SQLite result codes (the primary code is the low byte of an extended one).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


class RedactingConnection:
    """The store's connection: ``execute``/``executemany`` redact every text parameter and
    serialise :class:`Json` ones, and raise our errors for what the user should hear of
    (a read-only or damaged file); everything else is the sqlite3 connection's own."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        with translate_errors(self.raw):
            return self.raw.execute(sql, clean_params(params))

    def executemany(
        self, sql: str, rows: Iterable[Iterable[Any] | Mapping[str, Any]]
    ) -> sqlite3.Cursor:
        with translate_errors(self.raw):
            return self.raw.executemany(sql, (clean_params(row) for row in rows))

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def close(self) -> None:
        self.raw.close()


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
