"""The cockpit graphs' numbers: what "availability" and "error rate" mean, and stored history.

Per triage group (api, webhooks, database, external), at any moment:

- **availability** = share of the group's probes whose latest known outcome is serving (``up`` or
  ``degraded``: slow still answers); probes that could not run (``unknown``) or have no sample yet
  are left out; no known probe → NaN (a gap, not a zero);
- **error rate** = mean over the group's probes of their rolling error rate, the engine's
  ``error_rate`` metric (share of ``down`` among each probe's last 20 results);
- **latency** (when there are too many probes for a line each) = the median and the highest of
  the group's latest latencies (:func:`group_latency`).

The live graphs evaluate these functions on the latest results every second; a reopened
cockpit evaluates the same functions on stored samples (:func:`load_history`, :func:`replay`), so
both draw the same curves (a stored history rebuilds each probe's error rate from its outcomes,
as the engine computed it). :func:`load_history` and :func:`load_flips` open their own
connection: call them on a worker thread (``run_in_executor``), never on the UI thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from stratus_commander.clock import from_ms
from stratus_commander.series import graph_series
from stratus_commander.store import OUTCOME_CODES, open_store

__all__ = [
    "NO_SAMPLE",
    "FlipRow",
    "ProbeHistory",
    "group_latency",
    "group_metrics",
    "load_flips",
    "load_history",
    "replay",
    "rolling_error_rate",
]

FloatArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.int8]

#: Outcome code meaning "no sample yet" (the store's codes are 0 up .. 3 unknown).
NO_SAMPLE = -1
_UP, _DEGRADED = OUTCOME_CODES["up"], OUTCOME_CODES["degraded"]
_DOWN, _UNKNOWN = OUTCOME_CODES["down"], OUTCOME_CODES["unknown"]


@dataclass(frozen=True)
class ProbeHistory:
    """One probe's stored samples in a window, oldest first (times in epoch seconds)."""

    probe: str
    kind: str
    check: str
    at_s: FloatArray
    latency_ms: FloatArray  # NaN where the sample had no latency
    outcome: CodeArray
    error_rate: FloatArray  # rebuilt from the outcomes (:func:`rolling_error_rate`)


@dataclass(frozen=True, slots=True)
class FlipRow:
    at_s: float
    probe: str
    check: str
    previous: str | None
    current: str


def group_metrics(
    checks: Sequence[str], outcomes: npt.ArrayLike, error_rates: npt.ArrayLike
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Availability and error rate in percent per group, for every column (moment) given.

    ``outcomes`` and ``error_rates`` are ``(probes, moments)`` arrays (a 1-D array is one moment),
    row *i* belonging to group ``checks[i]``; outcome codes as the store's, :data:`NO_SAMPLE` for
    none; error rates in 0..1, NaN for none.
    """
    codes = np.asarray(outcomes, dtype=np.int8)
    rates = np.asarray(error_rates, dtype=np.float64)
    if codes.ndim == 1:
        codes, rates = codes[:, None], rates[:, None]
    out: dict[str, tuple[FloatArray, FloatArray]] = {}
    groups = np.asarray(checks)
    for check in dict.fromkeys(checks):
        rows = groups == check
        c, r = codes[rows], rates[rows]
        known = (c != NO_SAMPLE) & (c != _UNKNOWN)
        serving = (c == _UP) | (c == _DEGRADED)
        n_known = known.sum(axis=0)
        n_rates = (~np.isnan(r)).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            avail = np.where(n_known > 0, 100.0 * serving.sum(axis=0) / n_known, np.nan)
            err = np.where(n_rates > 0, 100.0 * np.nansum(r, axis=0) / n_rates, np.nan)
        out[check] = (avail.astype(np.float64), err.astype(np.float64))
    return out


def group_latency(
    checks: Sequence[str], latencies: npt.ArrayLike
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Median and highest latency (ms) per group, for every column (moment) given.

    ``latencies`` is a ``(probes, moments)`` array (1-D: one moment), NaN where a probe has none.
    """
    lat = np.asarray(latencies, dtype=np.float64)
    if lat.ndim == 1:
        lat = lat[:, None]
    out: dict[str, tuple[FloatArray, FloatArray]] = {}
    groups = np.asarray(checks)
    for check in dict.fromkeys(checks):
        sub = lat[groups == check]
        valid = ~np.isnan(sub)
        n = valid.sum(axis=0)
        ordered = np.sort(np.where(valid, sub, np.inf), axis=0)  # missing values sort last
        cols = np.arange(sub.shape[1])
        lo, hi = np.maximum(n - 1, 0) // 2, n // 2  # the middle one or two of the valid values
        median = np.where(n > 0, (ordered[lo, cols] + ordered[hi, cols]) / 2, np.nan)
        highest = np.where(n > 0, np.max(np.where(valid, sub, -np.inf), axis=0), np.nan)
        out[check] = (median.astype(np.float64), highest.astype(np.float64))
    return out


@dataclass(frozen=True)
class Replay:
    """Group series rebuilt from stored samples, one value per step."""

    times: FloatArray
    metrics: dict[str, tuple[FloatArray, FloatArray]]  # check -> (availability, error rate)
    latency: dict[str, tuple[FloatArray, FloatArray]]  # check -> (median, highest)


def replay(
    histories: Sequence[ProbeHistory], start_s: float, end_s: float, step_s: float
) -> Replay:
    """Group series every ``step_s`` from stored samples, as the live graphs computed them."""
    times = np.arange(start_s + step_s, end_s + step_s / 2, step_s, dtype=np.float64)
    n = len(histories)
    codes = np.full((n, len(times)), NO_SAMPLE, dtype=np.int8)
    rates = np.full((n, len(times)), np.nan, dtype=np.float64)
    lats = np.full((n, len(times)), np.nan, dtype=np.float64)
    for i, h in enumerate(histories):
        idx = np.searchsorted(h.at_s, times, side="right") - 1
        seen = idx >= 0
        codes[i, seen] = h.outcome[idx[seen]]
        rates[i, seen] = h.error_rate[idx[seen]]
        lats[i, seen] = h.latency_ms[idx[seen]]
    checks = [h.check for h in histories]
    return Replay(times, group_metrics(checks, codes, rates), group_latency(checks, lats))


def _connect(db_path: Path) -> sqlite3.Connection:
    # Read-only, its own connection: it runs on a worker thread beside the UI's and the recorder's.
    return sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)


def rolling_error_rate(outcome: CodeArray, window: int | None = None) -> FloatArray:
    """The engine's ``error_rate`` rebuilt from outcomes: the share of ``down`` among the last
    ``window`` (default: the engine's) known (not ``unknown``) results, carried over unknown ones;
    NaN before any."""
    if window is None:
        # Here, not at the top: the engine loads httpx, which the cockpit's first paint can do
        # without (the graphs import this module).
        from stratus_commander.probes.engine import ERROR_RATE_WINDOW

        window = ERROR_RATE_WINDOW
    known = (outcome != _UNKNOWN) & (outcome != NO_SAMPLE)
    k = np.cumsum(known)  # known results so far
    downs = np.concatenate([[0], np.cumsum((outcome == _DOWN)[known])])  # downs among the first j
    first = np.maximum(k - window, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (downs[k] - downs[first]) / np.minimum(k, window)
    return np.where(k > 0, rate, np.nan).astype(np.float64)


def load_history(
    db_path: Path, since_s: float, until_s: float, max_points: int = 8192
) -> list[ProbeHistory]:
    """Every probe's samples between two times, at most ``max_points`` per probe.

    Read through the review's :func:`stratus_commander.series.graph_series` (one bucketing for
    the cockpit and the review: each bucket keeps its worst outcome and highest latency, so an
    outage never averages away), on a connection of its own.
    """
    window = (from_ms(int(since_s * 1000)), from_ms(int(until_s * 1000)))
    store = open_store(db_path)
    try:
        found = graph_series(store, window, max_points=max_points)
    finally:
        store.close()
    return [
        ProbeHistory(
            probe=s.probe,
            kind=s.kind,
            check=s.check,
            at_s=s.times_ms / 1000.0,
            latency_ms=s.latency_ms,
            outcome=s.outcome,
            error_rate=rolling_error_rate(s.outcome),
        )
        for s in found
    ]


def load_flips(db_path: Path, since_s: float, until_s: float, limit: int = 500) -> list[FlipRow]:
    """State flips between two times, oldest first (the newest ``limit``)."""
    conn = _connect(db_path)
    try:
        rows = conn.execute(
            'SELECT f.at_ms, p.name, p."check", f.previous, f.current '
            "FROM flips f JOIN probes p ON p.id = f.probe_id "
            "WHERE f.at_ms BETWEEN ? AND ? ORDER BY f.at_ms DESC LIMIT ?",
            [int(since_s * 1000), int(until_s * 1000), limit],
        ).fetchall()
    finally:
        conn.close()
    return [FlipRow(r[0] / 1000.0, r[1], r[2], r[3], r[4]) for r in reversed(rows)]
