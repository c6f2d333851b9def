"""Probe graphs from stored samples, for the review and the cockpit; every time in integer
milliseconds since the epoch (UTC), as the store keeps them.

**Bucketing** (:func:`graph_series`). Each probe's series has at most ``max_points`` buckets. A
bucket carries its start time, the *worst* outcome in it (a single ``down`` sample survives any
downsampling) and the *highest* latency (so do spikes). Buckets of a minute or more come from the
store's per-minute rollup (``sample_minutes``); finer ones from the raw samples, but only while the
window holds at most ``raw_budget`` samples — beyond that the graph shows one point per minute, so
opening the review of a day of 1 Hz data stays fast (graphing a shorter window brings the detail
back).

**Group metrics**. Per triage group (api, webhooks, database, external), at any moment:

- **availability** = share of the group's probes whose latest known outcome is serving (``up`` or
  ``degraded``: slow still answers); probes that could not run (``unknown``) or have no sample yet
  are left out; no known probe → NaN (a gap, not a zero);
- **error rate** = mean over the group's probes of their rolling error rate, the engine's
  ``error_rate`` metric (share of ``down`` among each probe's last 20 results);
- **latency** (when there are too many probes for a line each) = the median and the highest of
  the group's latest latencies (:func:`group_latency`).

The cockpit's live graphs evaluate these functions on the latest results every second; a reopened
cockpit evaluates the same functions on stored samples (:func:`read_history`, :func:`replay`), so
both draw the same curves (a stored history rebuilds each probe's error rate from its outcomes,
as the engine computed it). :func:`read_history` opens its own store: call it on a worker thread
(``run_in_executor``), never on the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from stratus_commander.clock import to_ms
from stratus_commander.incident import Incident
from stratus_commander.store import OUTCOME_CODES, Store, open_store

__all__ = [
    "CONTEXT",
    "NO_SAMPLE",
    "FlipRow",
    "History",
    "ProbeSeries",
    "Replay",
    "graph_series",
    "group_latency",
    "group_metrics",
    "load_flips",
    "read_history",
    "replay",
    "rolling_error_rate",
    "series_window",
]

FloatArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.int8]
MsArray = npt.NDArray[np.int64]

#: Shown before detection and after resolution when graphing an incident.
CONTEXT = timedelta(minutes=15)
#: Outcome code meaning "no sample yet" (the store's codes are 0 up .. 3 unknown).
NO_SAMPLE = -1
_UP, _DEGRADED = OUTCOME_CODES["up"], OUTCOME_CODES["degraded"]
_DOWN, _UNKNOWN = OUTCOME_CODES["down"], OUTCOME_CODES["unknown"]
_MINUTE_MS = 60_000
# The live graphs tick once a second: a rebuilt history finer than that shows nothing more.
_REPLAY_STEP_MS = 1000


@dataclass(frozen=True, slots=True)
class ProbeSeries:
    probe: str
    kind: str
    check: str
    bucket_ms: int
    times_ms: MsArray  # bucket start
    latency_ms: FloatArray  # highest in the bucket; NaN when none was measured
    outcome: CodeArray  # worst in the bucket: 0 up, 1 degraded, 2 down, 3 unknown


@dataclass(frozen=True, slots=True)
class FlipRow:
    at_ms: int
    probe: str
    check: str
    previous: str | None
    current: str


@dataclass(frozen=True)
class History:
    """What a reopened cockpit redraws: every probe's series and the flips, in one window."""

    series: list[ProbeSeries]
    flips: list[FlipRow]


@dataclass(frozen=True)
class Replay:
    """Group series rebuilt from stored samples, one value per step."""

    times_ms: MsArray
    metrics: dict[str, tuple[FloatArray, FloatArray]]  # check -> (availability, error rate)
    latency: dict[str, tuple[FloatArray, FloatArray]]  # check -> (median, highest)


def series_window(incident: Incident, now: datetime) -> tuple[datetime, datetime]:
    """The incident from detection to resolution (or ``now``), with context either side."""
    return incident.detected_at - CONTEXT, (incident.resolved_at or now) + CONTEXT


def graph_series(
    store: Store,
    window: tuple[datetime, datetime],
    max_points: int = 2000,
    raw_budget: int = 1_000_000,
) -> list[ProbeSeries]:
    """Per-probe series over ``window``, sorted by check group then probe name."""
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    start, end = to_ms(window[0]), to_ms(window[1])
    if end <= start:
        return []
    store.refresh_rollup()
    bucket = -(-(end - start) // max_points)
    lo, hi = start // _MINUTE_MS, -(-end // _MINUTE_MS)
    use_minutes = bucket >= _MINUTE_MS
    if not use_minutes:
        use_minutes = store.samples_in_minutes(lo, hi) > raw_budget
    if use_minutes:
        k = -(-bucket // _MINUTE_MS)
        bucket = k * _MINUTE_MS
        origin = lo * _MINUTE_MS
        rows = store.minute_buckets(lo, hi, k)
    else:
        origin = start
        rows = store.sample_buckets(start, end, bucket)
    if not rows:
        return []
    probes = store.probe_catalog()
    data = np.array(rows, dtype=np.float64)  # a NULL latency becomes NaN
    cuts = np.flatnonzero(np.diff(data[:, 0])) + 1
    out = []
    for chunk in np.split(data, cuts):
        probe = probes[int(chunk[0, 0])]
        worst = chunk[:, 2].astype(np.int8)
        worst[worst < 0] = 3  # only "unknown" samples in the bucket
        out.append(
            ProbeSeries(
                probe=probe["name"],
                kind=probe["kind"],
                check=probe["check"],
                bucket_ms=bucket,
                times_ms=origin + chunk[:, 1].astype(np.int64) * bucket,
                latency_ms=np.ascontiguousarray(chunk[:, 3]),
                outcome=worst,
            )
        )
    return sorted(out, key=lambda s: (s.check, s.probe))


def load_flips(store: Store, window: tuple[datetime, datetime], limit: int = 500) -> list[FlipRow]:
    """State flips in ``window``, oldest first (the newest ``limit``)."""
    rows = store.newest_flips(to_ms(window[0]), to_ms(window[1]), limit)
    return [FlipRow(*row) for row in reversed(rows)]


def read_history(
    db_path: Path | str, window: tuple[datetime, datetime], max_points: int = 8192
) -> History:
    """Every probe's series (at most ``max_points`` each) and the flips in ``window``, read on
    a store of its own: the cockpit calls this on a worker thread, beside the UI's and the
    recorder's connections."""
    with open_store(db_path) as store:
        return History(graph_series(store, window, max_points), load_flips(store, window))


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


def replay(
    series: Sequence[ProbeSeries], window: tuple[datetime, datetime], max_points: int
) -> Replay:
    """Group series at most ``max_points`` times over ``window`` (a step of at least a second)
    from stored samples, as the live graphs computed them."""
    start, end = to_ms(window[0]), to_ms(window[1])
    step = max(_REPLAY_STEP_MS, -(-(end - start) // max_points))
    times = np.arange(start + step, end + 1, step, dtype=np.int64)
    n = len(series)
    codes = np.full((n, len(times)), NO_SAMPLE, dtype=np.int8)
    rates = np.full((n, len(times)), np.nan, dtype=np.float64)
    lats = np.full((n, len(times)), np.nan, dtype=np.float64)
    for i, s in enumerate(series):
        idx = np.searchsorted(s.times_ms, times, side="right") - 1
        seen = idx >= 0
        codes[i, seen] = s.outcome[idx[seen]]
        rates[i, seen] = rolling_error_rate(s.outcome)[idx[seen]]
        lats[i, seen] = s.latency_ms[idx[seen]]
    checks = [s.check for s in series]
    return Replay(times, group_metrics(checks, codes, rates), group_latency(checks, lats))


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
