"""What the graphs call availability and error rate, live and replayed (Qt-free)."""

from __future__ import annotations

import numpy as np

from stratus_commander.cockpit_series import (
    NO_SAMPLE,
    group_latency,
    group_metrics,
    load_history,
    replay,
    rolling_error_rate,
)
from stratus_commander.store import SampleRow, open_store

UP, DEGRADED, DOWN, UNKNOWN = 0, 1, 2, 3


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
    store.close()
    (history,) = load_history(db, 0, 30)  # [start, end)
    assert history.probe == "a" and len(history.at_s) == 30
    rebuilt = replay([history], 0, 30, 5)
    assert rebuilt.times.tolist() == [5, 10, 15, 20, 25, 30]
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
    (history,) = load_history(db, 0, 1000, max_points=10)
    assert 1 < len(history.at_s) <= 10
    assert history.outcome.tolist().count(DOWN) == 1
    assert history.latency_ms.max() == 999.0


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
