"""Insights across incidents, per month of detection (UTC): how each runbook clock fared (on
time, LATE, missed), the time to declare, triage, first update and resolve (median and worst),
incidents by impact, and the service credits paid. Drills are left out unless asked for.

Every figure names the incidents behind it (``incidents``), so a chart point can open them.
Pure over incidents and stored credits: :func:`insights` reads the incidents once
(``Incidents.listed``, none parsed into an ``Incident``) and every stored credit report at once,
and counts column by column: their times as numpy columns, each clock by its state alone
(:func:`~stratus_commander.incident.deadlines.clock_states`). Ten thousand incidents are counted
in the time of reading them. :func:`insights_text` is the command line's text;
:func:`insights_html` the page the GUI's Insights view exports (its charts inline).
"""

from __future__ import annotations

import base64
import html
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from stratus_commander.clock import from_iso, to_ms
from stratus_commander.credits.money import money
from stratus_commander.credits.stored import every_stored_credits
from stratus_commander.incident import Incidents, incident_label
from stratus_commander.incident.columns import time_columns
from stratus_commander.incident.deadlines import CLOCK_FIELDS, STATES, ClockState, clock_states
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import human_duration

__all__ = [
    "MEASURES",
    "SUMMARY_COLUMNS",
    "VERDICTS",
    "Counted",
    "Insights",
    "MonthInsights",
    "Span",
    "insights",
    "insights_html",
    "insights_text",
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
#: Each clock state's verdict, as an index into :data:`VERDICTS` (-1: not scored; an overdue
#: clock is missed), in the order of :data:`STATES`.
_VERDICT_OF_STATE = tuple(
    {ClockState.MET: 0, ClockState.LATE: 1, ClockState.MISSED: 2, ClockState.OVERDUE: 2}.get(s, -1)
    for s in STATES
)


class Counted(NamedTuple):
    """An incident counted, as a list of the incidents behind a figure shows it."""

    id: int
    title: str
    impact: str
    drill: int
    detected_iso: str

    @property
    def label(self) -> str:
        return incident_label(self.id)

    @property
    def detected_at(self) -> datetime:
        return from_iso(self.detected_iso)


#: The stored times the insights count: detection, each clock's anchor and milestone, and each
#: measure's ends.
_TIMES = tuple(
    sorted({"detected_at", *CLOCK_FIELDS, *(f for _, _, a, b in MEASURES for f in (a, b))})
)
#: What the insights read of each incident: :class:`Counted`'s fields, then the times.
_READ = (*Counted._fields[:4], "detected_at", *(t for t in _TIMES if t != "detected_at"))
_ID, _IMPACT, _DRILL, _DETECTED = 0, 2, 3, 4  # where _READ puts them


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
    records: Mapping[int, Counted] = field(default_factory=dict, compare=False, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "drills_included": self.drills,
            "months": [m.as_json() for m in self.months],
        }


def _span(seconds: npt.NDArray[np.float64], ids: npt.NDArray[np.int64]) -> Span:
    if not len(seconds):
        return Span(None, None, None, ())
    worst = float(seconds.max())
    return Span(
        median(seconds.tolist()),
        worst,
        int(ids[seconds == worst].max()),  # a tie: the latest incident
        tuple(ids.tolist()),
    )


def _month_insights(
    month: str,
    ids: npt.NDArray[np.int64],
    impacts: Sequence[str],
    verdicts: Sequence[npt.NDArray[np.int8]],
    times: Mapping[str, npt.NDArray[np.datetime64]],
    runbook: Runbook,
    credits: Mapping[int, Mapping[str, Decimal]],
) -> MonthInsights:
    """The insights of the incidents ``ids`` (all detected in ``month``): their impacts, each
    clock's verdicts (indexes into :data:`VERDICTS`) and their stored times, column by column."""
    clocks: dict[str, dict[str, tuple[int, ...]]] = {}
    for c, column in zip(runbook.clocks, verdicts, strict=True):
        counts = clocks[c.id] = {}
        for k, (verdict, _) in enumerate(VERDICTS):
            chosen = ids[column == k]
            if len(chosen):
                counts[verdict] = tuple(chosen.tolist())
    spans = {}
    for mid, _, start, end in MEASURES:
        a, b = times[start], times[end]
        measured = ~np.isnat(a) & ~np.isnat(b) & (b >= a)
        seconds = (b[measured] - a[measured]).astype(np.int64) / 1000
        spans[mid] = _span(seconds, ids[measured])
    by_impact: dict[str, list[int]] = {}
    paid: dict[str, Decimal] = {}
    credited: dict[str, list[int]] = {}
    listed = ids.tolist()
    for iid, impact in zip(listed, impacts, strict=True):
        by_impact.setdefault(impact, []).append(iid)
        for currency, amount in credits.get(iid, {}).items():
            paid[currency] = paid.get(currency, Decimal(0)) + amount
            credited.setdefault(currency, []).append(iid)
    return MonthInsights(
        month,
        tuple(listed),
        clocks,
        spans,
        {k: tuple(v) for k, v in by_impact.items()},
        paid,
        tuple(dict.fromkeys(i for ids in credited.values() for i in ids)),
        {c: tuple(ids) for c, ids in credited.items()},
    )


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
        row
        for row in incidents.store.incident_columns(_READ)
        if (drills or not row[_DRILL]) and (wanted is None or row[_ID] in wanted)
    ]
    rows.sort(key=lambda r: (r[_DETECTED], r[_ID]))  # stored ISO UTC times sort as the times
    by_column = dict(zip(_READ, zip(*rows, strict=True), strict=True)) if rows else {}
    times = time_columns({name: by_column.get(name, ()) for name in _TIMES})
    if since is not None:  # the times sorted: the chosen ones are a tail
        first = int(np.searchsorted(times["detected_at"], np.datetime64(to_ms(since), "ms")))
        rows, times = rows[first:], {k: v[first:] for k, v in times.items()}
    ids = np.array([r[_ID] for r in rows], dtype=np.int64)
    impacts = [r[_IMPACT] for r in rows]
    verdict_of = np.array(_VERDICT_OF_STATE, dtype=np.int8)
    verdicts = [verdict_of[states] for states in clock_states(times, impacts, runbook, now)]
    stored = every_stored_credits(incidents.store)  # one read, not one per incident
    credits = {i: stored[i].totals for i in ids.tolist() if i in stored}
    # Detection times sorted: each month's incidents are one run of the columns.
    months = np.datetime_as_string(times["detected_at"], unit="M")
    starts = [0, *(np.flatnonzero(months[1:] != months[:-1]) + 1).tolist(), len(rows)]
    if not rows:
        starts = []
    return Insights(
        since,
        drills,
        tuple(
            _month_insights(
                str(months[a]),
                ids[a:b],
                impacts[a:b],
                [v[a:b] for v in verdicts],
                {k: v[a:b] for k, v in times.items()},
                runbook,
                credits,
            )
            for a, b in itertools.pairwise(starts)
        ),
        {r[_ID]: Counted._make(r[: _DETECTED + 1]) for r in rows},
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
