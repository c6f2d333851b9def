"""Retention of probe samples: a bounded disk that loses no evidence.

- Raw samples are kept for ``raw_days`` (the ``[retention]`` table of the config file).
- Inside every incident's window, from an hour before its detection to an hour after its
  resolution (an open incident: from an hour before detection on), raw samples are kept for good,
  so its graphs replay exactly forever.
- Outside those windows the per-minute rollup (``sample_minutes``) is kept for good: it is what
  credits and month views read, and the store keeps it exact when it prunes (whole minutes only).

Pruning runs where the samples are written (the recorder's process, on its own thread and its own
connection), one small batch per transaction, so a durable append waits for one batch at most::

    pruned = prune(store, settings, now_ms)            # every batch due, with pauses between
    spans = prunable_spans(store.incident_rows(), settings, now_ms)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stratus_commander.clock import from_iso, to_ms
from stratus_commander.store import Store

__all__ = [
    "INCIDENT_MARGIN_MS",
    "RetentionSettings",
    "keep_windows",
    "prunable_spans",
    "prune",
]

MINUTE_MS = 60_000
DAY_MS = 86_400_000
#: Raw samples kept on each side of an incident: its graphs start before the first failure.
INCIDENT_MARGIN_MS = 3_600_000
#: Beyond every time a sample can carry (an open incident keeps everything after its start).
_FOREVER = 2**62


class RetentionSettings(BaseModel):
    """The ``[retention]`` table of the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Days raw samples are kept outside incident windows (rollups are kept for good).
    raw_days: float = Field(default=14.0, gt=0)
    #: Raw samples deleted per transaction: how long a prune may hold up a durable append.
    batch_rows: int = Field(default=5000, ge=100, le=1_000_000)
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
) -> int:
    """Delete the raw samples retention lets go, one batch per transaction; how many.

    Between batches it pauses ``pause_s`` (a writer waiting on the lock gets its turn) and stops
    early when ``stop`` is set. The incidents are read once, at the start: an incident declared
    meanwhile has its window in the raw window anyway (days newer than anything pruned).
    """
    stop = stop or threading.Event()
    spans = prunable_spans(store.incident_rows(), settings, now_ms)
    total = 0
    while spans:
        deleted = store.prune_samples(spans, settings.batch_rows)
        if deleted == 0:
            break
        total += deleted
        if stop.wait(pause_s):
            break
    return total
