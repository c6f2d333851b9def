"""``postgres`` probe: the database as the runbook's "database" triage step sees it.

One fresh read-only connection per check (psycopg 3, async) measures the connection time, then a
single read-only transaction reads the server's own statistics:

- pool use: client backends in ``pg_stat_activity`` against ``max_connections`` (degraded at
  ``pool_warn_ratio``, down at ``pool_down_ratio``; a refused connection for too many clients is
  down too);
- queries active for longer than ``long_query_s`` (degraded, with pid, age and the query's start);
- lock waits: ungranted locks in ``pg_locks`` (degraded, with who blocks whom);
- deadlocks since this probe's previous check (``pg_stat_database.deadlocks`` delta, degraded);
- row-level security on each of ``rls_tables``: ``pg_class.relrowsecurity`` and at least one row
  in ``pg_policies`` (down if either is missing).

Everything runs in one ``BEGIN READ ONLY`` transaction with a ``SET LOCAL`` statement timeout, so
nothing leaks onto a pooled server connection (Supabase's pooler in transaction mode).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from stratus_commander.probes.base import (
    CheckContext,
    Finding,
    Outcome,
    ProbeResult,
    make_result,
    summarise_findings,
)
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import missing_credential, redact

if TYPE_CHECKING:
    from psycopg import AsyncConnection

_TABLE_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$")
# How libpq words a refusal for lack of connection slots (SQLSTATE 53300, too_many_connections).
_TOO_MANY = ("too many clients", "remaining connection slots are reserved", "too many connections")
# Authentication and authorisation failures, and a database that does not exist: the probe's
# configuration is wrong, which says nothing about the database's health.
_CREDENTIAL_STATES = {"28000", "28P01", "3D000", "42501"}
_CREDENTIAL_TEXTS = ("password authentication failed", "no pg_hba.conf entry", "does not exist")
# A long query is named by its start. The server sends more (bounded: the server keeps at most
# track_activity_query_size bytes anyway) so that a key in it is redacted whole before the cut.
_QUERY_SHOWN = 80
_QUERY_READ = 2048

#: pg_stat_database.deadlocks seen at each probe's previous check, by probe id. The check signature
#: is fixed (spec, ctx), so the last value lives here; it is only a baseline for a delta, and a
#: restart simply starts a new baseline.
_last_deadlocks: dict[str, int] = {}


class Spec(ProbeSpec):
    kind: Literal["postgres"]
    dsn: str = Field(min_length=1)  # a secret reference: the DSN carries a password
    pool_warn_ratio: float = Field(default=0.8, gt=0, le=1)
    pool_down_ratio: float = Field(default=0.95, gt=0, le=1)
    long_query_s: float = Field(default=30.0, gt=0)
    rls_tables: tuple[str, ...] = ()

    @field_validator("rls_tables")
    @classmethod
    def _table_names(cls, tables: tuple[str, ...]) -> tuple[str, ...]:
        for name in tables:
            if not _TABLE_NAME.match(name):
                raise ValueError(f"{name!r} is not a table name (table or schema.table)")
        return tables

    @model_validator(mode="after")
    def _ratios_ordered(self) -> Spec:
        if self.pool_warn_ratio >= self.pool_down_ratio:
            raise ValueError(
                f"pool_warn_ratio ({self.pool_warn_ratio}) must be below "
                f"pool_down_ratio ({self.pool_down_ratio})"
            )
        return self


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    started = time.perf_counter()

    def result(
        outcome: Outcome, detail: str, metrics: dict[str, float] | None = None
    ) -> ProbeResult:
        elapsed_ms = (time.perf_counter() - started) * 1000
        return make_result(spec, ctx, outcome, detail, latency_ms=elapsed_ms, metrics=metrics)

    dsn = ctx.resolve_secret(spec.dsn)
    if dsn is None:
        return result(Outcome.UNKNOWN, missing_credential(spec.dsn))

    import psycopg

    try:
        conn = await psycopg.AsyncConnection.connect(
            dsn,
            # libpq counts whole seconds and refuses less than 2.
            connect_timeout=max(2, math.ceil(spec.timeout_s)),
            application_name="stratus-commander probe",
            # No server-side prepared statements: they break behind a transaction-mode pooler.
            prepare_threshold=None,
        )
    except psycopg.ProgrammingError:
        # libpq quotes the unparsable part, which may be the password: not repeated here.
        return result(Outcome.UNKNOWN, f"the DSN in {spec.dsn} is not a valid connection string")
    except psycopg.Error as exc:
        outcome, text = _classify_connect_error(exc)
        return result(outcome, text)
    connect_ms = (time.perf_counter() - started) * 1000

    try:
        async with conn:
            await conn.set_read_only(True)
            async with conn.transaction():
                stats = await _read_stats(conn, spec)
    except psycopg.errors.QueryCanceled:
        return result(Outcome.DOWN, "statistics queries timed out", {"connect_ms": connect_ms})
    except psycopg.Error as exc:
        return result(
            Outcome.DOWN,
            f"statistics queries failed: {_message(exc)}",
            {"connect_ms": connect_ms},
        )

    findings = _judge(spec, stats)
    deadlock_delta = _deadlock_delta(spec.id, stats.deadlocks)
    if deadlock_delta > 0:
        findings.append(
            Finding(Outcome.DEGRADED, f"{deadlock_delta} deadlock(s) since the last check")
        )
    metrics = {
        "connect_ms": connect_ms,
        "connections": float(stats.connections),
        "max_connections": float(stats.max_connections),
        "pool_ratio": stats.pool_ratio,
        "long_queries": float(len(stats.long_queries)),
        "lock_waits": float(len(stats.lock_waits)),
        "deadlocks_delta": float(deadlock_delta),
    }
    if not findings:
        return result(
            Outcome.UP,
            f"ok: {stats.connections}/{stats.max_connections} connections, "
            f"connect {connect_ms:.0f} ms",
            metrics,
        )
    return result(*summarise_findings(findings), metrics)


@dataclass(frozen=True, slots=True)
class _Stats:
    connections: int
    max_connections: int
    deadlocks: int
    long_queries: Sequence[tuple[int, float, str]]  # pid, seconds running, query text (its start)
    # waiting pid, blocking pids, seconds since its statement started (the wait began within it)
    lock_waits: Sequence[tuple[int, list[int], float]]
    # schema.table, relrowsecurity (None: no such table), number of policies
    rls: Sequence[tuple[str, bool | None, int]]

    @property
    def pool_ratio(self) -> float:
        return self.connections / self.max_connections if self.max_connections else 0.0


async def _read_stats(conn: AsyncConnection[Any], spec: Spec) -> _Stats:
    # The checks below are cheap catalog reads; a server that cannot answer them within the
    # probe's own budget is in trouble.
    timeout_ms = max(1, int(spec.timeout_s * 1000))
    await conn.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
    cur = await conn.execute(
        """
        SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
               current_setting('max_connections')::int,
               (SELECT coalesce(deadlocks, 0) FROM pg_stat_database
                 WHERE datname = current_database())
        """
    )
    row = await cur.fetchone()
    assert row is not None  # a SELECT without FROM always returns one row
    connections, max_connections, deadlocks = row

    cur = await conn.execute(
        """
        SELECT pid, extract(epoch FROM clock_timestamp() - query_start)::float8,
               left(regexp_replace(query, '\\s+', ' ', 'g'), %s::int)
          FROM pg_stat_activity
         WHERE state = 'active' AND backend_type = 'client backend'
           AND pid <> pg_backend_pid()
           AND clock_timestamp() - query_start > make_interval(secs => %s)
         ORDER BY query_start
        """,
        (_QUERY_READ, spec.long_query_s),
    )
    long_queries = [
        (int(pid), float(secs), str(query)) for pid, secs, query in await cur.fetchall()
    ]

    cur = await conn.execute(
        """
        SELECT w.pid, pg_blocking_pids(w.pid),
               coalesce(extract(epoch FROM clock_timestamp() - a.query_start)::float8, 0)
          FROM (SELECT DISTINCT pid FROM pg_locks WHERE NOT granted AND pid IS NOT NULL) w
          LEFT JOIN pg_stat_activity a USING (pid)
         ORDER BY w.pid
        """
    )
    lock_waits = [
        (int(pid), list(blockers), float(secs)) for pid, blockers, secs in await cur.fetchall()
    ]

    rls: list[tuple[str, bool | None, int]] = []
    if spec.rls_tables:
        schemas, names = zip(*(_split_table(t) for t in spec.rls_tables), strict=True)
        cur = await conn.execute(
            """
            SELECT t.schema, t.name, c.relrowsecurity,
                   (SELECT count(*) FROM pg_policies p
                     WHERE p.schemaname = t.schema AND p.tablename = t.name)
              FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS t(schema, name, ord)
              LEFT JOIN pg_namespace n ON n.nspname = t.schema
              LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
                                  AND c.relkind IN ('r', 'p')
             ORDER BY t.ord
            """,
            (list(schemas), list(names)),
        )
        rls = [
            (f"{s}.{n}", enabled, int(policies)) for s, n, enabled, policies in await cur.fetchall()
        ]

    return _Stats(
        connections=int(connections),
        max_connections=int(max_connections),
        deadlocks=int(deadlocks or 0),
        long_queries=long_queries,
        lock_waits=lock_waits,
        rls=rls,
    )


def _judge(spec: Spec, stats: _Stats) -> list[Finding]:
    findings: list[Finding] = []
    pool = f"connection pool at {stats.connections}/{stats.max_connections}"
    if stats.pool_ratio >= spec.pool_down_ratio:
        findings.append(Finding(Outcome.DOWN, f"{pool} (exhausted)"))
    elif stats.pool_ratio >= spec.pool_warn_ratio:
        findings.append(Finding(Outcome.DEGRADED, f"{pool} (≥ {spec.pool_warn_ratio:.0%})"))

    if stats.long_queries:
        shown = ", ".join(
            f"pid {pid} {secs:.0f}s: {_query_start(query)}"
            for pid, secs, query in stats.long_queries[:3]
        )
        count = len(stats.long_queries)
        if count > 3:
            shown += f", +{count - 3} more"
        queries = "1 query" if count == 1 else f"{count} queries"
        findings.append(
            Finding(Outcome.DEGRADED, f"{queries} running > {spec.long_query_s:g}s ({shown})")
        )

    if stats.lock_waits:
        shown = ", ".join(
            f"pid {pid} waiting {secs:.0f}s on {', '.join(map(str, blockers)) or '?'}"
            for pid, blockers, secs in stats.lock_waits[:3]
        )
        findings.append(
            Finding(Outcome.DEGRADED, f"{len(stats.lock_waits)} lock wait(s) ({shown})")
        )

    for table, enabled, policies in stats.rls:
        if enabled is None:
            findings.append(Finding(Outcome.UNKNOWN, f"RLS not checked: {table} not found"))
        elif not enabled:
            findings.append(Finding(Outcome.DOWN, f"RLS disabled on {table}"))
        elif policies == 0:
            findings.append(Finding(Outcome.DOWN, f"RLS on {table} has no policy"))
    return findings


def _query_start(query: str) -> str:
    """A query's start on one line, for the detail: redacted whole, then cut (a key cut in half
    would no longer match the redaction patterns)."""
    text = " ".join(redact(query).split())
    return text if len(text) <= _QUERY_SHOWN else text[: _QUERY_SHOWN - 1] + "…"


def _deadlock_delta(probe_id: str, deadlocks: int) -> int:
    previous = _last_deadlocks.get(probe_id)
    _last_deadlocks[probe_id] = deadlocks
    # First sight, or the statistics were reset: this reading is only a new baseline.
    if previous is None or deadlocks < previous:
        return 0
    return deadlocks - previous


def _split_table(name: str) -> tuple[str, str]:
    schema, _, table = name.rpartition(".")
    return (schema or "public", table)


def _classify_connect_error(exc: Exception) -> tuple[Outcome, str]:
    text = _message(exc)
    lowered = text.lower()
    state = getattr(exc, "sqlstate", None)
    if state == "53300" or any(t in lowered for t in _TOO_MANY):
        return Outcome.DOWN, f"too many connections: server refused a new one ({text})"
    if state in _CREDENTIAL_STATES or any(t in lowered for t in _CREDENTIAL_TEXTS):
        return Outcome.UNKNOWN, f"PostgreSQL refused the probe's credentials ({text})"
    return Outcome.DOWN, f"cannot connect: {text}"


def _message(exc: BaseException) -> str:
    # The first line holds the reason; libpq's hints ("Is the server running…?") follow it.
    first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return " ".join(first.removeprefix("connection failed: ").split())
