"""Graphs: latency, error rate and availability over wall-clock time, with event markers.

Three x-linked pyqtgraph plots on a local-time axis (``DateAxisItem``):

- **latency** — a line per probe; with more than :data:`MAX_PROBE_LINES` probes (a hairball
  nobody can read, and too slow to paint each second) the median and the highest latency of each
  triage group instead;
- **error rate** and **availability** per triage group, as defined in
  :mod:`stratus_commander.probes.series`.

Vertical markers show timeline events (declared, updates sent, decisions, status changes,
escalations: solid, labelled) and probe flips (dashed; flips seconds apart share a line). Data
live in fixed-size numpy buffers (:class:`Ring`); curves downsample and clip to the view;
everything is redrawn at most once a second (one paint) and only while the graphs are on screen,
and the time axis moves in steps. A reopened cockpit refills the buffers from stored samples off
the UI thread (:meth:`GraphsPanel.load_history`).
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import QGraphicsView, QLabel, QVBoxLayout, QWidget

from stratus_commander.clock import Clock, to_ms
from stratus_commander.errors import StoreUnreachable
from stratus_commander.incident import Incident, Incidents
from stratus_commander.probes.base import ProbeResult, StateChange
from stratus_commander.probes.checks import CHECK_ORDER
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.group_style import GROUP_STYLE, GROUP_TITLE
from stratus_commander.qt.panel_kit import CockpitPanel
from stratus_commander.runbook import Runbook
from stratus_commander.store import OUTCOME_CODES, Location
from stratus_commander.timeline import Event

if TYPE_CHECKING:  # numpy loads with the first data (a tenth of a second at start-up)
    import numpy as np
    import pyqtgraph as pg

__all__ = ["GraphsPanel", "Ring"]

MARKER_KINDS = {
    "declared": "declared",
    "message_sent": "update sent",
    "status_changed": "",
    "decision": "decision",
    "escalated": "escalated",
}
MAX_MARKERS = 40
FLIP_CLUSTER_S = 5.0
MAX_PROBE_LINES = 16
LEGEND_NOTE = (
    "Solid blue lines: timeline events (declared, updates sent, decisions, status changes)."
    "  Dashed red lines: probe flips (hover for which)."
)
_SAMPLES_PER_PIXEL = 0.5  # downsampling target: peak mode draws two points per sample kept
_AHEAD = 0.25  # the time axis runs this share of its span ahead, and moves when data reach it


def _epoch(dt: datetime) -> float:
    return to_ms(dt) / 1000.0


class Ring:
    """A fixed-capacity series of (time, value): appends are O(1), the view is contiguous.

    Backed by arrays of twice the capacity, made when first used; when the end is reached the
    newest ``capacity`` points move to the front (one copy per ``capacity`` appends), so
    :meth:`view` never copies.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._start = 0
        self._end = 0

    @property
    def _t(self) -> np.ndarray:
        return self._made()[0]

    @property
    def _y(self) -> np.ndarray:
        return self._made()[1]

    def _made(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            import numpy as np

            n = 2 * self.capacity
            self._arrays = (np.empty(n, dtype=np.float64), np.empty(n, dtype=np.float32))
        return self._arrays

    def append(self, t: float, y: float) -> None:
        if self._end == len(self._t):
            self._compact()
        self._t[self._end] = t
        self._y[self._end] = y
        self._end += 1
        if self._end - self._start > self.capacity:
            self._start += 1

    def extend(self, ts: np.ndarray, ys: np.ndarray) -> None:
        for t, y in zip(ts[-self.capacity :].tolist(), ys[-self.capacity :].tolist(), strict=True):
            self.append(t, y)

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self._t[self._start : self._end], self._y[self._start : self._end]

    def clear(self) -> None:
        self._start = self._end = 0

    def _compact(self) -> None:
        n = self._end - self._start
        self._t[:n] = self._t[self._start : self._end]
        self._y[:n] = self._y[self._start : self._end]
        self._start, self._end = 0, n


@dataclass
class _Series:
    """A curve to draw: its plot, its pen and its legend entry (the pyqtgraph item comes later)."""

    plot: str
    color: str | QColor | int  # an int: the n-th of pyqtgraph's distinct hues
    style: Qt.PenStyle
    legend: tuple[str, str] | None = None  # (legend, label)


@dataclass
class _Marker:
    at_s: float
    label: str
    flips: int  # probe flips it stands for (0: a timeline event)
    height: float  # where its label sits (staggered so close labels do not overlap)
    lines: list[pg.InfiniteLine] = field(default_factory=list)  # one per plot, once drawn

    @property
    def text(self) -> str:
        more = f" (+{self.flips - 1} more flips)" if self.flips > 1 else ""
        return self.label + more


class GraphsPanel(CockpitPanel):
    """The graphs tab.

    The buffers and markers follow the probes and the timeline from the start; the pyqtgraph
    plots (importing pyqtgraph is a third of a second) are made the first time they are needed:
    when the tab is first shown, :meth:`redraw_now`, or :meth:`build` (the cockpit calls it once
    its first frame is on screen).
    """

    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
        capacity: int = 8192,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        self.capacity = capacity
        self.per_probe = True  # False: group median/highest latency (many probes)
        self.rings: dict[str, Ring] = {}  # curve key -> its buffer
        self._series: dict[str, _Series] = {}  # curve key -> how it is drawn
        self.curves: dict[str, pg.PlotDataItem] = {}  # curve key -> its item, once built
        self.view: pg.GraphicsLayoutWidget | None = None
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        self._latency_title = "Latency (ms)"
        self._latest: dict[
            str, tuple[str, int, float, float]
        ] = {}  # probe -> check, code, rate, ms
        self._markers: deque[_Marker] = deque()
        self._dirty = False
        self._x_range: tuple[float, float] | None = None

        for check in CHECK_ORDER:
            for key in ("error", "availability"):
                legend = ("groups", GROUP_TITLE[check]) if key == "error" else None
                self._add_series(f"{key}:{check}", key, *GROUP_STYLE[check], legend=legend)
        self.note = QLabel(LEGEND_NOTE)
        self.note.setObjectName("evidence")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)

        bus.probe_result.connect(self._on_result)
        bus.probe_flip.connect(self._on_flip)
        bus.incident_event.connect(self._on_event)
        bus.tick.connect(self._on_tick)

    # --- building ------------------------------------------------------------------------------

    @property
    def built(self) -> bool:
        return self.view is not None

    def build(self) -> None:
        """Make the plots, their curves and markers (once; later calls do nothing)."""
        if self.view is not None:
            return
        import pyqtgraph as pg  # here, not at the top: see the class docstring

        pg.setConfigOptions(antialias=False, foreground=theme.current().plot_fg)
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground(theme.current().plot_bg)
        # Repainted once a second by redraw_now(), not after every change in the scene (flip
        # storms add dozens of markers in a second). No grid either: it was 80 % of a paint.
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.NoViewportUpdate)
        # Legends sit in rows of their own: inside a plot they hide the very lines they name.
        self.legends = {"latency": self._legend(0, 6), "groups": self._legend(2, 4)}
        self.plots = {
            "latency": self._plot(1, self._latency_title),
            "error": self._plot(3, "Error rate (%) per group"),
            "availability": self._plot(4, "Availability (%) per group"),
        }
        for key in ("error", "availability"):
            self.plots[key].setYRange(0, 100, padding=0.05)
            self.plots[key].enableAutoRange(axis="y", enable=False)
            # Short plots: three labels read; six print over each other.
            self.plots[key].getAxis("left").setTicks([[(v, str(v)) for v in (0, 50, 100)]])
            self.plots[key].setXLink(self.plots["latency"])
        self.plots["latency"].enableAutoRange(axis="x", enable=False)
        for key in self._series:
            self._draw_series(key)
        for marker in self._markers:
            self._draw_marker(marker)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(0, self.view, 1)
        if self.isVisible():  # built while on screen (first shown): show it in this frame
            self.view.show()
        self.set_theme()
        self._dirty = True

    def _legend(self, row: int, columns: int) -> pg.LegendItem:
        import pyqtgraph as pg

        assert self.view is not None
        legend = pg.LegendItem(
            labelTextSize="9pt", labelTextColor=theme.current().plot_fg, colCount=columns
        )
        self.view.addItem(legend, row=row, col=0)
        grid = self.view.ci.layout
        grid.setRowStretchFactor(row, 0)
        grid.setRowMaximumHeight(row, 44 if columns > 4 else 24)
        return legend

    def _plot(self, row: int, title: str) -> pg.PlotItem:
        import pyqtgraph as pg

        assert self.view is not None
        axis = pg.DateAxisItem(orientation="bottom")
        plot = self.view.addPlot(row=row, col=0, axisItems={"bottom": axis})
        plot.setTitle(title)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.setMenuEnabled(False)
        self.view.ci.layout.setRowStretchFactor(row, 1)
        return plot

    def _add_series(
        self,
        key: str,
        plot: str,
        color: str | QColor | int,
        style: Qt.PenStyle = Qt.PenStyle.SolidLine,
        legend: tuple[str, str] | None = None,
    ) -> None:
        self._series[key] = _Series(plot, color, style, legend)
        self.rings[key] = Ring(self.capacity)
        if self.view is not None:
            self._draw_series(key)

    def _draw_series(self, key: str) -> None:
        import pyqtgraph as pg

        s = self._series[key]
        color = (
            pg.intColor(s.color, hues=9, values=1, maxValue=220)
            if isinstance(s.color, int)
            else s.color
        )
        pen = pg.mkPen(color, width=1, style=s.style)
        curve = self.plots[s.plot].plot([], [], pen=pen, connect="finite")
        curve.opts["autoDownsampleFactor"] = _SAMPLES_PER_PIXEL
        self.curves[key] = curve
        if s.legend is not None:
            self.legends[s.legend[0]].addItem(curve, s.legend[1])

    def _remove_series(self, key: str) -> None:
        del self._series[key]
        del self.rings[key]
        curve = self.curves.pop(key, None)
        if curve is not None:
            self.plots["latency"].removeItem(curve)

    def set_probe_count(self, n: int) -> None:
        """How many probes run: above :data:`MAX_PROBE_LINES`, latency is drawn per group."""
        per_probe = n <= MAX_PROBE_LINES
        if per_probe == self.per_probe:
            return
        self.per_probe = per_probe
        for key in self.latency_keys():
            self._remove_series(key)
        if self.view is not None:
            self.legends["latency"].clear()
        if not per_probe:
            self._latency_title = "Latency (ms): median and highest per group"
            if self.view is not None:
                self.plots["latency"].setTitle(self._latency_title)
            for check in CHECK_ORDER:
                color, style = GROUP_STYLE[check]
                median = ("latency", f"{GROUP_TITLE[check]} median")
                self._add_series(f"latency:{check}:median", "latency", color, style, median)
                self._add_series(
                    f"latency:{check}:max", "latency", QColor(color).darker(160), style
                )
        self.set_theme()

    def _probe_curve(self, probe: str) -> str:
        key = f"latency:{probe}"
        if key not in self._series:
            i = len(self.latency_keys())
            self._add_series(key, "latency", i, legend=("latency", probe))
        return key

    def set_theme(self) -> None:
        if self.view is None:
            return  # built in the palette of the moment
        t = theme.current()
        self.view.setBackground(t.plot_bg)
        for plot in self.plots.values():
            for name in ("bottom", "left"):
                axis = plot.getAxis(name)
                axis.setPen(t.plot_fg)
                axis.setTextPen(t.plot_fg)
            plot.setTitle(plot.titleLabel.text, color=t.plot_fg)
        for legend in self.legends.values():
            legend.setLabelTextColor(t.plot_fg)
            for _, label in legend.items:
                label.setText(label.text, color=t.plot_fg)

    # --- incident and history ------------------------------------------------------------------

    def set_incident(self, incident: Incident | None) -> None:
        switching = self.incident is not None and (
            incident is None or incident.id != self.incident.id
        )
        if switching:
            self.clear()
        self.incident = incident
        if incident is not None:
            events: list[Event] = self.incidents.events(incident.id, set(MARKER_KINDS))
            for event in events:
                self._event_marker(event)

    def clear(self) -> None:
        for ring in self.rings.values():
            ring.clear()
        self._latest.clear()
        self._x_range = None
        while self._markers:
            self._drop_oldest_marker()
        self._changed()

    async def load_history(self, db_path: Location, since: datetime, until: datetime) -> int:
        """Fill the buffers from stored samples (read on a worker thread); returns points read."""
        from stratus_commander.probes import series

        loop = asyncio.get_running_loop()
        window = (since, until)
        try:
            history = await loop.run_in_executor(
                None, series.read_history, db_path, window, self.capacity
            )
        except StoreUnreachable:  # the team server is away (its banner says so)
            self.note.setText(
                f"{LEGEND_NOTE}  Stored history unavailable while the team server is away: "
                "showing what this cockpit had."
            )
            return 0
        histories, flips = history.series, history.flips
        if len(histories) > MAX_PROBE_LINES:
            self.set_probe_count(len(histories))
        if self.per_probe:
            for h in histories:
                self.rings[self._probe_curve(h.probe)].extend(h.times_ms / 1000.0, h.latency_ms)
        if histories:
            rebuilt = series.replay(histories, window, self.capacity)
            times = rebuilt.times_ms / 1000.0  # the plots' axis is in seconds
            for check, (avail, err) in rebuilt.metrics.items():
                self._extend(f"availability:{check}", times, avail)
                self._extend(f"error:{check}", times, err)
            if not self.per_probe:
                for check, (median, highest) in rebuilt.latency.items():
                    self._extend(f"latency:{check}:median", times, median)
                    self._extend(f"latency:{check}:max", times, highest)
        for f in flips:
            if f.current != "up" or f.previous not in (None, "up"):
                self._flip_marker(f.at_ms / 1000.0, f"{f.probe} {f.current}")
        n = sum(len(h.times_ms) for h in histories)
        self.note.setText(
            f"{LEGEND_NOTE}  Restored from stored samples: {len(histories)} probe(s), {n} point(s)."
        )
        self._changed()
        return n

    def _extend(self, key: str, times: np.ndarray, values: np.ndarray) -> None:
        ring = self.rings.get(key)
        if ring is not None:
            ring.extend(times, values)

    # --- live ----------------------------------------------------------------------------------

    def _on_result(self, result: ProbeResult) -> None:
        latency = math.nan if result.latency_ms is None else result.latency_ms
        rate = result.metrics.get("error_rate", math.nan)
        code = OUTCOME_CODES[result.outcome.value]
        self._latest[result.probe] = (result.check, code, rate, latency)
        if self.per_probe:
            if len(self._latest) > MAX_PROBE_LINES:
                self.set_probe_count(len(self._latest))
            else:
                self.rings[self._probe_curve(result.probe)].append(_epoch(result.at), latency)
        self._dirty = True

    def _on_tick(self) -> None:
        if self._latest:
            import numpy as np

            from stratus_commander.probes import series

            now = _epoch(self.clock.now())
            values = list(self._latest.values())
            checks = [v[0] for v in values]
            columns = np.array([v[1:] for v in values], dtype=np.float64)
            metrics = series.group_metrics(checks, columns[:, 0].astype(np.int8), columns[:, 1])
            for check, (avail, err) in metrics.items():
                self._append(f"availability:{check}", now, float(avail[0]))
                self._append(f"error:{check}", now, float(err[0]))
            if not self.per_probe:
                for check, (median, highest) in series.group_latency(checks, columns[:, 2]).items():
                    self._append(f"latency:{check}:median", now, float(median[0]))
                    self._append(f"latency:{check}:max", now, float(highest[0]))
            self._dirty = True
        if self._dirty:
            self._changed()

    def _append(self, key: str, t: float, value: float) -> None:
        ring = self.rings.get(key)
        if ring is not None:
            ring.append(t, value)

    def _on_flip(self, change: StateChange) -> None:
        if change.previous is None and change.current.value == "up":
            return  # a probe's first "up" is not news
        at_s, label = _epoch(change.at), f"{change.probe} {change.current.value}"
        self._flip_marker(at_s, label)

    def _flip_marker(self, at_s: float, label: str) -> None:
        # Flips within a few seconds share one line (a storm of 200 is one line, not 200).
        for marker in reversed(self._markers):
            if at_s - marker.at_s > FLIP_CLUSTER_S:
                break
            if marker.flips:
                marker.flips += 1
                for line in marker.lines:
                    line.setToolTip(marker.text)
                return
        self._marker(at_s, label, flip=True)

    def _on_event(self, incident: Incident, event: Event) -> None:
        if self.incident is not None and incident.id == self.incident.id:
            self._event_marker(event)

    def _event_marker(self, event: Event) -> None:
        if event.kind not in MARKER_KINDS:
            return
        label = MARKER_KINDS[event.kind] or str(event.data.get("to", event.kind))
        if event.kind == "decision":
            label = f"decision: {event.data.get('decision', '')}"
        self._marker(_epoch(event.at), label, flip=False)

    def _marker(self, at_s: float, label: str, flip: bool) -> None:
        # Staggered heights so labels of close markers do not print over each other.
        height = (0.95, 0.78, 0.61)[len(self._markers) % 3]
        marker = _Marker(at_s, label, 1 if flip else 0, height)
        self._markers.append(marker)
        if self.view is not None:
            self._draw_marker(marker)
        while len(self._markers) > MAX_MARKERS:
            self._drop_oldest_marker()

    def _draw_marker(self, marker: _Marker) -> None:
        import pyqtgraph as pg

        t = theme.current()
        flip = marker.flips > 0
        color = t.urgent_bg if flip and not marker.label.endswith(" up") else t.accent
        style = Qt.PenStyle.DashLine if flip else Qt.PenStyle.SolidLine
        pen = pg.mkPen(color, width=1, style=style)
        labelled = not flip  # flips come in clusters; the triage tab names them
        for key, plot in self.plots.items():
            on_top = labelled and key == "latency"
            line = pg.InfiniteLine(
                pos=marker.at_s,
                angle=90,
                pen=pen,
                label=marker.label if on_top else None,
                labelOpts={
                    "position": marker.height,
                    "color": color,
                    "anchors": [(0, 0.5), (0, 0.5)],
                }
                if on_top
                else None,
            )
            line.setToolTip(marker.text)
            plot.addItem(line, ignoreBounds=True)
            marker.lines.append(line)

    def _drop_oldest_marker(self) -> None:
        marker = self._markers.popleft()
        if marker.lines:  # drawn (the plots exist)
            for line, plot in zip(marker.lines, self.plots.values(), strict=True):
                plot.removeItem(line)

    def marker_labels(self) -> list[str]:
        """What each marker stands for, oldest first."""
        return [m.text for m in self._markers]

    # --- drawing -------------------------------------------------------------------------------

    def _changed(self) -> None:
        self._dirty = True
        if self.isVisible():
            self.redraw_now()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.build()
        if self._dirty:
            self.redraw_now()

    def redraw_now(self) -> None:
        """Give every curve its buffer (one paint follows) and step the time axis if needed."""
        self.build()
        assert self.view is not None
        self._dirty = False
        first, last = math.inf, -math.inf
        for key, curve in self.curves.items():
            t, y = self.rings[key].view()
            curve.setData(t, y)
            if len(t):
                first, last = min(first, t[0]), max(last, t[-1])
        if math.isfinite(first):
            self._follow(float(first), float(last))
        self.view.viewport().update()

    def _follow(self, first: float, last: float) -> None:
        # The axis moves only when the data reach its right edge: a still axis is not repainted.
        current = self._x_range
        if current is not None and current[0] <= first and last <= current[1]:
            return
        span = max(last - first, 60.0)
        self._x_range = (first, last + span * _AHEAD)
        self.plots["latency"].setXRange(*self._x_range, padding=0)

    def point_count(self, key: str) -> int:
        curve = self.curves.get(key)
        if curve is None or curve.xData is None:
            return 0
        return len(curve.xData)

    def latency_keys(self) -> list[str]:
        return [k for k in self._series if k.startswith("latency:")]
