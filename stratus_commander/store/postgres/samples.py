"""Probes, their samples and flips on PostgreSQL: what the recorder writes and the graphs,
credits and the review read. A batch of samples is one statement (arrays unnested), so the
rollup's statement triggers run once per batch, not once per sample. A latency is stored as an
integer of 0.1 ms and read back in ms (``compact_samples.py``), as on SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from stratus_commander.secrets import redact
from stratus_commander.store.postgres.compact_samples import latency_code
from stratus_commander.store.postgres.connection import RedactingConnection
from stratus_commander.store.postgres.notify import SAMPLES_CHANNEL, notify_sql
from stratus_commander.store.records import OUTCOME_CODES, OUTCOME_NAMES, SampleRow

# One bucket per probe and step, with the worst outcome and the highest latency in it: from the
# per-minute rollup (always exact, see rollup.py) for long windows, from raw samples for short.
_FROM_MINUTES = """
SELECT probe_id, (minute - %(lo)s) / %(k)s AS b,
       CASE WHEN sum(n_down) > 0 THEN 2 WHEN sum(n_degraded) > 0 THEN 1
            WHEN sum(n_known) > 0 THEN 0 ELSE 3 END AS worst,
       max(lat_max) AS latency
FROM sample_minutes_exact
WHERE "check" IN (SELECT DISTINCT "check" FROM probes) AND minute >= %(lo)s AND minute < %(hi)s
GROUP BY probe_id, b
ORDER BY probe_id, b
"""

_FROM_SAMPLES = """
SELECT probe_id, (at_ms - %(start)s) / %(bucket)s AS b,
       max(CASE WHEN outcome = 3 THEN -1 ELSE outcome END)::integer AS worst,
       max(latency_100us) / 10.0::float8 AS latency
FROM samples
WHERE probe_id IN (SELECT id FROM probes) AND at_ms >= %(start)s AND at_ms < %(end)s
GROUP BY probe_id, b
ORDER BY probe_id, b
"""

_INSERT_SAMPLES = """
INSERT INTO samples (probe_id, at_ms, outcome, latency_100us, detail, metrics)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::integer[], %s::text[],
                     %s::text[])
ON CONFLICT (probe_id, at_ms) DO UPDATE SET outcome = excluded.outcome,
    latency_100us = excluded.latency_100us, detail = excluded.detail, metrics = excluded.metrics
"""

Bucket = tuple[int, int, int, float | None]  # probe id, bucket index, worst outcome, latency


class SampleQueries:
    """Mixed into :class:`~stratus_commander.store.postgres.backend.PostgresStore`."""

    conn: RedactingConnection
    _probe_ids: dict[str, int]

    if TYPE_CHECKING:  # the backend's own

        def write(self) -> AbstractContextManager[RedactingConnection]: ...

        def query(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[dict[str, Any]]: ...

        def tuples(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[tuple[Any, ...]]: ...

    def probe_id(self, name: str, kind: str, check: str) -> int:
        """The integer key of a probe, registering it on first sight."""
        cached = self._probe_ids.get(name)
        if cached is not None:
            return cached
        rows = self.query(
            'INSERT INTO probes (name, kind, "check") VALUES (%s, %s, %s) '
            "ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            [name, kind, check],
        )
        self._probe_ids[name] = pid = int(rows[0]["id"])
        return pid

    def add_samples(self, rows: Iterable[SampleRow]) -> int:
        """Write a batch of samples in one transaction; returns how many."""
        rows = list(rows)
        for r in rows:
            if r.probe not in self._probe_ids:  # first sight: registered outside the batch
                self.probe_id(r.probe, r.kind, r.check)
        if not rows:
            return 0
        ids, codes = self._probe_ids, OUTCOME_CODES
        # Last one wins for a probe and time given twice (as SQLite's INSERT OR REPLACE): one
        # statement may not change a row twice. Texts are redacted here, as in the SQLite backend.
        latest = {(ids[r.probe], r.at_ms): r for r in rows}
        columns: list[list[Any]] = [[], [], [], [], [], []]
        for (pid, at_ms), r in latest.items():
            columns[0].append(pid)
            columns[1].append(at_ms)
            columns[2].append(codes[r.outcome])
            columns[3].append(latency_code(r.latency_ms))
            columns[4].append(r.detail and redact(r.detail))
            columns[5].append(r.metrics and redact(r.metrics))
        with self.write() as conn:
            conn.execute_redacted(_INSERT_SAMPLES, columns)
            conn.execute(notify_sql(), [SAMPLES_CHANNEL, ""])  # team cockpits read them
        return len(rows)

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
                "VALUES (%s, %s, %s, %s, %s)",
                [pid, at_ms, previous, current, detail],
            )
            conn.execute(notify_sql(), [SAMPLES_CHANNEL, ""])

    def samples_since(self, after_ms: int) -> list[SampleRow]:
        """Every sample newer than ``after_ms``, oldest first (one index range per probe)."""
        return [
            SampleRow(name, kind, check, at_ms, OUTCOME_NAMES[code], latency, detail, metrics)
            for name, kind, check, at_ms, code, latency, detail, metrics in self.tuples(
                'SELECT p.name, p.kind, p."check", s.at_ms, s.outcome, '
                "s.latency_100us / 10.0::float8, s.detail, s.metrics FROM probes p "
                "CROSS JOIN LATERAL (SELECT * FROM samples WHERE probe_id = p.id AND at_ms > %s) s "
                "ORDER BY s.at_ms, p.name",
                [after_ms],
            )
        ]

    def probe_catalog(self) -> dict[int, dict[str, Any]]:
        """Every probe by its id: name, kind and check group."""
        return {r["id"]: r for r in self.query('SELECT id, name, kind, "check" FROM probes')}

    def samples_in_minutes(self, lo: int, hi: int) -> int:
        """How many samples the minutes ``lo`` (inclusive) to ``hi`` hold (from the rollup)."""
        return int(
            self.query(
                "SELECT coalesce(sum(n), 0)::bigint AS n FROM sample_minutes_exact "
                'WHERE "check" IN (SELECT DISTINCT "check" FROM probes) '
                "AND minute >= %s AND minute < %s",
                [lo, hi],
            )[0]["n"]
        )

    def minute_buckets(self, lo: int, hi: int, k: int) -> list[Bucket]:
        """Per probe, buckets of ``k`` minutes from minute ``lo`` to ``hi``, in order."""
        return self.tuples(_FROM_MINUTES, {"lo": lo, "hi": hi, "k": k})  # type: ignore[return-value]

    def sample_buckets(self, start_ms: int, end_ms: int, bucket_ms: int) -> list[Bucket]:
        """Per probe, buckets of ``bucket_ms`` of raw samples, in order (outcome -1: only
        unknown samples)."""
        params = {"start": start_ms, "end": end_ms, "bucket": bucket_ms}
        return self.tuples(_FROM_SAMPLES, params)  # type: ignore[return-value]

    def newest_flips(
        self, start_ms: int, end_ms: int, limit: int
    ) -> list[tuple[int, str, str, str | None, str]]:
        """The newest ``limit`` flips between the two times, newest first: (at_ms, probe,
        check, previous, current)."""
        return self.tuples(  # type: ignore[return-value]
            'SELECT f.at_ms, p.name, p."check", f.previous, f.current '
            "FROM flips f JOIN probes p ON p.id = f.probe_id "
            "WHERE f.at_ms BETWEEN %s AND %s ORDER BY f.at_ms DESC LIMIT %s",
            [start_ms, end_ms, limit],
        )
