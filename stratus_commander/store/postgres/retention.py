"""Retention and upkeep on PostgreSQL: pruning raw samples in small batches (their minute rollup
kept exact), table sizes, and VACUUM."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from stratus_commander.store.postgres.connection import RedactingConnection
from stratus_commander.store.postgres.rollup import MAX_LATENCY

_MINUTE = 60_000

# The exact rollup of one probe's minutes [lo, hi), from its samples, before they go.
_DROP_RANGE = """
DELETE FROM sample_minutes
WHERE probe_id = %(probe)s AND minute >= %(lo)s / 60000 AND minute < %(hi)s / 60000
"""
_ROLLUP_RANGE = f"""
INSERT INTO sample_minutes ("check", minute, probe_id, n, n_known, n_degraded, n_down, lat_max)
SELECT p."check", s.at_ms / 60000, s.probe_id, count(*), count(*) FILTER (WHERE s.outcome < 3),
       count(*) FILTER (WHERE s.outcome = 1), count(*) FILTER (WHERE s.outcome = 2),
       {MAX_LATENCY}
FROM samples s JOIN probes p ON p.id = s.probe_id
WHERE s.probe_id = %(probe)s AND s.at_ms >= %(lo)s AND s.at_ms < %(hi)s
GROUP BY p."check", s.at_ms / 60000, s.probe_id
"""
_TABLES = """
SELECT c.relname AS name, greatest(c.reltuples, 0)::bigint AS rows,
       pg_total_relation_size(c.oid) AS bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = current_schema()
ORDER BY bytes DESC, name
"""


class RetentionQueries:
    """Mixed into :class:`~stratus_commander.store.postgres.backend.PostgresStore`."""

    conn: RedactingConnection

    if TYPE_CHECKING:  # the backend's own

        def write(self) -> AbstractContextManager[RedactingConnection]: ...

        def query(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[dict[str, Any]]: ...

    def prune_samples(self, spans: Sequence[tuple[int, int]], limit: int) -> int:
        probes = [r["id"] for r in self.query("SELECT id FROM probes ORDER BY id")]
        for start, end in spans:
            for probe in probes:
                first = self.query(
                    "SELECT at_ms FROM samples WHERE probe_id = %s AND at_ms >= %s "
                    "AND at_ms < %s ORDER BY at_ms LIMIT 1",
                    [probe, start, end],
                )
                if first:
                    return self._prune_range(probe, first[0]["at_ms"], end, limit)
        return 0

    def _prune_range(self, probe: int, first: int, end: int, limit: int) -> int:
        lo = first // _MINUTE * _MINUTE
        beyond = self.query(
            "SELECT at_ms FROM samples WHERE probe_id = %s AND at_ms >= %s AND at_ms < %s "
            "ORDER BY at_ms OFFSET %s LIMIT 1",
            [probe, lo, end, limit],
        )
        # Whole minutes only: a minute half pruned could not be rolled up again.
        hi = end if not beyond else max(beyond[0]["at_ms"] // _MINUTE * _MINUTE, lo + _MINUTE)
        params = {"probe": probe, "lo": lo, "hi": min(hi, end)}
        with self.write() as conn:
            conn.execute(_DROP_RANGE, params)
            conn.execute(_ROLLUP_RANGE, params)
            deleted = conn.execute(
                "DELETE FROM samples WHERE probe_id = %(probe)s "
                "AND at_ms >= %(lo)s AND at_ms < %(hi)s",
                params,
            ).rowcount
            # The delete's trigger marked these minutes dirty; nothing is left to recompute
            # them from, and the rows just stored are exact.
            conn.execute(
                "DELETE FROM sample_minutes_dirty WHERE probe_id = %(probe)s "
                "AND minute >= %(lo)s / 60000 AND minute < %(hi)s / 60000",
                params,
            )
        return int(deleted)

    def table_stats(self) -> list[dict[str, Any]]:
        stats = self.query(_TABLES)
        for s in stats:  # reltuples is an estimate (-1 before the first ANALYZE): count instead
            s["rows"] = int(self.query(f'SELECT count(*) AS n FROM "{s["name"]}"')[0]["n"])
            s["bytes"] = int(s["bytes"])
        return stats

    def compact(self) -> tuple[int, int]:
        size = "SELECT pg_database_size(current_database()) AS n"
        before = int(self.query(size)[0]["n"])
        for table in ("samples", "sample_minutes", "sample_minutes_dirty"):
            self.conn.execute(f"VACUUM {table}")  # autocommit: outside any transaction
        return before, int(self.query(size)[0]["n"])
