"""Migration m005: samples in as few bytes as they need.

The key was already compact (integer probe id and milliseconds, ``WITHOUT ROWID``, the outcome an
integer code, which SQLite stores in no bytes at all for 0 and 1). The latency was a REAL: eight
bytes for any value with a fraction. It becomes an integer count of 0.1 ms (``latency_100us``,
two or three bytes): a probe's latency is not measured finer than that. The per-minute rollup
keeps ``lat_max`` in milliseconds, rounded the same way so it agrees with its samples.

The per-row insert trigger that marked a sample's minute for the rollup goes too (it was 40 % of
a batched insert): :meth:`SampleQueries.add_samples` marks each batch's minutes itself, once per
probe-minute. Deletes and updates still mark theirs by trigger.
"""

from __future__ import annotations

import sqlite3

#: Milliseconds (float) to the stored integer of 0.1 ms, half up (latencies are never negative);
#: the SQL twin of :func:`latency_code`.
LATENCY_CODE_SQL = "CAST({ms} * 10 + 0.5 AS INTEGER)"


def latency_code(ms: float | None) -> int | None:
    return None if ms is None else int(ms * 10 + 0.5)


_MARK_DIRTY = (
    "INSERT INTO sample_minutes_dirty (probe_id, minute) VALUES ({row}.probe_id, "
    "{row}.at_ms / 60000) ON CONFLICT DO NOTHING;"
)

_STATEMENTS = [
    """
    CREATE TABLE samples_compact (
        probe_id INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        outcome INTEGER NOT NULL,
        latency_100us INTEGER,
        detail TEXT,
        metrics TEXT,
        PRIMARY KEY (probe_id, at_ms)
    ) WITHOUT ROWID
    """,
    "INSERT INTO samples_compact SELECT probe_id, at_ms, outcome, "
    f"{LATENCY_CODE_SQL.format(ms='latency_ms')}, detail, metrics FROM samples",
    "DROP TABLE samples",  # and its triggers
    "ALTER TABLE samples_compact RENAME TO samples",
    # The rollup is not rebuilt (it also holds minutes whose samples retention pruned): its
    # highest latencies are rounded as their samples now are (max and rounding commute).
    "UPDATE sample_minutes SET lat_max = "
    f"{LATENCY_CODE_SQL.format(ms='lat_max')} / 10.0 WHERE lat_max IS NOT NULL",
    f"CREATE TRIGGER samples_minute_del AFTER DELETE ON samples BEGIN "
    f"{_MARK_DIRTY.format(row='OLD')} END",
    "CREATE TRIGGER samples_minute_upd AFTER UPDATE ON samples BEGIN "
    f"{_MARK_DIRTY.format(row='OLD')} {_MARK_DIRTY.format(row='NEW')} END",
]


def compact_samples(conn: sqlite3.Connection) -> None:
    """Rebuild ``samples`` with the compact latency (inside the upgrade's one transaction)."""
    for statement in _STATEMENTS:
        conn.execute(statement)
