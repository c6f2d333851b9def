"""Retention benchmark: a month of probing, pruned, compared with itself unpruned.

    python tests/bench/bench_retention.py [--days 30] [--probes 100] [--keep PATH]

Simulates ``--days`` of ``--probes`` probes at 1 Hz with 5 incidents (bulk inserts of the rows
the recorder writes, not real time), then reports, each beside its baseline from the same run:

- bytes per sample: the compact row (m005) beside the same rows in the old layout (REAL latency);
- database size without retention (everything raw) and with it (pruned + compacted), and what a
  day of probing costs for good once pruned (its per-minute rollup): goal <= 40 MB a day at 100
  probes outside incidents;
- pruning's worst stall of a concurrent durable append (a timeline note), beside that append's p99
  with nothing else running;
- the review and credit figures of every incident before and after pruning: identical.

The full month at 100 probes is 259 million samples (several GB, a long build on a shared
machine): ``--probes 10`` scales it down; per-probe figures scale linearly.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from stratus_commander import credits as cr
from stratus_commander.clock import FakeClock, SystemClock, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.probes.retention import RetentionSettings, prune
from stratus_commander.probes.series import graph_series
from stratus_commander.review.uptime import measure_review_uptime
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SqliteStore, open_store

START = datetime(2026, 10, 1, tzinfo=UTC)
DAY_S = 86_400
GROUPS = ("api", "webhooks", "database", "external")
INCIDENT_DAYS = (3, 9, 16, 22, 27)  # two of them younger than the 14-day raw window
OUTAGE_S = 45 * 60


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def _mb(n: float) -> str:
    return f"{n / 1e6:8.1f} MB"


def _file_size(path: Path) -> int:
    return sum(os.stat(f"{path}{s}").st_size for s in ("", "-wal") if os.path.exists(f"{path}{s}"))


def build(path: Path, days: int, probes: int) -> list[int]:
    """The month: probes, samples, rollup and the 5 incidents (resolved); their ids."""
    started = time.perf_counter()
    with open_store(path) as store:
        inc = Incidents(store, FakeClock(START))
        ids = []
        for n, day in enumerate(d for d in INCIDENT_DAYS if d < days):
            detected = START + timedelta(days=day, hours=10 + n)
            inc.clock.set(detected)  # type: ignore[attr-defined]
            iid = inc.declare(f"Bench outage {n + 1}", "Major", ["API"], detected_at=detected).id
            inc.clock.set(detected + timedelta(seconds=OUTAGE_S))  # type: ignore[attr-defined]
            inc.resolve(iid)
            ids.append(iid)
    outages = [
        (to_ms(START + timedelta(days=d, hours=10 + n)) // 1000 - to_ms(START) // 1000)
        for n, d in enumerate(d for d in INCIDENT_DAYS if d < days)
    ]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.executemany(
        'INSERT INTO probes (id, name, kind, "check") VALUES (?, ?, ?, ?)',
        [(p, f"probe-{p:03d}", "http", GROUPS[p % 4]) for p in range(1, probes + 1)],
    )
    t0 = to_ms(START)
    for day in range(days):
        base = day * DAY_S
        bad = [(o - base, o - base + OUTAGE_S) for o in outages if 0 <= o - base < DAY_S]
        conn.execute("BEGIN")
        for p in range(1, probes + 1):
            failing = p % 3 == 0  # a third of the probes see each outage

            def outcome(s: int, failing: bool = failing, bad: list[Any] = bad) -> int:
                return 2 if failing and any(a <= s < b for a, b in bad) else 0

            conn.executemany(
                "INSERT INTO samples (probe_id, at_ms, outcome, latency_100us) VALUES (?, ?, ?, ?)",
                (
                    (p, t0 + (base + s) * 1000, outcome(s), 200 + (s * 7 + p) % 500)
                    for s in range(DAY_S)
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO sample_minutes_dirty (probe_id, minute) VALUES (?, ?)",
                ((p, (t0 + base * 1000) // 60_000 + m) for m in range(1440)),
            )
        conn.execute("COMMIT")
        print(f"  day {day + 1}/{days} built ({time.perf_counter() - started:.0f} s)", flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open_store(path) as store:
        store.refresh_rollup()
    print(f"built {days * probes * DAY_S:,} samples in {time.perf_counter() - started:.0f} s")
    return ids


def figures(store: SqliteStore, ids: list[int], now: datetime) -> list[Any]:
    """What the review desk and `incidents credits` show of each incident."""
    inc = Incidents(store, FakeClock(now))
    ladder = load_runbook().sla.ladder
    accounts = [
        cr.Account(account_id="a", name="A", monthly_fee=Decimal(1000), currency="GBP"),
        cr.Account(
            account_id="b", name="B", monthly_fee=Decimal(99), currency="USD", groups=("api",)
        ),
    ]
    out = []
    for iid in ids:
        incident = inc.get(iid)
        report = cr.compute_credits(store, incident, accounts, ladder, now)
        window = (incident.detected_at, incident.detected_at + timedelta(seconds=OUTAGE_S))
        series = graph_series(store, window, 2000)
        out.append(
            (
                [(r.uptime, r.credit_percent, r.amount, r.explanation) for r in report.accounts],
                measure_review_uptime(store, incident, now),
                [(s.probe, s.times_ms.tolist(), s.outcome.tolist()) for s in series],
                [np.nan_to_num(s.latency_ms).tolist() for s in series],
            )
        )
    return out


def bytes_per_sample(tmp: Path) -> tuple[float, float]:
    """An hour of 100 probes in the old row layout (REAL latency) and in the compact one."""
    conn = sqlite3.connect(tmp / "layout.db", isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    rows = [
        (p, 1_790_000_000_000 + s * 1000, 0, 20.0 + (s * 7 + p) % 500 / 10)
        for p in range(1, 101)
        for s in range(3600)
    ]
    sizes = []
    for name, latency, convert in (
        ("old", "latency_ms REAL", float),
        ("compact", "latency_100us INTEGER", lambda v: int(v * 10 + 0.5)),
    ):
        conn.execute(
            f"CREATE TABLE {name} (probe_id INTEGER NOT NULL, at_ms INTEGER NOT NULL, "
            f"outcome INTEGER NOT NULL, {latency}, detail TEXT, metrics TEXT, "
            "PRIMARY KEY (probe_id, at_ms)) WITHOUT ROWID"
        )
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO {name} VALUES (?, ?, ?, ?, NULL, NULL)",
            [(p, t, o, convert(v)) for p, t, o, v in rows],
        )
        conn.execute("COMMIT")
        size = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = ? AND aggregate = 0", [name]
        ).fetchone()[0]
        sizes.append(size / len(rows))
    conn.close()
    return sizes[0], sizes[1]


def appends(store: SqliteStore, iid: int, seconds: float, stop: threading.Event) -> list[float]:
    """Durable timeline notes, one every 20 ms: each one's time in ms."""
    inc = Incidents(store, SystemClock())
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stop.is_set():
        t0 = time.perf_counter()
        inc.note(iid, "bench: still watching")
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--stall-seconds", type=float, default=20.0)
    parser.add_argument("--keep", type=Path, help="build here (and keep) instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = args.keep or Path(d)
        tmp.mkdir(parents=True, exist_ok=True)
        old, compact = bytes_per_sample(tmp)
        print("bytes per sample (100 probes x 1 h, samples table with its key):")
        print(f"  compact (m005) {compact:5.1f} B   old layout (REAL latency) {old:5.1f} B   "
              f"ratio {compact / old:4.2f}x")  # fmt: skip

        path = tmp / "month.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        ids = build(path, args.days, args.probes)
        now = START + timedelta(days=args.days)
        store = open_store(path)
        assert isinstance(store, SqliteStore)
        tables = {t["name"]: t for t in store.table_stats()}
        samples = tables["samples"]
        print(f"  samples table: {samples['bytes'] / samples['rows']:.1f} B a sample "
              f"(rows {samples['rows']:,}, indexes and pages included)")  # fmt: skip
        before = figures(store, ids, now)
        store.close()
        without = _file_size(path)

        # Append alone, then beside pruning (own thread, own connection, like the recorder).
        store = open_store(path)
        assert isinstance(store, SqliteStore)
        inc = Incidents(store, FakeClock(now))
        live = inc.declare("Bench: open while pruning", "Minor", detected_at=now).id
        alone = appends(store, live, args.stall_seconds / 2, threading.Event())
        settings = RetentionSettings()
        done = threading.Event()
        pruned: list[int] = []
        timing: list[float] = []

        def pruning() -> None:
            t0 = time.perf_counter()
            with open_store(path) as own:
                pruned.append(prune(own, settings, to_ms(now)))
            timing.append(time.perf_counter() - t0)
            done.set()

        worker = threading.Thread(target=pruning)
        worker.start()
        beside = appends(store, live, args.stall_seconds, done)
        worker.join()
        after = figures(store, ids[:], now)
        before_compact, after_compact = store.compact()
        tables = {t["name"]: t for t in store.table_stats()}
        store.close()
        with_retention = _file_size(path)

        print(f"pruning: {pruned[0]:,} raw samples in {timing[0]:.0f} s "
              f"({pruned[0] / timing[0]:,.0f}/s, batches of up to {settings.batch_rows} rows "
              f"and about {settings.batch_ms:g} ms)")  # fmt: skip
        print(f"durable append (timeline note) while pruning, {len(beside)} appends:")
        print(f"  worst {max(beside):7.1f} ms   p99 {_pct(beside, 99):7.1f} ms   |   alone "
              f"({len(alone)}): p99 {_pct(alone, 99):6.1f} ms  worst {max(alone):6.1f} ms  "
              f"median {statistics.median(alone):5.1f} ms")  # fmt: skip
        print(f"database size, {args.days} days x {args.probes} probes at 1 Hz, "
              f"{len(ids)} incidents:")  # fmt: skip
        print(f"  without retention {_mb(without)}  ({_mb(without / args.days)} a day)")
        print(f"  with retention    {_mb(with_retention)}  (raw {settings.raw_days:g} days + "
              f"incident windows + rollups; compact reclaimed "
              f"{_mb(before_compact - after_compact)})")  # fmt: skip
        rollup = tables["sample_minutes"]["bytes"] / args.days
        scale = 100 / args.probes
        print(f"  a day outside incidents once pruned (its rollup): {_mb(rollup)} "
              f"= {_mb(rollup * scale)} at 100 probes (goal <= 40 MB)")  # fmt: skip
        print(f"  a raw day (the baseline it replaces): {_mb(without / args.days)} "
              f"= {_mb(without / args.days * scale)} at 100 probes")  # fmt: skip
        same = before == after
        print(f"review and credit figures of {len(ids)} incidents before/after pruning: "
              f"{'IDENTICAL' if same else 'DIFFERENT'}")  # fmt: skip
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
