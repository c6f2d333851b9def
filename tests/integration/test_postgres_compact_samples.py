"""p002 on a real PostgreSQL server: a team database written before it (latency as a float)
upgrades on open, losing no sample and no minute of the rollup, and keeps each sample in fewer
bytes; what it reads back is what the SQLite file reads back after its m005."""

from __future__ import annotations

import psycopg
import pytest

from stratus_commander.store import SampleRow, open_store
from stratus_commander.store.postgres.backend import PostgresStore
from stratus_commander.store.postgres.schema import MIGRATION_NAMES, MIGRATIONS_TABLE, apply
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

MINUTE = 60_000


def _legacy(db: TeamDb) -> float:
    """The schema up to p001 and samples as that version wrote them; their mean row size."""
    with psycopg.connect(db.url, autocommit=True) as conn:
        apply(conn, db.url, stop_before="p002_compact_samples")
        conn.execute(
            "INSERT INTO probes (id, name, kind, \"check\") VALUES (1, 'api', 'http', 'api')"
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO samples (probe_id, at_ms, outcome, latency_ms, detail, metrics) "
                "VALUES (1, %s, %s, %s, %s, %s)",
                [
                    (100 * MINUTE, 0, 12.34, None, None),
                    (100 * MINUTE + 1000, 2, 250.06, "HTTP 503", '{"error_rate": 0.5}'),
                    (101 * MINUTE, 3, None, "no credentials", None),
                ]
                + [(102 * MINUTE + i, 0, 10.0 + i / 100, None, None) for i in range(500)],
            )
        conn.execute("DELETE FROM sample_minutes_dirty")  # a rollup as up to date as it can be
        conn.execute(
            "INSERT INTO sample_minutes VALUES ('api', 100, 1, 2, 2, 0, 1, 250.06), "
            "('api', 101, 1, 1, 0, 0, 0, NULL), ('api', 50, 1, 60, 60, 0, 0, 31.27)"  # pruned
        )
        row = conn.execute("SELECT avg(pg_column_size(s.*)) FROM samples s").fetchone()
    assert row is not None
    return float(row[0])


def test_a_team_database_upgrades_with_every_sample_and_minute(team_db: TeamDb) -> None:
    size_before = _legacy(team_db)
    with open_store(team_db.url) as store:
        assert isinstance(store, PostgresStore)
        applied = {r["name"] for r in store.query(f"SELECT name FROM {MIGRATIONS_TABLE}")}
        assert applied == set(MIGRATION_NAMES)
        rows = store.query("SELECT * FROM samples WHERE at_ms < %s ORDER BY at_ms", [102 * MINUTE])
        assert [(r["at_ms"], r["outcome"], r["latency_100us"], r["detail"]) for r in rows] == [
            (100 * MINUTE, 0, 123, None),
            (100 * MINUTE + 1000, 2, 2501, "HTTP 503"),
            (101 * MINUTE, 3, None, "no credentials"),
        ]
        assert rows[1]["metrics"] == '{"error_rate": 0.5}'
        assert "latency_ms" not in rows[0]
        assert len(store.samples_since(0)) == 503
        # Each sample takes fewer bytes than it did.
        size_after = store.query("SELECT avg(pg_column_size(s.*)) AS n FROM samples s")[0]["n"]
        assert float(size_after) < size_before
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
    with open_store(team_db.url) as again:  # nothing pending the second time
        assert again.minute_buckets(101, 102, 1) == [(1, 0, 2, 7.3)]
