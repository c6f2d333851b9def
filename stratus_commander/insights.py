"""Insights across incidents, per month of detection (UTC): how each runbook clock fared (on
time, LATE, missed), the time to declare, triage, first update and resolve (median and worst),
incidents by impact, and the service credits paid. Drills are left out unless asked for.

Every figure names the incidents behind it (``incidents``), so a chart point can open them.
Pure over incidents and stored credits: :func:`insights` reads the incidents once
(``Incidents.listed``) and every stored credit report at once, and counts each clock by its state
alone (:func:`~stratus_commander.incident.deadlines.clock_states`): ten thousand incidents are
counted in the time of reading them. :func:`insights_text` is the command line's text;
:func:`insights_html` the page the GUI's Insights view exports (its charts inline).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from statistics import median
from typing import Any

from stratus_commander.credits.money import money
from stratus_commander.credits.stored import every_stored_credits
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.deadlines import ClockState, clock_states
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import human_duration

__all__ = [
    "MEASURES",
    "SUMMARY_COLUMNS",
    "VERDICTS",
    "Insights",
    "MonthInsights",
    "Span",
    "insights",
    "insights_html",
    "insights_text",
    "month_insights",
    "summary_rows",
]

#: (id, label, start field, end field) of each measured time.
MEASURES = (
    ("declare", "Time to declare", "detected_at", "declared_at"),
    ("triage", "Time to triage", "declared_at", "triaged_at"),
    ("first_update", "Time to first update", "declared_at", "first_update_at"),
    ("resolve", "Time to resolve", "detected_at", "resolved_at"),
)
#: (verdict, as said) of a scored clock, in the order the charts stack them.
VERDICTS = (("on_time", "on time"), ("late", "LATE"), ("missed", "missed"))
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
    credited_by: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # per currency

    def share(self, clock_id: str, verdict: str) -> float | None:
        """The share (0–1) of the month's scored ``clock_id`` readings with ``verdict``."""
        counts = self.clocks.get(clock_id, {})
        scored = sum(len(v) for v in counts.values())
        return len(counts.get(verdict, ())) / scored if scored else None

    def count(self, verdict: str) -> tuple[int, int]:
        """(readings with ``verdict``, readings scored) over every clock of the month."""
        counts = self.clocks.values()
        return (
            sum(len(c.get(verdict, ())) for c in counts),
            sum(len(ids) for c in counts for ids in c.values()),
        )

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
    #: Every incident counted, by id (what a list of the incidents behind a figure shows).
    records: Mapping[int, Incident] = field(default_factory=dict, compare=False, repr=False)

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
    """The insights of ``incidents`` (all detected in ``month``), in one pass over them."""
    verdicts: list[dict[str, list[int]]] = [{} for _ in runbook.clocks]
    values: list[list[tuple[float, int]]] = [[] for _ in MEASURES]
    measured = [
        (attrgetter(start, end), spans)
        for (_, _, start, end), spans in zip(MEASURES, values, strict=True)
    ]
    by_impact: dict[str, list[int]] = {}
    paid: dict[str, Decimal] = {}
    credited: dict[str, list[int]] = {}
    verdict_of = _VERDICT.get
    for i, states in zip(incidents, clock_states(incidents, runbook, now), strict=True):
        iid = i.id
        for counts, state in zip(verdicts, states, strict=True):
            verdict = verdict_of(state)
            if verdict is not None:
                counts.setdefault(verdict, []).append(iid)
        for times_of, spans in measured:
            a, b = times_of(i)
            if a is not None and b is not None and b >= a:
                spans.append(((b - a).total_seconds(), iid))
        by_impact.setdefault(i.impact, []).append(iid)
        for currency, amount in credits.get(iid, {}).items():
            paid[currency] = paid.get(currency, Decimal(0)) + amount
            credited.setdefault(currency, []).append(iid)
    return MonthInsights(
        month,
        tuple(i.id for i in incidents),
        {
            c.id: {v: tuple(ids) for v, ids in counts.items()}
            for c, counts in zip(runbook.clocks, verdicts, strict=True)
        },
        {mid: _span(v) for (mid, *_), v in zip(MEASURES, values, strict=True)},
        {k: tuple(v) for k, v in by_impact.items()},
        paid,
        tuple(dict.fromkeys(i for ids in credited.values() for i in ids)),
        {c: tuple(ids) for c, ids in credited.items()},
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
    rows = [
        listed
        for listed in incidents.listed()
        if (drills or not listed.drill) and (wanted is None or listed.id in wanted)
    ]
    rows.sort(key=lambda r: (r.detected_iso, r.id))  # stored ISO UTC times sort as the times
    months: dict[str, list[Incident]] = {}
    chosen = []
    for listed in rows:  # each parsed only once chosen: left-out drills cost nothing
        i = listed.incident
        if since is None or i.detected_at >= since:
            months.setdefault(_month(i), []).append(i)
            chosen.append(i)
    stored = every_stored_credits(incidents.store)  # one read, not one per incident
    credits = {i.id: stored[i.id].totals for i in chosen if i.id in stored}
    return Insights(
        since,
        drills,
        tuple(month_insights(m, rows, runbook, now, credits) for m, rows in months.items()),
        {i.id: i for i in chosen},
    )


def insights_text(data: Insights, runbook: Runbook) -> str:
    """The insights as terminal text, a block per month."""
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


# --- the figures as a table, and the exported page ---------------------------------------------

#: The one-row-per-month summary (the Insights view's table and the exported page).
SUMMARY_COLUMNS = (
    "Month",
    "Incidents",
    "By impact",
    "Clocks on time",
    "LATE",
    "Missed",
    "Declare",  # each time: "median / worst"
    "Triage",
    "1st update",
    "Resolve",
    "Credits",
)
_IMPACT_ORDER = ("Critical", "Major", "Minor")


def _impacts(m: MonthInsights) -> list[str]:
    rank = {k: n for n, k in enumerate(_IMPACT_ORDER)}
    return sorted(m.by_impact, key=lambda k: (rank.get(k, len(rank)), k))


def _seconds(value: float | None) -> str:
    return human_duration(timedelta(seconds=value)) if value is not None else "—"


def _paid(m: MonthInsights) -> str:
    return ", ".join(money(v, c) for c, v in sorted(m.credits.items())) or "none"


def summary_rows(data: Insights) -> list[list[str]]:
    """One row of :data:`SUMMARY_COLUMNS` per month, oldest first."""
    rows = []
    for m in data.months:
        on_time, scored = m.count("on_time")
        spans = [m.times[mid] for mid, *_ in MEASURES]
        rows.append(
            [
                m.month,
                str(len(m.incidents)),
                " · ".join(f"{k} {len(m.by_impact[k])}" for k in _impacts(m)),
                f"{on_time}/{scored}",
                str(m.count("late")[0]),
                str(m.count("missed")[0]),
                *(f"{_seconds(s.median_s)} / {_seconds(s.worst_s)}" for s in spans),
                _paid(m),
            ]
        )
    return rows


#: The light palette's LATE and overdue colours (resources/styles/palettes.toml): LATE is never
#: the green of on time, nor the red of missed.
_PAGE_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#101418}table{border-collapse:collapse;"
    "margin-bottom:1.5em}td,th{border:1px solid #999;padding:4px 8px;text-align:left}"
    "td.late{color:#a8440a;font-weight:bold;border-left:4px solid #a8440a}"
    "td.missed{background:#b3261e;color:#fff;font-weight:bold}td.on_time{color:#146c2e}"
    "figure{margin:0 0 1.5em}img{max-width:100%}"
)


def _td(text: str, css: str) -> str:
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}>{html.escape(text)}</td>"


def _table(head: Sequence[str], rows: Iterable[Sequence[tuple[str, str]]]) -> str:
    """A table; each cell ``(text, css class)``."""
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(_td(*cell) for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _clock_cells(m: MonthInsights, clock_id: str) -> list[tuple[str, str]]:
    counts = m.clocks.get(clock_id, {})
    cells = []
    for verdict, _ in VERDICTS:
        n, share = len(counts.get(verdict, ())), m.share(clock_id, verdict)
        text = f"{n} ({share:.0%})" if share is not None else "—"
        cells.append((text, verdict if n and verdict != "on_time" else ""))
    return cells


def insights_html(
    data: Insights,
    runbook: Runbook,
    charts: Sequence[tuple[str, bytes]] = (),
    title: str = "Insights across incidents",
) -> str:
    """A standalone page: the charts (PNG, inline, each with its title), then every figure
    behind them, month by month."""
    scope = "drills included" if data.drills else "drills left out"
    if data.since is not None:
        scope += f"; detected since {data.since.isoformat()}"
    figures = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"><figcaption>{html.escape(name)}'
        "</figcaption></figure>"
        for name, png in charts
    )
    marks = {SUMMARY_COLUMNS.index("LATE"): "late", SUMMARY_COLUMNS.index("Missed"): "missed"}
    plain = [
        [(t, marks.get(n, "") if t != "0" else "") for n, t in enumerate(row)]
        for row in summary_rows(data)
    ]
    clock_rows = [
        [(m.month, ""), (c.label, ""), *_clock_cells(m, c.id), (str(sum(map(len, cs))), "")]
        for m in data.months
        for c in runbook.clocks
        if (cs := m.clocks.get(c.id, {}).values())
    ]
    time_rows = [
        [
            (m.month, ""),
            (label, ""),
            (_seconds(span.median_s), ""),
            (_seconds(span.worst_s), ""),
            (f"INC-{span.worst_incident}" if span.worst_incident is not None else "—", ""),
            (str(len(span.incidents)), ""),
        ]
        for m in data.months
        for mid, label, _, _ in MEASURES
        if (span := m.times[mid]).incidents
    ]
    credit_rows = [
        [
            (m.month, ""),
            (money(amount, currency), ""),
            (", ".join(f"INC-{i}" for i in m.credited_by.get(currency, ())), ""),
        ]
        for m in data.months
        for currency, amount in sorted(m.credits.items())
    ]
    sections = [
        ("Month by month (times: median / worst)", _table(SUMMARY_COLUMNS, plain)),
        (
            "Runbook clocks: met on time, LATE (met after the deadline) and missed",
            _table(["Month", "Clock", "On time", "LATE", "Missed", "Scored"], clock_rows),
        ),
        (
            "Time to declare, triage, first update and resolve",
            _table(
                ["Month", "Measure", "Median", "Worst", "Worst incident", "Measured"], time_rows
            ),
        ),
        (
            "Credits paid",
            _table(["Month", "Paid", "Incidents"], credit_rows)
            if credit_rows
            else "<p>No service credits stored.</p>",
        ),
    ]
    body = "".join(f"<h2>{html.escape(h)}</h2>{t}" for h, t in sections)
    if not data.months:
        body = f"<p>No incidents ({html.escape(scope)}).</p>"
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_PAGE_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Per month of detection (UTC); {html.escape(scope)}.</p>"
        f"{figures}{body}</body></html>\n"
    )
