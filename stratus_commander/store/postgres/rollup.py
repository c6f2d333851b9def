"""The per-minute rollup of probe samples on PostgreSQL, exact at every moment.

``sample_minutes`` holds one row per probe and minute; statement triggers on ``samples`` mark
each minute they touch in ``sample_minutes_dirty`` (with an upsert that locks the mark, so a
refresh cannot drop a mark whose samples it did not see). Readers never read the table itself
but the view ``sample_minutes_exact``: the stored minutes that are not dirty, plus the dirty ones
computed from their samples, in one snapshot. So a read-only store, or a cockpit reading while
another one records, gets exact figures; :func:`refresh` only makes the view cheap again by
storing the dirty minutes (one refresher at a time: an advisory lock; others skip).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from stratus_commander.store.postgres.connection import RedactingConnection
from stratus_commander.store.postgres.locks import LOCK_CLASS, ROLLUP_LOCK


class _Backend(Protocol):
    """What the rollup needs of :class:`~stratus_commander.store.postgres.backend.PostgresStore`
    (named structurally: the backend imports this module, not the other way round)."""

    readonly: bool

    def write(self) -> AbstractContextManager[RedactingConnection]: ...

    def query(
        self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]: ...


_MARK_FUNCTION = """
CREATE FUNCTION stratus_mark_sample_minutes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO sample_minutes_dirty (probe_id, minute)
        SELECT DISTINCT probe_id, at_ms / 60000 FROM new_rows
        ON CONFLICT (probe_id, minute) DO UPDATE SET minute = excluded.minute;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO sample_minutes_dirty (probe_id, minute)
        SELECT DISTINCT probe_id, at_ms / 60000 FROM old_rows
        ON CONFLICT (probe_id, minute) DO UPDATE SET minute = excluded.minute;
    END IF;
    RETURN NULL;
END $$;
"""
#: The statement triggers that mark the minutes a change of ``samples`` touches.
SAMPLE_TRIGGERS = """CREATE TRIGGER samples_minute_ins AFTER INSERT ON samples
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stratus_mark_sample_minutes();
CREATE TRIGGER samples_minute_upd AFTER UPDATE ON samples
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stratus_mark_sample_minutes();
CREATE TRIGGER samples_minute_del AFTER DELETE ON samples
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stratus_mark_sample_minutes();
"""


def exact_view(max_latency: str) -> str:
    """The view readers read, ``max_latency`` being the highest latency (ms) of samples ``s``."""
    return f"""CREATE VIEW sample_minutes_exact AS
SELECT m."check", m.minute, m.probe_id, m.n, m.n_known, m.n_degraded, m.n_down, m.lat_max
FROM sample_minutes m
WHERE NOT EXISTS (
    SELECT 1 FROM sample_minutes_dirty d WHERE d.probe_id = m.probe_id AND d.minute = m.minute)
UNION ALL
SELECT "check", minute, probe_id, n, n_known, n_degraded, n_down, lat_max
FROM (
    SELECT p."check" AS "check", d.minute AS minute, d.probe_id AS probe_id,
           count(*)::integer AS n,
           (count(*) FILTER (WHERE s.outcome < 3))::integer AS n_known,
           (count(*) FILTER (WHERE s.outcome = 1))::integer AS n_degraded,
           (count(*) FILTER (WHERE s.outcome = 2))::integer AS n_down,
           {max_latency} AS lat_max
    FROM sample_minutes_dirty d
    JOIN probes p ON p.id = d.probe_id
    JOIN samples s ON s.probe_id = d.probe_id
        AND s.at_ms >= d.minute * 60000 AND s.at_ms < d.minute * 60000 + 60000
    GROUP BY p."check", d.minute, d.probe_id
) fresh;
"""


#: The rollup as p001 created it (samples with a float ``latency_ms``); never changed once
#: released: later migrations change it.
ROLLUP_SCHEMA = _MARK_FUNCTION + SAMPLE_TRIGGERS + exact_view("max(s.latency_ms)")
#: The highest latency of samples ``s`` in ms, stored as an integer of 0.1 ms since p002
#: (``compact_samples.py``); float division, so both backends read the same number.
MAX_LATENCY = "max(s.latency_100us) / 10.0::float8"

# The dirty minutes taken (and so locked), their stored rows replaced by fresh ones.
_TAKE_DIRTY = "DELETE FROM sample_minutes_dirty RETURNING probe_id, minute"
_DROP_STORED = """
DELETE FROM sample_minutes m USING unnest(%(probes)s::bigint[], %(minutes)s::bigint[]) d(p, m)
WHERE m.probe_id = d.p AND m.minute = d.m
"""
_STORE_FRESH = f"""
INSERT INTO sample_minutes ("check", minute, probe_id, n, n_known, n_degraded, n_down, lat_max)
SELECT p."check", d.m, d.p, count(*), count(*) FILTER (WHERE s.outcome < 3),
       count(*) FILTER (WHERE s.outcome = 1), count(*) FILTER (WHERE s.outcome = 2),
       {MAX_LATENCY}
FROM unnest(%(probes)s::bigint[], %(minutes)s::bigint[]) d(p, m)
JOIN probes p ON p.id = d.p
JOIN samples s ON s.probe_id = d.p AND s.at_ms >= d.m * 60000 AND s.at_ms < d.m * 60000 + 60000
GROUP BY p."check", d.m, d.p
"""


def refresh(store: _Backend) -> int:
    """Store the minutes written since the last refresh; how many were dirty (a read-only
    store, or one whose refresh another process is doing, stores none: the view stays exact)."""
    if store.readonly:
        return int(store.query("SELECT count(*) AS n FROM sample_minutes_dirty")[0]["n"])
    if not store.query("SELECT 1 AS x FROM sample_minutes_dirty LIMIT 1"):
        return 0
    with store.write() as conn:
        taken = conn.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_CLASS, ROLLUP_LOCK]
        ).fetchone()
        if not taken or not taken[0]:
            return 0  # another cockpit is storing them
        dirty = conn.execute(_TAKE_DIRTY).fetchall()
        if dirty:
            params = {"probes": [r[0] for r in dirty], "minutes": [r[1] for r in dirty]}
            conn.execute(_DROP_STORED, params)
            conn.execute(_STORE_FRESH, params)
    return len(dirty)


def check_groups(store: _Backend) -> list[str]:
    """The probe check groups that have probes, in the runbook's triage order first."""
    order = ("api", "webhooks", "database", "external")
    found = {r["check"] for r in store.query('SELECT DISTINCT "check" FROM probes')}
    return [g for g in order if g in found] + sorted(found - set(order))
