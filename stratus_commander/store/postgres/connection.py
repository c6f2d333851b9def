"""The PostgreSQL connection as the store uses it: opened from a checked URL (the password from
libpq's own sources or the keychain, never from the URL), every parameter cleaned on its way in
(:mod:`stratus_commander.store.redaction`), and psycopg's errors turned into ours on their way out
(:class:`~stratus_commander.errors.StoreError`, ``StoreReadOnly``, ``StoreDamaged``): no caller
sees a psycopg exception, and no message holds a password."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg

from stratus_commander.errors import (
    StoreDamaged,
    StoreError,
    StoreReadOnly,
    StoreUnreachable,
    StratusError,
)
from stratus_commander.secrets import redact, resolve_secret
from stratus_commander.store.postgres.url import Target
from stratus_commander.store.redaction import clean_params

CONNECT_TIMEOUT_S = 10
#: How long sent data may stay unacknowledged before the connection counts as lost.
TCP_USER_TIMEOUT_MS = 5000
#: How long a write waits for another cockpit's transaction on the same incident.
LOCK_TIMEOUT_MS = 10_000

Conn = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]


def connect(target: Target, timeout_s: int = CONNECT_TIMEOUT_S) -> Conn:
    """An autocommit connection (each write method opens its own transaction), or
    :class:`StoreError` naming the server as the URL does (without any password)."""
    kwargs: dict[str, Any] = {"application_name": "stratus-commander"}
    if "connect_timeout=" not in target.conninfo:
        kwargs["connect_timeout"] = timeout_s
    if "tcp_user_timeout=" not in target.conninfo:
        # A network that drops silently (a VPN gone, Wi-Fi lost) fails a query in seconds, not
        # after the kernel's ~15 minutes of retransmissions: the cockpit then queues its actions.
        kwargs["tcp_user_timeout"] = TCP_USER_TIMEOUT_MS
    if target.password_ref is not None:
        password = resolve_secret(target.password_ref)
        if password is None:
            raise StoreError(
                f"the password {target.password_ref} is not set (keyring set SERVICE NAME, or "
                "leave password= out and let libpq find it)",
                where=target.shown,
            )
        kwargs["password"] = password
    try:
        conn = psycopg.connect(target.conninfo, autocommit=True, **kwargs)
    except psycopg.Error as exc:
        problem = _connect_problem(exc)
        # Refused, timed out, unknown host: the server is away (for now), not misconfigured.
        error = StoreUnreachable if problem.endswith(_AWAY_HINT) else StoreError
        raise error(problem, where=target.shown) from None
    try:
        conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    except psycopg.Error as exc:
        conn.close()
        raise StoreError(f"cannot prepare the connection: {_text(exc)}", target.shown) from None
    return conn


_AWAY_HINT = " (is the server running and reachable from here?)"


def _connect_problem(exc: psycopg.Error) -> str:
    """What a failed connection says: libpq's first line (it names host and port), and a hint."""
    text = _text(exc).removeprefix("connection failed: ")
    hint = ""
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        hint = (
            " (the password comes from PGPASSWORD, ~/.pgpass, a service file, or "
            "?password=keyring:SERVICE/NAME)"
        )
    elif "does not exist" in lowered and "database" in lowered:
        hint = " (create it first: CREATE DATABASE; the tables are created on first use)"
    elif (
        "connection refused" in lowered or "timeout" in lowered or "could not translate" in lowered
    ):
        hint = _AWAY_HINT
    return f"cannot reach the PostgreSQL server: {text}{hint}"


def _text(exc: BaseException) -> str:
    """The error's first line, redacted (a server may echo what it was sent)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return redact(lines[0] if lines else type(exc).__name__)


class RedactingConnection:
    """The store's connection: ``execute``/``executemany`` redact every text parameter and
    serialise :class:`~stratus_commander.store.redaction.Json` ones (as the SQLite one does),
    and raise our errors, naming ``where``, for psycopg's."""

    __slots__ = ("raw", "where")

    def __init__(self, raw: Conn, where: str) -> None:
        self.raw = raw
        self.where = where

    def execute(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> Cursor:
        args = clean_params(params)
        try:
            return self.raw.execute(sql, args or None)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise translate_error(exc, self.where) from exc

    def execute_redacted(self, sql: str, params: Sequence[Any]) -> Cursor:
        """``execute`` for parameters the caller has already redacted (the hot paths: an
        event as the chain hashed it, a batch of samples): sent as they are, errors ours."""
        try:
            return self.raw.execute(sql, params)
        except psycopg.Error as exc:
            raise translate_error(exc, self.where) from exc

    def executemany(self, sql: str, rows: Iterable[Iterable[Any] | Mapping[str, Any]]) -> None:
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(sql, [clean_params(row) for row in rows])  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise translate_error(exc, self.where) from exc

    def close(self) -> None:
        self.raw.close()


def translate_error(exc: psycopg.Error, where: str) -> StratusError:
    """What the user should hear about ``exc`` (every psycopg error becomes one of ours)."""
    state = getattr(exc, "sqlstate", None) or ""
    text = _text(exc)
    if state in ("XX001", "XX002"):  # data_corrupted, index_corrupted
        return StoreDamaged(text, where)
    if state == "25006" or state == "42501":  # read-only transaction, insufficient privilege
        return StoreReadOnly(f"cannot write ({text})", where=where)
    if state in ("40P01", "40001", "55P03", "57014"):  # deadlock, serialization, lock, timeout
        return StoreError(f"{text}: another cockpit held it too long; try again", where=where)
    if (
        state.startswith("08")
        or state.startswith("57P")
        or isinstance(exc, psycopg.OperationalError)
    ):
        return StoreUnreachable(f"lost the connection to the server: {text}", where=where)
    if state.startswith("53"):  # disk full, out of memory, too many connections
        return StoreError(f"the server cannot do it now: {text}", where=where)
    if state in ("42P01", "42703", "42883"):  # a table, column or function of ours is missing
        return StoreError(
            f"the server refused: {text} (were its tables changed by hand?)", where=where
        )
    if isinstance(exc, psycopg.DataError):
        return StoreError(f"cannot store that: {text}", where=where)
    return StoreError(f"the server refused: {text}", where=where)
