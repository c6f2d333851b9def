"""The review's graphs, replayed from stored samples: latency per probe and a status lane per
triage group over the incident window, its milestones marked.

:func:`read_replay` reads what they need (on a worker thread: see
:class:`~stratus_commander.qt.offthread.OffThread`); :class:`ReplayGraphs` draws it, on screen in
the review desk's Graphs tab and offscreen for the HTML export
(:mod:`stratus_commander.qt.review.export_graphs`). :func:`group_worst` and :func:`outcome_runs` are
pure numpy over the series: they could move to the Qt-free core beside ``graph_series``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from stratus_commander.clock import SystemClock, to_ms
from stratus_commander.incident import Incident, Incidents
from stratus_commander.probes.checks import CHECK_ORDER
from stratus_commander.probes.series import ProbeSeries, graph_series, series_window
from stratus_commander.qt import theme
from stratus_commander.qt.group_style import GROUP_STYLE, GROUP_TITLE
from stratus_commander.qt.panel_kit import local
from stratus_commander.store import OUTCOME_CODES, Store

__all__ = [
    "ReplayData",
    "ReplayGraphs",
    "group_worst",
    "incident_markers",
    "outcome_runs",
    "read_replay",
]

_UNKNOWN = OUTCOME_CODES["unknown"]


@dataclass(frozen=True)
class ReplayData:
    incident: Incident
    window: tuple[datetime, datetime]
    series: list[ProbeSeries]


def read_replay(store: Store, incident_id: int, now: datetime) -> ReplayData:
    """The incident's graph window (ending at ``now`` while it is unresolved) and its bucketed
    series."""
    # Reading an incident asks no clock; the system's stands in for the one Incidents requires.
    incident = Incidents(store, SystemClock()).get(incident_id)
    window = series_window(incident, now)
    return ReplayData(incident, window, graph_series(store, window))


def incident_markers(incident: Incident) -> list[tuple[datetime, str]]:
    """The milestones drawn as vertical lines on the graphs."""
    marks = [
        (incident.detected_at, "detected"),
        (incident.declared_at, "declared"),
        (incident.mitigated_at, "monitoring"),
        (incident.resolved_at, "resolved"),
    ]
    return [(at, label) for at, label in marks if at is not None]


def _epoch(dt: datetime) -> float:
    return to_ms(dt) / 1000.0


def group_worst(series: Sequence[ProbeSeries], check: str) -> tuple[np.ndarray, np.ndarray]:
    """Bucket start (ms) and the worst known outcome of the group's probes in each bucket
    (``unknown`` only where no probe of the group knew)."""
    parts = [s for s in series if s.check == check]
    times = np.concatenate([s.times_ms for s in parts])
    codes = np.concatenate([s.outcome for s in parts]).astype(np.int16)
    codes[codes == _UNKNOWN] = -1  # any known outcome beats "could not run"
    order = np.argsort(times, kind="stable")
    times, codes = times[order], codes[order]
    starts = np.flatnonzero(np.r_[True, np.diff(times) != 0])
    worst = np.maximum.reduceat(codes, starts)
    worst[worst < 0] = _UNKNOWN
    return times[starts], worst


def outcome_runs(
    times_ms: np.ndarray, codes: np.ndarray, bucket_ms: int
) -> list[tuple[int, int, int]]:
    """Runs of one outcome as ``(start_ms, end_ms, code)``. A point lasts until the next one
    unless the gap is over three sampling intervals (no samples: the run ends there)."""
    n = len(times_ms)
    if not n:
        return []
    gaps = np.diff(times_ms)
    # Sampling may be coarser than the buckets (a probe every 15 s, buckets of 3 s).
    span = max(bucket_ms, int(np.median(gaps))) if n > 1 else bucket_ms
    ends = np.r_[
        np.where(gaps <= 3 * span, times_ms[1:], times_ms[:-1] + span), times_ms[-1] + span
    ]
    breaks = np.flatnonzero((np.diff(codes) != 0) | (ends[:-1] != times_ms[1:])) + 1
    starts = np.r_[0, breaks]
    stops = np.r_[breaks, n]
    return [
        (int(times_ms[a]), int(ends[b - 1]), int(codes[a]))
        for a, b in zip(starts, stops, strict=True)
    ]


# Bar height says the outcome as well as its colour does: down is the tallest.
_LANE_STYLE = {
    OUTCOME_CODES["up"]: ("ok", 0.25, "up"),
    OUTCOME_CODES["degraded"]: ("warn_bg", 0.55, "degraded"),
    OUTCOME_CODES["down"]: ("urgent_bg", 0.85, "down"),
    _UNKNOWN: ("unknown", 0.25, "unknown (probe could not run)"),
}
MAX_LEGEND_PROBES = 8
#: Okabe–Ito hues (distinct without colour vision) for a few probes, one each.
PROBE_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                "#999999")  # fmt: skip
_AXIS_WIDTH = 84  # both plots: the same left edge, so their time axes line up


class ReplayGraphs(QWidget):
    """Latency per probe and a status lane per triage group over the incident window, with the
    incident's milestones marked; drawn once from :func:`graph_series` data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        # Each plot's legend in a row of its own above it: inside, it hides the lines it names.
        self.legend = self._legend(0)
        self.latency = self._plot(1, "Latency (ms), highest per bucket")
        self.status_legend = self._legend(2)
        self.lanes = self._plot(3, "Status by group: worst probe in each bucket")
        self.lanes.setXLink(self.latency)
        self.lanes.setMouseEnabled(y=False)
        self.lanes.hideButtons()
        self.lanes.invertY(True)  # the first group (API) on top
        self.lanes.setMinimumHeight(150)
        self.view.ci.layout.setRowStretchFactor(1, 3)
        self.view.ci.layout.setRowStretchFactor(3, 2)
        self.view.setMinimumHeight(360)
        self.set_theme()
        self.note = QLabel("Loading graphs from stored samples…")
        self.note.setObjectName("evidence")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.lane_rows: list[str] = []
        self.runs: dict[str, list[tuple[int, int, int]]] = {}

    def _legend(self, row: int) -> pg.LegendItem:
        t = theme.current()
        legend = pg.LegendItem(labelTextSize="9pt", labelTextColor=t.plot_fg, colCount=4)
        self.view.addItem(legend, row=row, col=0)
        self.view.ci.layout.setRowStretchFactor(row, 0)
        return legend

    def _fit_legend(self, row: int, legend: pg.LegendItem) -> None:
        rows = -(-len(legend.items) // 4)
        self.view.ci.layout.setRowFixedHeight(row, 22 * max(rows, 1) + 4)

    def _plot(self, row: int, title: str) -> pg.PlotItem:
        axis = pg.DateAxisItem(orientation="bottom")
        plot = self.view.addPlot(row=row, col=0, axisItems={"bottom": axis})
        plot.setTitle(title)
        plot.setMenuEnabled(False)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.getAxis("left").setWidth(_AXIS_WIDTH)
        return plot

    def set_theme(self) -> None:
        """The current palette's plot colours (the data are drawn again by show_series)."""
        t = theme.current()
        self.view.setBackground(t.plot_bg)
        for plot in (self.latency, self.lanes):
            for name in ("bottom", "left"):
                plot.getAxis(name).setPen(t.plot_fg)
                plot.getAxis(name).setTextPen(t.plot_fg)
            plot.setTitle(plot.titleLabel.text, color=t.plot_fg)
        for legend in (self.legend, self.status_legend):
            legend.setLabelTextColor(t.plot_fg)

    def show_series(
        self,
        series: Sequence[ProbeSeries],
        window: tuple[datetime, datetime],
        markers: Sequence[tuple[datetime, str]] = (),
    ) -> None:
        self._clear()
        t = theme.current()
        start, end = _epoch(window[0]), _epoch(window[1])
        zone = window[0].astimezone().tzname() or "local"
        self.lanes.setLabel("bottom", f"Local time ({zone})", color=t.plot_fg)
        self._latency_curves(series)
        self._status_lanes(series)
        self._markers(markers, window)
        self._fit_legend(0, self.legend)
        self._fit_legend(2, self.status_legend)
        self.view.ci.layout.activate()  # place the legends now: an export grabs right away
        self.latency.setXRange(start, end, padding=0)
        points = sum(len(s.times_ms) for s in series)
        if not series:
            self.note.setText(
                "No probe samples were stored for this incident's window "
                f"({local(window[0], date=True)} – {local(window[1], date=True)})."
            )
            return
        bucket = series[0].bucket_ms
        self.note.setText(
            f"Replayed from stored samples: {len(series)} probe(s), {points:,} point(s) in "
            f"{_bucket_text(bucket)} buckets (worst outcome, highest latency). Shaded: detected "
            "→ resolved. Gaps in a line: no latency (probe down or not sampled)."
        )

    def _clear(self) -> None:
        self.set_theme()
        self.latency.clear()
        self.lanes.clear()
        self.legend.clear()
        self.status_legend.clear()
        self.curves.clear()
        self.lane_rows = []
        self.runs = {}

    def _latency_curves(self, series: Sequence[ProbeSeries]) -> None:
        per_probe = len(series) <= MAX_LEGEND_PROBES
        seen_groups: set[str] = set()
        for n, s in enumerate(series):
            # A few probes: a colour each, the group's dash. Many: the group's colour and dash.
            color, style = GROUP_STYLE.get(s.check, ("#5f6368", Qt.PenStyle.SolidLine))
            pen = pg.mkPen(PROBE_COLORS[n] if per_probe else color, width=1, style=style)
            curve = self.latency.plot(
                s.times_ms / 1000.0, s.latency_ms, pen=pen, connect="finite", name=None
            )
            self.curves[s.probe] = curve
            if per_probe:
                self.legend.addItem(curve, f"{s.probe} ({GROUP_TITLE.get(s.check, s.check)})")
            elif s.check not in seen_groups:
                n = sum(1 for x in series if x.check == s.check)
                self.legend.addItem(curve, f"{GROUP_TITLE.get(s.check, s.check)} ({n} probes)")
            seen_groups.add(s.check)
        self.latency.setLabel("left", "ms", color=theme.current().plot_fg)

    def _status_lanes(self, series: Sequence[ProbeSeries]) -> None:
        t = theme.current()
        present = {s.check for s in series}
        groups = [g for g in CHECK_ORDER if g in present] + sorted(present - set(CHECK_ORDER))
        self.lane_rows = groups
        bars: dict[int, list[tuple[float, float, float]]] = {c: [] for c in _LANE_STYLE}
        for row, check in enumerate(groups):
            times, worst = group_worst(series, check)
            runs = outcome_runs(times, worst, series[0].bucket_ms)
            self.runs[check] = runs
            for lo, hi, code in runs:
                bars[code].append((lo / 1000.0, hi / 1000.0, float(row)))
        for code, items in bars.items():
            token, height, label = _LANE_STYLE[code]
            color = t.color(token)
            if items:
                x0 = np.array([i[0] for i in items])
                x1 = np.array([i[1] for i in items])
                y = np.array([i[2] for i in items])
                bar = pg.BarGraphItem(
                    x0=x0, x1=x1, y0=y - height / 2, height=height, brush=color, pen=pg.mkPen(None)
                )
                self.lanes.addItem(bar)
            # The legend says what each fill means, present or not (and by its height).
            sample = pg.BarGraphItem(x=[0], height=[1], width=1, brush=color)
            self.status_legend.addItem(sample, label)
        ticks = [(i, GROUP_TITLE.get(g, g)) for i, g in enumerate(groups)]
        self.lanes.getAxis("left").setTicks([ticks])
        self.lanes.setYRange(-0.6, max(len(groups), 1) - 0.4, padding=0)

    def _markers(
        self, markers: Sequence[tuple[datetime, str]], window: tuple[datetime, datetime]
    ) -> None:
        t = theme.current()
        at = dict((label, when) for when, label in markers)
        if "detected" in at:
            end = at.get("resolved", window[1])
            shade = QColor(t.accent)
            shade.setAlpha(28)
            for plot in (self.latency, self.lanes):
                region = pg.LinearRegionItem(
                    values=(_epoch(at["detected"]), _epoch(end)),
                    movable=False,
                    brush=pg.mkBrush(shade),
                    pen=pg.mkPen(None),
                )
                region.setZValue(-10)
                plot.addItem(region, ignoreBounds=True)
        span = _epoch(window[1]) - _epoch(window[0]) or 1.0
        clock_format = "%d %b %H:%M" if span > 20 * 3600 else "%H:%M"
        for i, (when, label) in enumerate(markers):
            # Staggered heights so labels of close milestones do not print over each other;
            # near the right edge the label goes left of its line, not off the plot.
            height = (0.96, 0.80, 0.64, 0.48)[i % 4]
            side = 1 if (_epoch(when) - _epoch(window[0])) / span > 0.8 else 0
            for plot in (self.latency, self.lanes):
                on_top = plot is self.latency
                line = pg.InfiniteLine(
                    pos=_epoch(when),
                    angle=90,
                    pen=pg.mkPen(t.accent, width=1),
                    label=f"{label} {when.astimezone():{clock_format}}" if on_top else None,
                    labelOpts={
                        "position": height,
                        "color": t.accent,
                        "fill": pg.mkBrush(t.plot_bg),
                        "anchors": [(side, 0.5), (side, 0.5)],
                    }
                    if on_top
                    else None,
                )
                line.setToolTip(f"{label}: {local(when, date=True, seconds=True)}")
                plot.addItem(line, ignoreBounds=True)

    def point_count(self, probe: str) -> int:
        curve = self.curves.get(probe)
        if curve is None or curve.xData is None:
            return 0
        return len(curve.xData)


def _bucket_text(bucket_ms: int) -> str:
    if bucket_ms % 60_000 == 0:
        minutes = bucket_ms // 60_000
        return f"{minutes}-minute"
    return f"{bucket_ms / 1000:g}-second"
