"""Review benchmark: open the review of an incident over 24 h of 100 probes at 1 Hz (8.64 M
samples) and compute its graphs, beside a plain SQLite aggregate scan of the same rows.

    python tests/bench/bench_review.py [--rebuild] [--naive]

The database is built once and cached in the user's cache directory (about a minute). Each
measurement runs in a fresh subprocess so its peak RSS is its own. Figures:

* ``plain scan``: ``SELECT probe_id, count(*), sum(outcome = 2) FROM samples GROUP BY probe_id``
  (the baseline: one pass over every row, nothing else);
* ``rollup catch-up``: refreshing the per-minute rollup when the whole day is still dirty (a
  recorder that never refreshed it; the worst first open);
* ``review``: ``build_review`` (durations, milestones, uptime per group for the incident window and
  the month) + ``compute_credits`` for 200 accounts + ``graph_series`` (≤ 2 000 points per probe);
* ``--naive``: the same per-minute aggregate straight from the samples with ``GROUP BY``, to show
  why the rollup exists.

Targets (issue 5): open the review and draw its graphs ≤ 1.5 s, peak RSS ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from platformdirs import user_cache_path

# Kept between runs (about a minute to build), in the user's cache directory, not a fixed /tmp name.
CACHE = user_cache_path("stratus-commander") / "bench" / "review-24h-100x1hz.db"
PROBES = 100
SECONDS = 86_400
DAY = datetime(2026, 11, 10, tzinfo=UTC)
GROUPS = ("api", "webhooks", "database", "external")


def build(path: Path) -> None:
    """Write the day fast: raw executemany, one transaction per probe, no fsync."""
    import sqlite3

    from stratus_commander.clock import FakeClock, to_ms
    from stratus_commander.incident import Incidents
    from stratus_commander.store import open_store

    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    with open_store(path) as store:
        inc = Incidents(store, FakeClock(DAY + timedelta(seconds=SECONDS)))
        iid = inc.declare("Bench: a day of trouble", "Critical", ["API"], detected_at=DAY).id
        inc.resolve(iid)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.executemany(
        'INSERT INTO probes (id, name, kind, "check") VALUES (?, ?, ?, ?)',
        [(p, f"probe-{p:03d}", "http", GROUPS[p % 4]) for p in range(1, PROBES + 1)],
    )
    t0 = to_ms(DAY)
    for p in range(1, PROBES + 1):
        # Each probe has its own outage (10 min) and a degraded spell; latency varies.
        down = range((p * 613) % 80_000, (p * 613) % 80_000 + 600)
        slow = range((p * 997) % 80_000, (p * 997) % 80_000 + 1200)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO samples (probe_id, at_ms, outcome, latency_100us) VALUES (?, ?, ?, ?)",
            (
                (
                    p,
                    t0 + s * 1000,
                    2 if s in down else 1 if s in slow else 0,
                    None if s in down else (200 + (s * 7 + p) % 50 * 10),  # 0.1 ms
                )
                for s in range(SECONDS)
            ),
        )
        # What add_samples does for each batch: the minutes for the rollup to compute.
        conn.execute(
            "INSERT OR IGNORE INTO sample_minutes_dirty (probe_id, minute) "
            "SELECT DISTINCT probe_id, at_ms / 60000 FROM samples WHERE probe_id = ?",
            [p],
        )
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(f"built {PROBES * SECONDS:,} samples in {time.perf_counter() - started:.0f} s: {path}")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, what: str) -> dict[str, float]:
    """Run in a subprocess: one measurement, its time and the process's peak RSS."""
    from stratus_commander.clock import FakeClock
    from stratus_commander.incident import Incidents
    from stratus_commander.runbook import load_runbook
    from stratus_commander.store import open_store, refresh_sample_minutes

    store = open_store(path)
    conn = store.conn
    out: dict[str, float] = {}
    if what == "scan":
        t = time.perf_counter()
        rows = conn.execute(
            "SELECT probe_id, count(*), sum(outcome = 2) FROM samples GROUP BY probe_id"
        ).fetchall()
        out["seconds"] = time.perf_counter() - t
        out["rows"] = sum(r[1] for r in rows)
    elif what == "catchup":
        with store.write():
            conn.execute(
                "INSERT OR IGNORE INTO sample_minutes_dirty SELECT probe_id, minute "
                "FROM sample_minutes"
            )
        t = time.perf_counter()
        out["minutes"] = refresh_sample_minutes(store)
        out["seconds"] = time.perf_counter() - t
    elif what == "naive":
        t = time.perf_counter()
        rows = conn.execute(
            "SELECT probe_id, at_ms / 60000 AS m, max(outcome), max(latency_100us) FROM samples "
            "GROUP BY probe_id, m"
        ).fetchall()
        out["seconds"] = time.perf_counter() - t
        out["rows"] = len(rows)
    elif what == "review":
        from stratus_commander.credits import Account, compute_credits
        from stratus_commander.probes.series import graph_series, series_window
        from stratus_commander.review import build_review

        refresh_sample_minutes(store)  # a recorder keeps the rollup current
        runbook = load_runbook()
        inc = Incidents(store, FakeClock(DAY + timedelta(days=3)))
        (incident,) = inc.list()
        accounts = [
            Account(
                account_id=f"acct-{i:03d}",
                name=f"Customer {i}",
                monthly_fee=Decimal("1250.00"),
                currency="GBP",
                groups=(GROUPS[i % 3],),
            )
            for i in range(200)
        ]
        t = time.perf_counter()
        review = build_review(inc, runbook, incident.id)
        t_review = time.perf_counter()
        credits = compute_credits(store, incident, accounts, runbook.sla.ladder, inc.clock.now())
        t_credits = time.perf_counter()
        series = graph_series(store, series_window(incident, inc.clock.now()), max_points=2000)
        t_series = time.perf_counter()
        out.update(
            seconds=t_series - t,
            review_s=t_review - t,
            credits_s=t_credits - t_review,
            series_s=t_series - t_credits,
            probes=len(series),
            points=max(len(s.times_ms) for s in series),
            credited=sum(1 for a in credits.accounts if a.amount),
            down_minutes_api=review.month_uptime["api"].down_minutes,
        )
    store.close()
    out["peak_rss_mb"] = _rss_mb()
    return out


def run_child(path: Path, what: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--db", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the cached database.")
    parser.add_argument("--naive", action="store_true", help="Also time GROUP BY on samples.")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, default=CACHE, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.db, args.measure)))
        return
    if args.rebuild or not args.db.exists():
        build(args.db)
    run_child(args.db, "scan")  # warm the OS page cache so every figure reads from memory
    scan = run_child(args.db, "scan")
    catchup = run_child(args.db, "catchup")
    review = run_child(args.db, "review")
    print(f"{int(scan['rows']):,} samples, {PROBES} probes, 24 h at 1 Hz")
    print(
        f"  plain SQLite aggregate scan       {scan['seconds']:6.3f} s"
        f"   peak RSS {scan['peak_rss_mb']:5.0f} MB   (baseline)"
    )
    print(
        f"  review + credits + graph series   {review['seconds']:6.3f} s"
        f"   peak RSS {review['peak_rss_mb']:5.0f} MB   "
        f"(review {review['review_s']:.3f} s, credits for 200 accounts "
        f"{review['credits_s']:.3f} s, graphs {review['series_s']:.3f} s: "
        f"{int(review['probes'])} probes × ≤{int(review['points'])} points)"
    )
    print(
        f"  rollup catch-up, whole day dirty  {catchup['seconds']:6.3f} s"
        f"   peak RSS {catchup['peak_rss_mb']:5.0f} MB   "
        f"({int(catchup['minutes']):,} probe-minutes; paid once if no recorder refreshed it)"
    )
    cold = review["seconds"] + catchup["seconds"]
    print(f"  first open with nothing refreshed {cold:6.3f} s")
    if args.naive:
        naive = run_child(args.db, "naive")
        print(
            f"  naive GROUP BY minute on samples  {naive['seconds']:6.3f} s"
            f"   peak RSS {naive['peak_rss_mb']:5.0f} MB"
        )
    ok = review["seconds"] <= 1.5 and review["peak_rss_mb"] <= 400
    print(f"targets (≤ 1.5 s, ≤ 400 MB) for the review: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
