"""m005: a database written before it (latency as REAL) upgrades on open, losing no sample, and
stores each new sample in fewer bytes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from stratus_commander.store import SampleRow, SqliteStore, open_store
from stratus_commander.store.sqlite.migrations import migrations

MINUTE = 60_000


def _legacy(path: Path) -> None:
    """The schema up to m004 and samples as those versions wrote them."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.apply(sqlite_utils.Database(conn), stop_before="m005_compact_samples")
    conn.execute("INSERT INTO probes (id, name, kind, \"check\") VALUES (1, 'api', 'http', 'api')")
    conn.executemany(
        "INSERT INTO samples (probe_id, at_ms, outcome, latency_ms, detail, metrics) "
        "VALUES (1, ?, ?, ?, ?, ?)",
        [
            (100 * MINUTE, 0, 12.34, None, None),
            (100 * MINUTE + 1000, 2, 250.06, "HTTP 503", '{"error_rate": 0.5}'),
            (101 * MINUTE, 3, None, "no credentials", None),
        ],
    )
    conn.execute("DELETE FROM sample_minutes_dirty")  # a rollup as up to date as it can be
    conn.execute(
        "INSERT INTO sample_minutes VALUES ('api', 100, 1, 2, 2, 0, 1, 250.06), "
        "('api', 101, 1, 1, 0, 0, 0, NULL), ('api', 50, 1, 60, 60, 0, 0, 31.27)"  # pruned: no raw
    )
    conn.close()


def test_an_existing_database_upgrades_with_every_sample_and_minute(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    _legacy(path)
    with open_store(path) as store:
        assert isinstance(store, SqliteStore)
        rows = store.query("SELECT * FROM samples ORDER BY at_ms")
        assert [(r["at_ms"], r["outcome"], r["latency_100us"], r["detail"]) for r in rows] == [
            (100 * MINUTE, 0, 123, None),
            (100 * MINUTE + 1000, 2, 2501, "HTTP 503"),
            (101 * MINUTE, 3, None, "no credentials"),
        ]
        assert rows[1]["metrics"] == '{"error_rate": 0.5}'
        # The rollup keeps the minute whose samples are gone, its latency rounded like theirs.
        assert store.minute_buckets(50, 51, 1) == [(1, 0, 0, 31.3)]
        assert store.minute_buckets(100, 102, 1) == [(1, 0, 2, 250.1), (1, 1, 3, None)]
        assert store.sample_buckets(100 * MINUTE, 102 * MINUTE, MINUTE) == [
            (1, 0, 2, 250.1),
            (1, 1, -1, None),
        ]
        # The triggers came back with the table: a new sample marks its minute for the rollup.
        store.add_samples([SampleRow("api", "http", "api", 101 * MINUTE + 500, "down", 7.25)])
        assert store.refresh_rollup() == 1
        assert store.minute_buckets(101, 102, 1) == [(1, 0, 2, 7.3)]
        store.prune_samples([(0, 101 * MINUTE)], 1000)
        assert store.refresh_rollup() == 0
        assert store.minute_buckets(100, 101, 1) == [(1, 0, 2, 250.1)]
