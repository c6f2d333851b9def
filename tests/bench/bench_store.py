"""Store benchmarks, each beside a raw sqlite3 baseline measured in the same run.

    python tests/bench/bench_store.py [--events 500] [--samples 200000]

Targets (issue 2): durable event append p50/p99 ≤ 2× raw; batched sample insert ≥ 50 000 rows/s and
≤ 1.5× the raw time (issue 14: ≤ 1.3×). Raw writes the same compact row (latency in 0.1 ms).
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.store import SampleRow, open_store


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, seq INT, at TEXT, text TEXT, "
        "prev TEXT, hash TEXT)"
    )
    conn.execute(
        "CREATE TABLE samples (probe_id INT, at_ms INT, outcome INT, latency_100us INT, "
        "detail TEXT, metrics TEXT, PRIMARY KEY (probe_id, at_ms)) WITHOUT ROWID"
    )
    return conn


def bench_events(tmp: Path, n: int) -> tuple[list[float], list[float]]:
    """Raw: the same rows (event, FTS index, incident head) into the same schema, no app code."""
    open_store(tmp / "raw.db").close()
    raw = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute(
        "INSERT INTO incidents (id, title, impact, status, detected_at, declared_at, head_hash) "
        "VALUES (1, 'bench', 'Minor', 'investigating', 'x', 'x', '')"
    )
    raw_times = []
    prev = "0" * 64
    for seq in range(1, n + 1):
        t0 = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        text = "x" * 200
        h = hashlib.sha256((prev + text).encode()).hexdigest()
        raw.execute(
            "INSERT INTO events (incident_id, seq, at, kind, actor, text, data, prev_hash, hash) "
            "VALUES (1, ?, ?, 'note', 'bench', ?, '{}', ?, ?)",
            [seq, datetime.now(UTC).isoformat(), text, prev, h],
        )
        raw.execute("UPDATE incidents SET event_count = ?, head_hash = ? WHERE id = 1", [seq, h])
        raw.execute("COMMIT")
        prev = h
        raw_times.append((time.perf_counter() - t0) * 1000)
    raw.close()
    store = open_store(tmp / "app.db")
    inc = Incidents(store, SystemClock())
    iid = inc.declare("bench", "Minor").id
    app_times = []
    for _ in range(n):
        t0 = time.perf_counter()
        inc.note(iid, "x" * 200)
        app_times.append((time.perf_counter() - t0) * 1000)
    store.close()
    return raw_times, app_times


def bench_samples(tmp: Path, n: int, batch: int = 5000) -> tuple[float, float]:
    """Both sides get the same input, the recorder's SampleRows; raw maps names to ids itself."""
    rows = [
        SampleRow(
            f"probe-{i % 100}", "http", "api", i // 100 * 1000, "up" if i % 17 else "down", 12.5
        )
        for i in range(n)
    ]
    raw = raw_connection(tmp / "raw-s.db")
    ids = {f"probe-{i}": i for i in range(100)}
    codes = {"up": 0, "degraded": 1, "down": 2, "unknown": 3}
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT OR REPLACE INTO samples (probe_id, at_ms, outcome, latency_100us, detail, "
            "metrics) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    ids[r.probe],
                    r.at_ms,
                    codes[r.outcome],
                    None if r.latency_ms is None else int(r.latency_ms * 10 + 0.5),
                    r.detail,
                    r.metrics,
                )
                for r in rows[start : start + batch]
            ],
        )
        raw.execute("COMMIT")
    raw_s = time.perf_counter() - t0
    raw.close()
    store = open_store(tmp / "app-s.db")
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        store.add_samples(rows[start : start + batch])
    app_s = time.perf_counter() - t0
    store.close()
    return raw_s, app_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--samples", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        raw_t, app_t = bench_events(tmp, args.events)
        print(f"durable event append ({args.events} events, synchronous=FULL):")
        for name, p in (("p50", 50), ("p99", 99)):
            r, a = _pct(raw_t, p), _pct(app_t, p)
            print(
                f"  {name}: app {a:7.3f} ms   raw sqlite3 {r:7.3f} ms   ratio {a / r:4.2f}x"
                f"  (target <= 2x)"
            )
        print(f"  mean: app {statistics.mean(app_t):.3f} ms   raw {statistics.mean(raw_t):.3f} ms")
        raw_s, app_s = bench_samples(tmp, args.samples)
        print(f"batched sample insert ({args.samples} rows, batches of 5000):")
        print(
            f"  app {args.samples / app_s:10.0f} rows/s ({app_s:.2f} s)   raw sqlite3 "
            f"{args.samples / raw_s:10.0f} rows/s ({raw_s:.2f} s)   "
            f"time ratio {app_s / raw_s:4.2f}x"
            f"  (targets >= 50000 rows/s, <= 1.3x)"
        )


if __name__ == "__main__":
    main()
