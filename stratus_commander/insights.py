"""Insights across incidents, per month of detection (UTC): how each runbook clock fared (on
time, LATE, missed), the time to declare, triage, first update and resolve (median and worst),
incidents by impact, and the service credits paid. Drills are left out unless asked for.

Every figure names the incidents behind it (``incidents``), so a chart point can open them.
Pure over incidents and stored credits: :func:`insights` reads the incidents once
(``Incidents.list``) and each one's stored credits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from stratus_commander.credits.stored import stored_credits
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.deadlines import ClockState, clocks
from stratus_commander.runbook import Runbook

__all__ = [
    "MEASURES",
    "Insights",
    "MonthInsights",
    "Span",
    "insights",
    "insights_text",
    "month_insights",
]

#: (id, label, start field, end field) of each measured time.
MEASURES = (
    ("declare", "Time to declare", "detected_at", "declared_at"),
    ("triage", "Time to triage", "declared_at", "triaged_at"),
    ("first_update", "Time to first update", "declared_at", "first_update_at"),
    ("resolve", "Time to resolve", "detected_at", "resolved_at"),
)
_VERDICT = {
    ClockState.MET: "on_time",
    ClockState.LATE: "late",
    ClockState.MISSED: "missed",
    ClockState.OVERDUE: "missed",
}


@dataclass(frozen=True)
class Span:
    """One measure over a month: median and worst, and the incidents measured."""

    median_s: float | None
    worst_s: float | None
    worst_incident: int | None
    incidents: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "median_seconds": self.median_s,
            "worst_seconds": self.worst_s,
            "worst_incident": self.worst_incident,
            "incidents": list(self.incidents),
        }


@dataclass(frozen=True)
class MonthInsights:
    month: str  # YYYY-MM of detection (UTC)
    incidents: tuple[int, ...]
    # clock id -> verdict (on_time | late | missed) -> incident ids
    clocks: Mapping[str, Mapping[str, tuple[int, ...]]]
    times: Mapping[str, Span]
    by_impact: Mapping[str, tuple[int, ...]]
    credits: Mapping[str, Decimal]  # per currency
    credited: tuple[int, ...]  # incidents with credits

    def share(self, clock_id: str, verdict: str) -> float | None:
        """The share (0–1) of the month's scored ``clock_id`` readings with ``verdict``."""
        counts = self.clocks.get(clock_id, {})
        scored = sum(len(v) for v in counts.values())
        return len(counts.get(verdict, ())) / scored if scored else None

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "incidents": list(self.incidents),
            "clocks": {
                cid: {
                    verdict: {
                        "count": len(ids),
                        "share": self.share(cid, verdict),
                        "incidents": list(ids),
                    }
                    for verdict, ids in counts.items()
                }
                for cid, counts in self.clocks.items()
            },
            "times": {mid: span.as_json() for mid, span in self.times.items()},
            "by_impact": {impact: list(ids) for impact, ids in self.by_impact.items()},
            "credits": {c: str(v) for c, v in self.credits.items()},
            "credited_incidents": list(self.credited),
        }


@dataclass(frozen=True)
class Insights:
    since: datetime | None
    drills: bool
    months: tuple[MonthInsights, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "drills_included": self.drills,
            "months": [m.as_json() for m in self.months],
        }


def _span(values: Sequence[tuple[float, int]]) -> Span:
    if not values:
        return Span(None, None, None, ())
    worst = max(values)
    return Span(median(v for v, _ in values), worst[0], worst[1], tuple(i for _, i in values))


def month_insights(
    month: str,
    incidents: Sequence[Incident],
    runbook: Runbook,
    now: datetime,
    credits: Mapping[int, Mapping[str, Decimal]],
) -> MonthInsights:
    """The insights of ``incidents`` (all detected in ``month``)."""
    verdicts: dict[str, dict[str, list[int]]] = {c.id: {} for c in runbook.clocks}
    for i in incidents:
        for r in clocks(i, runbook, now):
            verdict = _VERDICT.get(r.state)
            if verdict is not None:
                verdicts[r.id].setdefault(verdict, []).append(i.id)
    times = {}
    for mid, _, start, end in MEASURES:
        values = []
        for i in incidents:
            a, b = getattr(i, start), getattr(i, end)
            if a is not None and b is not None and b >= a:
                values.append(((b - a).total_seconds(), i.id))
        times[mid] = _span(values)
    by_impact: dict[str, list[int]] = {}
    for i in incidents:
        by_impact.setdefault(i.impact, []).append(i.id)
    paid: dict[str, Decimal] = {}
    credited = []
    for i in incidents:
        for currency, amount in credits.get(i.id, {}).items():
            paid[currency] = paid.get(currency, Decimal(0)) + amount
            credited.append(i.id)
    return MonthInsights(
        month,
        tuple(i.id for i in incidents),
        {cid: {v: tuple(ids) for v, ids in counts.items()} for cid, counts in verdicts.items()},
        times,
        {k: tuple(v) for k, v in by_impact.items()},
        paid,
        tuple(dict.fromkeys(credited)),
    )


def _month(i: Incident) -> str:
    return f"{i.detected_at.year:04d}-{i.detected_at.month:02d}"


def insights(
    incidents: Incidents,
    runbook: Runbook,
    *,
    since: datetime | None = None,
    drills: bool = False,
    only: Iterable[int] | None = None,
) -> Insights:
    """Insights per month of every incident detected at or after ``since`` (drills only if
    ``drills``), oldest month first."""
    now = incidents.clock.now()
    wanted = set(only) if only is not None else None
    chosen = [
        i
        for i in incidents.list()
        if (drills or not i.drill)
        and (since is None or i.detected_at >= since)
        and (wanted is None or i.id in wanted)
    ]
    credits = {}
    for i in chosen:
        stored = stored_credits(incidents.store, i.id)
        if stored is not None:
            credits[i.id] = stored.totals
    months: dict[str, list[Incident]] = {}
    for i in sorted(chosen, key=lambda i: (i.detected_at, i.id)):
        months.setdefault(_month(i), []).append(i)
    return Insights(
        since,
        drills,
        tuple(month_insights(m, rows, runbook, now, credits) for m, rows in months.items()),
    )


def insights_text(data: Insights, runbook: Runbook) -> str:
    """The insights as terminal text, a block per month."""
    from stratus_commander.timefmt import human_duration

    lines = []
    if not data.months:
        return "No incidents" + (" (drills left out)" if not data.drills else "") + "."
    for m in data.months:
        impacts = ", ".join(f"{k} {len(v)}" for k, v in sorted(m.by_impact.items()))
        lines.append(f"{m.month}: {len(m.incidents)} incident(s) ({impacts})")
        for c in runbook.clocks:
            counts = m.clocks.get(c.id, {})
            scored = sum(len(v) for v in counts.values())
            if not scored:
                continue
            parts = [
                f"{len(counts.get(v, ()))} {v.replace('_', ' ')}"
                for v in ("on_time", "late", "missed")
            ]
            lines.append(f"  {c.label:<22} {', '.join(parts)} (of {scored})")
        for mid, label, _, _ in MEASURES:
            span = m.times[mid]
            if span.median_s is None or span.worst_s is None:
                continue
            med = human_duration(timedelta(seconds=span.median_s))
            worst = human_duration(timedelta(seconds=span.worst_s))
            lines.append(f"  {label:<22} median {med}, worst {worst} (INC-{span.worst_incident})")
        paid = ", ".join(f"{c} {v}" for c, v in sorted(m.credits.items())) or "none"
        lines.append(f"  Credits paid           {paid}")
    return "\n".join(lines)
