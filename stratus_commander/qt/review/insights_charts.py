"""The Insights view's charts, drawn from the insights (Qt-free figures) onto pyqtgraph plots:
stacked bars a month each (clocks on time / LATE / missed, incidents by impact), median and
worst curves (the times), bars per currency (credits). Each bar and point carries the incidents
behind it (:class:`Target`) and calls ``pick`` with them when clicked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import NamedTuple

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap

from stratus_commander.insights import MonthInsights
from stratus_commander.qt import theme
from stratus_commander.qt.review.charts import ClickableBars, StillPlot, style_plot
from stratus_commander.qt.review.graphs import PROBE_COLORS
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import human_duration

__all__ = [
    "Pick",
    "Series",
    "Target",
    "credit_bars",
    "month_label",
    "month_ticks",
    "reset_plot",
    "stacked_bars",
    "striped",
    "swatch",
    "time_curves",
]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
#: The clock each measured time is held to (its deadline drawn dashed); resolving has none.
_DEADLINE_CLOCK = {"declare": "declare", "triage": "triage", "first_update": "communicate"}
_BAR = 0.62  # a month's bar width (months are 1 apart)


class Series(NamedTuple):
    """One colour of a stacked bar chart: per month, its height and the incidents behind it."""

    id: str
    word: str
    fill: QBrush
    months: list[tuple[float, tuple[int, ...]]]


class Target(NamedTuple):
    """What a bar or point stands for, and the incidents behind it."""

    title: str
    ids: tuple[int, ...]


def month_label(month: str) -> str:
    """``2026-10`` as the commander says it: ``Oct 2026``."""
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


#: Months between an axis' labels: the calendar's own steps, so the labels fall on the same months
#: year after year (every January among them).
_TICK_STEPS = (1, 2, 3, 4, 6, 12, 24, 60, 120)


def month_ticks(months: Sequence[str], most: int = 8) -> list[tuple[int, str]]:
    """An axis' month names (``Oct``; the note above says the years), no more than ``most`` of
    them (what the chart's width holds), on the calendar's steps (every 3, 4, 6 or 12 months);
    a later January says its year (``Jan '27``), the first label stays short (the axis' edge
    would cut a long one)."""
    need = -(-len(months) // most)
    step = next((s for s in _TICK_STEPS if s >= need), _TICK_STEPS[-1])
    ticks = []
    for n, month in enumerate(months):
        year, number = month.split("-")
        if (int(year) * 12 + int(number) - 1) % step:
            continue
        name = _MONTHS[int(number) - 1]
        ticks.append((n, f"{name} '{year[2:]}" if n and number == "01" else name))
    return ticks


def striped(colour: str, stripes: str) -> QBrush:
    """LATE's fill: its colour crossed by stripes, so a LATE bar reads as LATE by its texture
    too, not by its colour alone (as the rail's hourglass does)."""
    pixmap = QPixmap(8, 8)
    pixmap.fill(QColor(colour))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    line = QColor(stripes)
    line.setAlpha(150)
    painter.setPen(QPen(line, 1.6))
    painter.drawLine(-1, 9, 9, -1)
    painter.end()
    return QBrush(pixmap)


def swatch(brush: QBrush) -> QPixmap:
    """A legend's square of ``brush``."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.fillRect(0, 0, 14, 14, brush)
    painter.end()
    return pixmap


def _minutes(seconds: float) -> float:
    return seconds / 60


def _said(seconds: float) -> str:
    return human_duration(timedelta(seconds=seconds))


#: What a click on a bar or point does with what it stands for.
Pick = Callable[["Target"], None]


def _picker(targets: Sequence[Target], pick: Pick) -> Callable[[int], None]:
    """What a click on the ``i``th bar or point of a series does: pick its target."""

    def picked(i: int) -> None:
        pick(targets[i])

    return picked


def reset_plot(
    plot: StillPlot, title: str, months: Sequence[MonthInsights], most_ticks: int = 8
) -> StillPlot:
    plot.clear()
    # Every range is set by hand: auto-ranging would measure the items again as each is added.
    plot.disableAutoRange()
    style_plot(plot, title)
    plot.getAxis("bottom").setTicks([month_ticks([m.month for m in months], most_ticks), []])
    plot.setXRange(-0.75, max(len(months), 1) - 0.35, padding=0)
    return plot


def stacked_bars(
    plot: StillPlot,
    months: Sequence[MonthInsights],
    series: Sequence[Series],
    what: str,
    pick: Pick,
    legend: pg.LegendItem | None = None,
) -> dict[str, ClickableBars]:
    """Stacked bars, a month each, one series on top of the other: {series id: its bars}."""
    drawn = {}
    bottoms = [0.0] * len(months)
    for one in series:
        shown = [n for n, (height, _) in enumerate(one.months) if height > 0]
        targets = [
            Target(f"{month_label(months[n].month)} · {what}: {one.word}", one.months[n][1])
            for n in shown
        ]
        if shown:
            bars = ClickableBars(
                x=shown,
                y0=[bottoms[n] for n in shown],
                height=[one.months[n][0] for n in shown],
                width=_BAR,
                clicked=_picker(targets, pick),
                brush=one.fill,
                pen=pg.mkPen(theme.current().plot_bg, width=1),
            )
            plot.addItem(bars)
            if legend is not None:
                legend.addItem(bars, one.word)
            drawn[one.id] = bars
        bottoms = [b + h for b, (h, _) in zip(bottoms, one.months, strict=True)]
    plot.setYRange(0, max(1.0, *bottoms) * 1.12, padding=0)
    return drawn


def time_curves(
    plot: StillPlot,
    mid: str,
    label: str,
    months: Sequence[MonthInsights],
    runbook: Runbook,
    pick: Pick,
) -> dict[str, pg.PlotDataItem]:
    """Median and worst of measure ``mid`` a month each, its runbook deadline dashed:
    {"median"|"worst": its curve}."""
    t = theme.current()
    drawn = {}
    plot = reset_plot(plot, label, months, most_ticks=5)  # four in a row: narrower
    top = 1.0
    for kind, colour, symbol in (("median", t.accent, "o"), ("worst", t.plot_fg, "t1")):
        points = []
        for n, m in enumerate(months):
            span = m.times[mid]
            value = span.median_s if kind == "median" else span.worst_s
            if value is None:
                continue
            when = month_label(m.month)
            said = f"{label} {kind} {_said(value)}"
            if kind == "median":
                target = Target(f"{when} · {said} (the incidents measured)", span.incidents)
            else:
                worst = (span.worst_incident,) if span.worst_incident is not None else ()
                target = Target(f"{when} · {said}", worst)
            points.append((n, _minutes(value), target))
        if not points:
            continue
        curve = plot.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            pen=pg.mkPen(colour, width=2, style=_line_style(kind)),
            symbol=symbol,
            symbolSize=11,
            symbolBrush=colour,
            symbolPen=colour,
        )
        picked = _picker([p[2] for p in points], pick)
        curve.sigPointsClicked.connect(
            lambda _item, spots, _ev, pick=picked: pick(spots[0].index())
        )
        drawn[kind] = curve
        top = max(top, *(p[1] for p in points))
    clock_id = _DEADLINE_CLOCK.get(mid)
    due = runbook.clock(clock_id).due_after if clock_id else None
    if due is not None:
        minutes = due.total_seconds() / 60
        plot.addItem(
            pg.InfiniteLine(
                minutes,
                angle=0,
                pen=pg.mkPen(t.urgent_bg, width=1, style=Qt.PenStyle.DashLine),
            )
        )
        top = max(top, minutes)
    plot.setYRange(0, top * 1.15, padding=0)
    return drawn


def credit_bars(
    plot: StillPlot, months: Sequence[MonthInsights], legend: pg.LegendItem, pick: Pick
) -> dict[str, ClickableBars]:
    """The credits paid a month, a bar per currency: {currency: its bars}."""
    drawn: dict[str, ClickableBars] = {}
    plot = reset_plot(plot, "Credits paid", months)
    currencies = sorted({c for m in months for c in m.credits})
    if not currencies:
        plot.setTitle("Credits paid: none stored", color=theme.current().plot_fg)
        plot.setYRange(0, 1, padding=0)
        return drawn
    width = _BAR / len(currencies)
    top = 0.0
    for k, currency in enumerate(currencies):
        shown = [n for n, m in enumerate(months) if m.credits.get(currency)]
        amounts = [float(months[n].credits[currency]) for n in shown]
        targets = [
            Target(
                f"{month_label(months[n].month)} · credits paid in {currency}: "
                f"{months[n].credits[currency]}",
                months[n].credited_by.get(currency, ()),
            )
            for n in shown
        ]
        offset = -_BAR / 2 + width * (k + 0.5)
        bars = ClickableBars(
            x=[n + offset for n in shown],
            y0=[0.0] * len(shown),
            height=amounts,
            width=width,
            clicked=_picker(targets, pick),
            brush=PROBE_COLORS[k % len(PROBE_COLORS)],
            pen=pg.mkPen(theme.current().plot_bg, width=1),
        )
        plot.addItem(bars)
        legend.addItem(bars, currency)
        drawn[currency] = bars
        top = max(top, *amounts) if amounts else top
    plot.setYRange(0, max(top, 1) * 1.15, padding=0)
    return drawn


def _line_style(kind: str) -> Qt.PenStyle:
    return Qt.PenStyle.SolidLine if kind == "median" else Qt.PenStyle.DotLine
