"""The per-minute rollup of probe samples (``sample_minutes``), kept exact as samples arrive."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from stratus_commander.store.sqlite.connection import RedactingConnection


class _Backend(Protocol):
    """What the rollup needs of :class:`~stratus_commander.store.sqlite.backend.SqliteStore`
    (named structurally: the backend imports this module, not the other way round)."""

    conn: RedactingConnection
    readonly: bool

    def write(self) -> AbstractContextManager[RedactingConnection]: ...

    def query(
        self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]: ...


# One row per probe and minute: what uptime, credits and the review's graphs read instead of
# millions of raw samples (keyed by check group first, so a group's minutes come out in order
# without a sort). Writing samples only marks their minute dirty (a trigger that costs ~10 % on a
# batched insert, once per probe-minute); refresh_sample_minutes() recomputes the dirty minutes
# from their samples, so INSERT OR REPLACE, deletes and updates all end up exact.
# One pass over the samples of the dirty minutes. The four outcome counts travel packed in one
# integer (16 bits each; a probe has at most 60 000 samples a minute), which halves the per-row
# work of a catch-up over a day of 1 Hz data.
ROLLUP = """
INSERT INTO {target} ("check", minute, probe_id, n, n_known, n_degraded, n_down, lat_max)
SELECT "check", minute, probe_id,
       (c & 65535) + (c >> 16 & 65535) + (c >> 32 & 65535) + (c >> 48),
       (c & 65535) + (c >> 16 & 65535) + (c >> 32 & 65535),
       c >> 16 & 65535, c >> 32 & 65535, lat_max
FROM (SELECT p."check" AS "check", {minute} AS minute, {probe} AS probe_id,
             sum(1 << (s.outcome * 16)) AS c, max({latency}) AS lat_max
      FROM {source}
      GROUP BY {probe}, {minute})
"""
# CROSS JOIN pins the order: walk the dirty minutes, range-scan each one's samples (left to
# itself the planner may scan every sample and look the minute up, which is quadratic).
# The stored latency is an integer of 0.1 ms (m005); the rollup's lat_max is in ms.
LATENCY = "s.latency_100us / 10.0"
_REFRESH_MINUTES = ROLLUP.format(
    latency=LATENCY,
    target="sample_minutes",
    minute="d.minute",
    probe="d.probe_id",
    source="sample_minutes_dirty d CROSS JOIN samples s ON s.probe_id = d.probe_id "
    "AND s.at_ms >= d.minute * 60000 AND s.at_ms < d.minute * 60000 + 60000 "
    "JOIN probes p ON p.id = d.probe_id",
)
_REBUILD_MINUTES = ROLLUP.format(
    latency=LATENCY,
    target="sample_minutes",
    minute="s.at_ms / 60000",
    probe="s.probe_id",
    source="samples s JOIN probes p ON p.id = s.probe_id",
)


def refresh_sample_minutes(store: _Backend) -> int:
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
_SHADOW_MINUTES = ROLLUP.format(
    latency=LATENCY,
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


def rebuild_sample_minutes(conn: sqlite3.Connection, before_m005: bool = False) -> None:
    """Recompute the whole minute rollup from the samples (migration back-fill, repair);
    ``before_m005``: the samples still hold ``latency_ms`` (REAL)."""
    conn.execute("DELETE FROM sample_minutes")
    conn.execute("DELETE FROM sample_minutes_dirty")
    if before_m005:
        conn.execute(_REBUILD_MINUTES.replace(LATENCY, "s.latency_ms"))
    else:
        conn.execute(_REBUILD_MINUTES)


def check_groups(store: _Backend) -> list[str]:
    """The probe check groups that have probes, in the runbook's triage order first."""
    order = ("api", "webhooks", "database", "external")
    found = {r["check"] for r in store.query('SELECT DISTINCT "check" FROM probes')}
    return [g for g in order if g in found] + sorted(found - set(order))
