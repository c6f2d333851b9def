"""The records the store reads and writes, whatever the backend."""

from __future__ import annotations

from collections.abc import Sequence
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


#: An incident's projection: the columns of the incidents table, in both backends.
INCIDENT_COLUMNS = (
    "id",
    "title",
    "scope",
    "impact",
    "affected_services",
    "status",
    "drill",
    "detected_at",
    "declared_at",
    "triaged_at",
    "triage_decision",
    "first_update_at",
    "last_update_at",
    "escalated_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
    "review_done_at",
    "event_count",
    "head_hash",
)


def incident_column_list(names: Sequence[str]) -> str:
    """``names`` as a SELECT list, each checked to be one of :data:`INCIDENT_COLUMNS`."""
    unknown = [n for n in names if n not in INCIDENT_COLUMNS]
    if unknown or not names:
        raise ValueError(f"not incident columns: {unknown or 'none given'}")
    return ", ".join(names)
