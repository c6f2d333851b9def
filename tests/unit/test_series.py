"""The graphs' series: bucketing stored samples, and what the cockpit calls availability and
error rate, live and replayed (Qt-free; times in integer milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from stratus_commander.clock import from_ms, to_ms
from stratus_commander.probes.series import (
    NO_SAMPLE,
    FlipRow,
    graph_series,
    group_latency,
    group_metrics,
    read_history,
    replay,
    rolling_error_rate,
)
from stratus_commander.store import SampleRow, SqliteStore, open_store

UP, DEGRADED, DOWN, UNKNOWN = 0, 1, 2, 3
T0 = datetime(2026, 11, 27, 9, 58, tzinfo=UTC)


def test_availability_counts_serving_probes_and_skips_unknown() -> None:
    checks = ["api", "api", "api", "external", "database"]
    out = group_metrics(
        checks, [UP, DEGRADED, DOWN, UNKNOWN, NO_SAMPLE], [0.0, 0.1, 0.8, np.nan, np.nan]
    )
    avail, err = out["api"]
    assert avail.tolist() == [100 * 2 / 3] and np.isclose(err[0], 30.0)
    assert np.isnan(out["external"][0][0]) and np.isnan(out["database"][1][0])


def test_replay_of_stored_samples_matches_the_live_definition(tmp_path) -> None:
    db = tmp_path / "x.db"
    store = open_store(db)
    rows = [
        SampleRow(
            "a",
            "http",
            "api",
            1000 * s,
            "down" if 10 <= s < 20 else "up",
            5.0,
        )
        for s in range(30)
    ]
    store.add_samples(rows)
    store.add_flip("a", "http", "api", 10_000, "up", "down", "HTTP 503")
    store.close()
    window = (from_ms(0), from_ms(30_000))  # [start, end)
    history = read_history(db, window)
    (series,) = history.series
    assert series.probe == "a" and series.times_ms.tolist() == [1000 * s for s in range(30)]
    assert history.flips == [FlipRow(10_000, "a", "api", "up", "down")]
    rebuilt = replay(history.series, window, max_points=6)
    assert rebuilt.times_ms.tolist() == [5000, 10_000, 15_000, 20_000, 25_000, 30_000]
    assert rebuilt.metrics["api"][0].tolist() == [100, 0, 0, 100, 100, 100]
    # the engine's rolling share of down among the last 20 results, rebuilt from the outcomes
    assert np.allclose(rebuilt.metrics["api"][1], [0, 100 / 11, 100 * 6 / 16, 50, 50, 50])
    assert rebuilt.latency["api"][0].tolist() == [5.0] * 6


def test_a_long_history_is_bucketed_keeping_the_worst(tmp_path) -> None:
    db = tmp_path / "x.db"
    store = open_store(db)
    # 1000 samples, one of them down: bucketed to at most 10 points, the outage must survive.
    rows = [
        SampleRow("a", "http", "api", 1000 * s, "down" if s == 503 else "up", float(s), None, None)
        for s in range(1000)
    ]
    store.add_samples(rows)
    store.close()
    (series,) = read_history(db, (from_ms(0), from_ms(1_000_000)), max_points=10).series
    assert 1 < len(series.times_ms) <= 10
    assert series.outcome.tolist().count(DOWN) == 1
    assert series.latency_ms.max() == 999.0


def test_error_rate_is_rebuilt_as_the_engine_computes_it() -> None:
    outcomes = np.array([UNKNOWN, UP, DOWN, UNKNOWN, DOWN, UP], dtype=np.int8)
    rate = rolling_error_rate(outcomes, window=2)
    assert np.isnan(rate[0])  # nothing known yet
    # up → 0; up,down → 1/2; unknown carries 1/2; down,down → 1; down,up → 1/2
    assert rate[1:].tolist() == [0.0, 0.5, 0.5, 1.0, 0.5]


def test_group_latency_is_the_median_and_the_highest_of_known_values() -> None:
    out = group_latency(["a", "a", "a", "b"], [[30, 10], [10, np.nan], [20, np.nan], [np.nan, 7]])
    assert out["a"][0].tolist() == [20.0, 10.0] and out["a"][1].tolist() == [30.0, 10.0]
    assert np.isnan(out["b"][0][0]) and out["b"][1][1] == 7.0


def test_graph_series_keeps_a_single_down_sample_and_the_spikes() -> None:
    store = SqliteStore.memory()
    start = to_ms(T0)
    store.add_samples(
        SampleRow("api-health", "http", "api", start + s * 1000,
                  "down" if s == 1234 else "unknown" if 2000 <= s < 2100 else "up",
                  900.0 if s == 777 else 20.0)
        for s in range(3600)
    )  # fmt: skip
    window = (T0, T0 + timedelta(hours=1))
    (series,) = graph_series(store, window, max_points=100)
    assert series.probe == "api-health" and series.check == "api"
    assert len(series.times_ms) == 100 and series.bucket_ms == 36_000
    assert int(np.count_nonzero(series.outcome == 2)) == 1
    assert series.times_ms[series.outcome == 2][0] == start + (1234 // 36) * 36_000
    assert np.nanmax(series.latency_ms) == 900.0
    assert 3 in series.outcome  # a bucket holding only unknown samples
    # Over the raw budget, the same window comes from the per-minute rollup.
    (coarse,) = graph_series(store, window, max_points=100, raw_budget=1000)
    assert coarse.bucket_ms == 60_000 and len(coarse.times_ms) == 60
    assert int(np.count_nonzero(coarse.outcome == 2)) == 1
    assert np.nanmax(coarse.latency_ms) == 900.0
