"""Retention of probe samples: a bounded disk that loses no evidence.

- Raw samples are kept for ``raw_days`` (the ``[retention]`` table of the config file).
- Inside every incident's window, from an hour before its detection to an hour after its
  resolution (an open incident: from an hour before detection on), raw samples are kept for good,
  so its graphs replay exactly forever.
- Outside those windows the per-minute rollup (``sample_minutes``) is kept for good: it is what
  credits and month views read, and the store keeps it exact when it prunes (whole minutes only).

Pruning runs where the samples are written (the recorder's process, on its own thread and its own
connection), one small batch per transaction, so a durable append waits for one batch at most.
A batch is sized by the time it holds the write lock (``batch_ms``), not only by its rows (on a
file of months, 5 000 rows held it ~180 ms): a batch slower than ``batch_ms`` halves the next,
one under half of it doubles it, up to ``batch_rows``::

    pruned = prune(store, settings, now_ms)            # every batch due, with pauses between
    spans = prunable_spans(store.incident_rows(), settings, now_ms)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stratus_commander.clock import from_iso, to_ms
from stratus_commander.store import Store

__all__ = [
    "FIRST_BATCH",
    "INCIDENT_MARGIN_MS",
    "MIN_BATCH",
    "RetentionSettings",
    "keep_windows",
    "next_batch",
    "prunable_spans",
    "prune",
]

MINUTE_MS = 60_000
DAY_MS = 86_400_000
#: Raw samples kept on each side of an incident: its graphs start before the first failure.
INCIDENT_MARGIN_MS = 3_600_000
#: Beyond every time a sample can carry (an open incident keeps everything after its start).
_FOREVER = 2**62
#: A prune's first batch (rows), and the smallest: the speed of the file is learnt as it goes.
FIRST_BATCH, MIN_BATCH = 1000, 100


class RetentionSettings(BaseModel):
    """The ``[retention]`` table of the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Days raw samples are kept outside incident windows (rollups are kept for good).
    raw_days: float = Field(default=14.0, gt=0)
    #: Raw samples deleted per transaction, at most.
    batch_rows: int = Field(default=5000, ge=100, le=1_000_000)
    #: Milliseconds a batch may hold the write lock: how long it may hold up a durable append.
    batch_ms: float = Field(default=50.0, gt=0)
    #: Seconds between pruning passes of a running recorder.
    interval_s: float = Field(default=600.0, gt=0)


def keep_windows(incident_rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Each incident's window in ms, whole minutes, merged and in order: from an hour before
    detection to an hour after resolution (open incidents: for ever)."""
    windows = []
    for row in incident_rows:
        start = to_ms(from_iso(row["detected_at"])) - INCIDENT_MARGIN_MS
        resolved = row.get("resolved_at")
        end = to_ms(from_iso(resolved)) + INCIDENT_MARGIN_MS if resolved else _FOREVER
        windows.append((start // MINUTE_MS * MINUTE_MS, -(-end // MINUTE_MS) * MINUTE_MS))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def prunable_spans(
    incident_rows: Iterable[Mapping[str, Any]], settings: RetentionSettings, now_ms: int
) -> list[tuple[int, int]]:
    """The [start, end) spans (ms, whole minutes) whose raw samples may go: older than the raw
    window and outside every incident's window."""
    horizon = (now_ms - int(settings.raw_days * DAY_MS)) // MINUTE_MS * MINUTE_MS
    spans, start = [], 0
    for keep_start, keep_end in keep_windows(incident_rows):
        if keep_start >= horizon:
            break
        if keep_start > start:
            spans.append((start, keep_start))
        start = max(start, keep_end)
    if start < horizon:
        spans.append((start, horizon))
    return spans


def prune(
    store: Store,
    settings: RetentionSettings,
    now_ms: int,
    stop: threading.Event | None = None,
    pause_s: float = 0.05,
    timer: Callable[[], float] = time.monotonic,
) -> int:
    """Delete the raw samples retention lets go, one batch per transaction; how many.

    Between batches it pauses ``pause_s`` (a writer waiting on the lock gets its turn) and stops
    early when ``stop`` is set. The first batch is small (the file's speed is not known yet); each
    next one is sized by how long the last took (:func:`next_batch`). The incidents are read once,
    at the start: an incident declared meanwhile has its window in the raw window anyway (days
    newer than anything pruned).
    """
    stop = stop or threading.Event()
    spans = prunable_spans(store.incident_rows(), settings, now_ms)
    total, rows = 0, min(settings.batch_rows, FIRST_BATCH)
    while spans:
        started = timer()
        deleted = store.prune_samples(spans, rows)
        if deleted == 0:
            break
        total += deleted
        rows = next_batch(rows, (timer() - started) * 1000, settings)
        if stop.wait(pause_s):
            break
    return total


def next_batch(rows: int, took_ms: float, settings: RetentionSettings) -> int:
    """The next batch's rows after one of ``rows`` held the write lock ``took_ms``: half when
    it overran ``batch_ms``, twice when it took under half of it (100 to ``batch_rows``)."""
    if took_ms > settings.batch_ms:
        return max(MIN_BATCH, rows // 2)
    if took_ms < settings.batch_ms / 2:
        return min(settings.batch_rows, rows * 2)
    return rows
