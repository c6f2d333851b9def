"""The records the store reads and writes, whatever the backend."""

from __future__ import annotations

from typing import NamedTuple

#: Sample outcome codes (compact storage); the order is "how bad".
OUTCOME_CODES = {"up": 0, "degraded": 1, "down": 2, "unknown": 3}
OUTCOME_NAMES = {v: k for k, v in OUTCOME_CODES.items()}


class SampleRow(NamedTuple):
    """One probe sample (a tuple: cheap to build by the million)."""

    probe: str
    kind: str
    check: str
    at_ms: int
    outcome: str
    latency_ms: float | None
    detail: str | None = None
    metrics: str | None = None  # JSON text
