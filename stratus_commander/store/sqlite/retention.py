"""Retention and upkeep of the SQLite file: pruning raw samples in small batches (their minute
rollup kept exact), table sizes, and giving free pages back to the file system."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stratus_commander.store.sqlite.connection import RedactingConnection
from stratus_commander.store.sqlite.rollup import LATENCY, ROLLUP

_MINUTE = 60_000

# The exact rollup of one probe's minutes [lo, hi), from its samples, before they go.
_ROLLUP_RANGE = ROLLUP.format(
    latency=LATENCY,
    target="sample_minutes",
    minute="s.at_ms / 60000",
    probe="s.probe_id",
    source="samples s JOIN probes p ON p.id = s.probe_id "
    "WHERE s.probe_id = :probe AND s.at_ms >= :lo AND s.at_ms < :hi",
)


class RetentionQueries:
    """Mixed into :class:`~stratus_commander.store.sqlite.backend.SqliteStore`."""

    conn: RedactingConnection
    path: Path | None

    if TYPE_CHECKING:  # the backend's own

        def write(self) -> AbstractContextManager[RedactingConnection]: ...

        def query(
            self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
        ) -> list[dict[str, Any]]: ...

    def prune_samples(self, spans: Sequence[tuple[int, int]], limit: int) -> int:
        conn = self.conn
        probes = [r[0] for r in conn.execute("SELECT id FROM probes ORDER BY id")]
        for start, end in spans:
            for probe in probes:
                first = conn.execute(
                    "SELECT at_ms FROM samples WHERE probe_id = ? AND at_ms >= ? AND at_ms < ? "
                    "ORDER BY at_ms LIMIT 1",
                    [probe, start, end],
                ).fetchone()
                if first is not None:
                    return self._prune_range(probe, first[0], end, limit)
        return 0

    def _prune_range(self, probe: int, first: int, end: int, limit: int) -> int:
        conn = self.conn
        lo = first // _MINUTE * _MINUTE
        beyond = conn.execute(
            "SELECT at_ms FROM samples WHERE probe_id = ? AND at_ms >= ? AND at_ms < ? "
            "ORDER BY at_ms LIMIT 1 OFFSET ?",
            [probe, lo, end, limit],
        ).fetchone()
        # Whole minutes only: a minute half pruned could not be rolled up again.
        hi = end if beyond is None else max(beyond[0] // _MINUTE * _MINUTE, lo + _MINUTE)
        params = {"probe": probe, "lo": lo, "hi": min(hi, end)}
        with self.write() as conn:
            # The minutes' rollup made exact from their samples first (a late sample may have
            # left one dirty); the delete then marks them dirty again, and those marks go, since
            # there is nothing left to recompute them from.
            conn.execute(
                "DELETE FROM sample_minutes WHERE probe_id = :probe "
                "AND minute >= :lo / 60000 AND minute < :hi / 60000",
                params,
            )
            conn.execute(_ROLLUP_RANGE, params)
            deleted = conn.execute(
                "DELETE FROM samples WHERE probe_id = :probe AND at_ms >= :lo AND at_ms < :hi",
                params,
            ).rowcount
            conn.execute(
                "DELETE FROM sample_minutes_dirty WHERE probe_id = :probe "
                "AND minute >= :lo / 60000 AND minute < :hi / 60000",
                params,
            )
        return int(deleted)

    def table_stats(self) -> list[dict[str, Any]]:
        conn = self.conn
        sizes: dict[str, int] = {}
        # dbstat (compiled into Python's SQLite) sizes every b-tree; an index counts for its table.
        owner = {
            r[0]: r[1]
            for r in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
        }
        for name, size in conn.execute(
            "SELECT name, sum(pgsize) FROM dbstat WHERE aggregate = 0 GROUP BY name"
        ):
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + int(size)
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                "'CREATE VIRTUAL%'"
            )
        ]
        stats = []
        for table in tables:
            rows = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            stats.append({"name": table, "rows": int(rows), "bytes": sizes.get(table, 0)})
        return sorted(stats, key=lambda s: (-s["bytes"], s["name"]))

    def compact(self) -> tuple[int, int]:
        conn = self.conn
        before = self._size()
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            # A file made before incremental vacuum: one full VACUUM turns it on for good.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("VACUUM")
        else:
            # executescript steps it to the end (execute() frees one page)
            conn.raw.executescript("PRAGMA incremental_vacuum")
        if self.path is not None:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return before, self._size()

    def _size(self) -> int:
        if self.path is None:
            pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
            return int(pages) * int(self.conn.execute("PRAGMA page_size").fetchone()[0])
        total = 0
        for suffix in ("", "-wal"):
            with suppress(FileNotFoundError):
                total += os.stat(f"{self.path}{suffix}").st_size
        return total
