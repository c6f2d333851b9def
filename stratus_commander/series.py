"""The review's probe graphs, replayed from stored samples and bucketed in SQL.

(Owned by the close/review work of issue 5; the cockpit's live graphs are in cockpit_series.py.)

Each probe's series has at most ``max_points`` buckets. A bucket carries its start time, the
*worst* outcome in it (a single ``down`` sample survives any downsampling) and the *highest*
latency (so do spikes). Buckets of a minute or more come from the store's per-minute rollup
(``sample_minutes``); finer ones from the raw samples, but only while the window holds at most
``raw_budget`` samples — beyond that the graph shows one point per minute, so opening the review
of a day of 1 Hz data stays fast (graphing a shorter window brings the detail back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from stratus_commander.clock import to_ms
from stratus_commander.incident import Incident
from stratus_commander.store import Store

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["CONTEXT", "ProbeSeries", "graph_series", "series_window"]

#: Shown before detection and after resolution when graphing an incident.
CONTEXT = timedelta(minutes=15)
_MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class ProbeSeries:
    probe: str
    kind: str
    check: str
    bucket_ms: int
    times_ms: npt.NDArray[np.int64]  # bucket start, ms since the epoch (UTC)
    latency_ms: npt.NDArray[np.float64]  # highest in the bucket; NaN when none was measured
    outcome: npt.NDArray[np.int8]  # worst in the bucket: 0 up, 1 degraded, 2 down, 3 unknown


def series_window(incident: Incident, now: datetime) -> tuple[datetime, datetime]:
    """The incident from detection to resolution (or ``now``), with context either side."""
    return incident.detected_at - CONTEXT, (incident.resolved_at or now) + CONTEXT


_FROM_MINUTES = """
SELECT probe_id, (minute - :lo) / :k AS b,
       CASE WHEN sum(n_down) > 0 THEN 2 WHEN sum(n_degraded) > 0 THEN 1
            WHEN sum(n_known) > 0 THEN 0 ELSE 3 END AS worst,
       max(lat_max) AS latency
FROM sample_minutes
WHERE "check" IN (SELECT DISTINCT "check" FROM probes) AND minute >= :lo AND minute < :hi
GROUP BY probe_id, b
ORDER BY probe_id, b
"""

_FROM_SAMPLES = """
SELECT probe_id, (at_ms - :start) / :bucket AS b,
       max(CASE WHEN outcome = 3 THEN -1 ELSE outcome END) AS worst,
       max(latency_ms) AS latency
FROM samples
WHERE probe_id IN (SELECT id FROM probes) AND at_ms >= :start AND at_ms < :end
GROUP BY probe_id, b
ORDER BY probe_id, b
"""


def graph_series(
    store: Store,
    window: tuple[datetime, datetime],
    max_points: int = 2000,
    raw_budget: int = 1_000_000,
) -> list[ProbeSeries]:
    """Per-probe series over ``window``, sorted by check group then probe name."""
    import numpy as np

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
        in_window = store.query(
            "SELECT coalesce(sum(n), 0) AS n FROM sample_minutes "
            'WHERE "check" IN (SELECT DISTINCT "check" FROM probes) '
            "AND minute >= ? AND minute < ?",
            [lo, hi],
        )[0]["n"]
        use_minutes = in_window > raw_budget
    if use_minutes:
        k = -(-bucket // _MINUTE_MS)
        bucket = k * _MINUTE_MS
        origin = lo * _MINUTE_MS
        cursor = store.conn.execute(_FROM_MINUTES, {"lo": lo, "hi": hi, "k": k})
    else:
        origin = start
        cursor = store.conn.execute(_FROM_SAMPLES, {"start": start, "end": end, "bucket": bucket})
    rows = cursor.fetchall()
    if not rows:
        return []
    probes = {r["id"]: r for r in store.query('SELECT id, name, kind, "check" FROM probes')}
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
