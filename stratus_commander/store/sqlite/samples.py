"""Probes, their samples and flips in the SQLite file: what the recorder writes and the graphs,
credits and the review read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from stratus_commander.secrets import redact
from stratus_commander.store.records import OUTCOME_CODES, OUTCOME_NAMES, SampleRow
from stratus_commander.store.sqlite.connection import RedactingConnection

# One bucket per probe and step, with the worst outcome and the highest latency in it: from the
# per-minute rollup for long windows, from the raw samples for short ones.
_FROM_MINUTES = """
SELECT probe_id, (minute - :lo) / :k AS b,
       CASE WHEN sum(n_down) > 0 THEN 2 WHEN sum(n_degraded) > 0 THEN 1
            WHEN sum(n_known) > 0 THEN 0 ELSE 3 END AS worst,
       max(lat_max) AS latency
FROM sample_minutes
WHERE "check" IN (SELECT DISTINCT "check" FROM probes) AND minute >= :lo AND minute < :hi
GROUP BY probe_id, b
ORDER BY probe_id, b
"""

_FROM_SAMPLES = """
SELECT probe_id, (at_ms - :start) / :bucket AS b,
       max(CASE WHEN outcome = 3 THEN -1 ELSE outcome END) AS worst,
       max(latency_100us) / 10.0 AS latency
FROM samples
WHERE probe_id IN (SELECT id FROM probes) AND at_ms >= :start AND at_ms < :end
GROUP BY probe_id, b
ORDER BY probe_id, b
"""

Bucket = tuple[int, int, int, float | None]  # probe id, bucket index, worst outcome, latency


class SampleQueries:
    """Mixed into :class:`~stratus_commander.store.sqlite.backend.SqliteStore`."""

    conn: RedactingConnection
    _probe_ids: dict[str, int]

    if TYPE_CHECKING:  # the backend's own

        def write(self) -> AbstractContextManager[RedactingConnection]: ...

        def query(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[dict[str, Any]]: ...

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
                None if r.latency_ms is None else int(r.latency_ms * 10 + 0.5),  # latency_code
                r.detail and redact(r.detail),
                r.metrics and redact(r.metrics),
            )
            for r in rows
        ]
        if not params:
            return 0
        # Their minutes, for the rollup to recompute (once per probe-minute, not per row).
        minutes = {(p[0], p[1] // 60000) for p in params}
        with self.write() as conn:
            conn.raw.executemany(
                "INSERT OR REPLACE INTO samples (probe_id, at_ms, outcome, latency_100us, "
                "detail, metrics) VALUES (?, ?, ?, ?, ?, ?)",
                params,
            )
            conn.raw.executemany(
                "INSERT OR IGNORE INTO sample_minutes_dirty (probe_id, minute) VALUES (?, ?)",
                minutes,
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

    def samples_since(self, after_ms: int) -> list[SampleRow]:
        """Every sample newer than ``after_ms``, oldest first."""
        return [
            SampleRow(name, kind, check, at_ms, OUTCOME_NAMES[code], latency, detail, metrics)
            for name, kind, check, at_ms, code, latency, detail, metrics in self.conn.execute(
                'SELECT p.name, p.kind, p."check", s.at_ms, s.outcome, s.latency_100us / 10.0, '
                "s.detail, s.metrics FROM probes p JOIN samples s ON s.probe_id = p.id "
                "AND s.at_ms > ? ORDER BY s.at_ms, p.name",
                [after_ms],
            ).fetchall()
        ]

    def probe_catalog(self) -> dict[int, dict[str, Any]]:
        """Every probe by its id: name, kind and check group."""
        return {r["id"]: r for r in self.query('SELECT id, name, kind, "check" FROM probes')}

    def samples_in_minutes(self, lo: int, hi: int) -> int:
        """How many samples the minutes ``lo`` (inclusive) to ``hi`` hold (from the rollup)."""
        return int(
            self.query(
                "SELECT coalesce(sum(n), 0) AS n FROM sample_minutes "
                'WHERE "check" IN (SELECT DISTINCT "check" FROM probes) '
                "AND minute >= ? AND minute < ?",
                [lo, hi],
            )[0]["n"]
        )

    def minute_buckets(self, lo: int, hi: int, k: int) -> list[Bucket]:
        """Per probe, buckets of ``k`` minutes from minute ``lo`` to ``hi``, in order."""
        return self.conn.execute(_FROM_MINUTES, {"lo": lo, "hi": hi, "k": k}).fetchall()

    def sample_buckets(self, start_ms: int, end_ms: int, bucket_ms: int) -> list[Bucket]:
        """Per probe, buckets of ``bucket_ms`` of raw samples, in order (outcome -1: only
        unknown samples)."""
        params = {"start": start_ms, "end": end_ms, "bucket": bucket_ms}
        return self.conn.execute(_FROM_SAMPLES, params).fetchall()

    def newest_flips(
        self, start_ms: int, end_ms: int, limit: int
    ) -> list[tuple[int, str, str, str | None, str]]:
        """The newest ``limit`` flips between the two times, newest first: (at_ms, probe,
        check, previous, current)."""
        return self.conn.execute(
            'SELECT f.at_ms, p.name, p."check", f.previous, f.current '
            "FROM flips f JOIN probes p ON p.id = f.probe_id "
            "WHERE f.at_ms BETWEEN ? AND ? ORDER BY f.at_ms DESC LIMIT ?",
            [start_ms, end_ms, limit],
        ).fetchall()
