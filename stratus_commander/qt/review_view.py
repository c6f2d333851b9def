"""The post-incident review of one incident: the review desk, from the SQLite file alone.

:class:`ReviewView` opens the incident database at ``store_path`` (no config, no network) and
shows what :func:`stratus_commander.review.build_review` computes: the 48 h deadline, milestones,
durations with their definitions (impossible orders flagged), the impact assessment, the RCA,
action items (overdue ones highlighted), the follow-up meeting, service credits and the hash
chain's verdict, plus the probe graphs replayed from stored samples.

Reading is done off the UI thread: each load runs on one worker thread with its own
:class:`~stratus_commander.store.Store` connection and comes back as a queued Qt signal
(:attr:`ReviewView.loaded`, :attr:`ReviewView.graphs_loaded`). Edits are small durable writes
through the review and credits functions on the UI thread, each followed by a reload. With
``read_only=True`` (the incident library) nothing can be changed; exports still work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDateTime, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.clock import Clock, from_ms, to_ms
from stratus_commander.errors import InputError, StratusError
from stratus_commander.export import GraphRenderer, render
from stratus_commander.fileio import atomic_write_text
from stratus_commander.incident import Incident, Incidents
from stratus_commander.probes.base import CHECK_ORDER
from stratus_commander.qt import theme
from stratus_commander.qt.graphs import GROUP_STYLE, GROUP_TITLE
from stratus_commander.qt.panel_kit import (
    feedback_label,
    heading,
    human_duration,
    local,
    urgent_colors,
    urgent_style,
    warn_style,
)
from stratus_commander.runbook import Runbook
from stratus_commander.series import ProbeSeries, graph_series, series_window
from stratus_commander.store import OUTCOME_CODES, Store, open_store

__all__ = ["ActionItemDialog", "ReplayGraphs", "ReviewView", "incident_markers"]

T = TypeVar("T")

EXPORT_FILTERS = {"html": "HTML (*.html)", "md": "Markdown (*.md)", "json": "JSON (*.json)"}
DEADLINE_WORDS = {
    "waiting": "not started: the incident is not resolved yet",
    "pending": "pending",
    "overdue": "OVERDUE",
    "done": "completed in time",
    "done late": "completed LATE",
}
_UNKNOWN = OUTCOME_CODES["unknown"]


# ---------------------------------------------------------------- reading off the UI thread


class StoreReader(QObject):
    """Runs reads on one worker thread, each with its own Store connection; the result (or the
    exception) comes back on the UI thread through a queued signal."""

    _finished = Signal(object, object)

    def __init__(self, store_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store_path = Path(store_path)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-reader")
        self._closed = False
        self._finished.connect(self._deliver)

    def submit(
        self,
        read: Callable[[Store], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        if self._closed:
            return

        def job() -> T:
            with open_store(self.store_path) as store:
                return read(store)

        future = self._pool.submit(job)
        future.add_done_callback(lambda f: self._emit((done, failed), f))

    def _emit(self, callbacks: object, future: Future[Any]) -> None:
        if self._closed:
            return
        # Emitted from the worker thread, queued to the UI thread. RuntimeError: the view was
        # deleted without shutdown(), so nobody is waiting for this.
        with suppress(RuntimeError):
            self._finished.emit(callbacks, future)

    def _deliver(self, callbacks: tuple[Callable[[Any], None], ...], future: Future[Any]) -> None:
        if self._closed or future.cancelled():
            return
        done, failed = callbacks
        error = future.exception()
        if error is not None:
            failed(error)
        else:
            done(future.result())

    def shutdown(self) -> None:
        """Wait for a running read, drop queued ones; later results are ignored."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class ReplayData:
    incident: Incident
    window: tuple[datetime, datetime]
    series: list[ProbeSeries]


def read_replay(store: Store, incident_id: int, now: datetime) -> ReplayData:
    """The incident's graph window and its bucketed series (runs on the worker thread)."""
    incident = Incidents(store, _FixedClock(now)).get(incident_id)
    window = series_window(incident, now)
    return ReplayData(incident, window, graph_series(store, window))


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


# ---------------------------------------------------------------- the replayed graphs


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


# ---------------------------------------------------------------- small building blocks


class Table(QTableWidget):
    """A read-only table whose wrapped rows take the height their text needs; ``fit``: never
    taller than its rows (the space below goes to what follows)."""

    def __init__(self, headers: Sequence[str], stretch: int | None = None, fit: bool = False):
        super().__init__(0, len(headers))
        self.fit = fit
        self.setHorizontalHeaderLabels(list(headers))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.verticalHeader().setVisible(False)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if stretch is not None:
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)

    def fill(self, rows: Sequence[Sequence[str]]) -> list[list[QTableWidgetItem]]:
        """Replace the rows; returns the cells, row by row, for styling."""
        self.setRowCount(0)
        out = []
        for values in rows:
            row = self.rowCount()
            self.insertRow(row)
            cells = []
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(value)
                self.setItem(row, col, cell)
                cells.append(cell)
            out.append(cells)
        self.fit_rows()
        return out

    def fit_rows(self) -> None:
        self.resizeRowsToContents()
        if self.fit:
            height = self.horizontalHeader().height() + 2 * self.frameWidth() + 2
            height += sum(self.rowHeight(r) for r in range(self.rowCount()))
            self.setMaximumHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Wrapped text needs its height again once the columns have their real widths (a
        # table filled on a hidden tab gets them only when first shown).
        super().resizeEvent(event)
        self.fit_rows()


def _right(button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(button)
    return row


def _mark_urgent(cells: Sequence[QTableWidgetItem]) -> None:
    bg, fg = urgent_colors()
    for cell in cells:
        cell.setBackground(bg)
        cell.setForeground(fg)


def _qdt(dt: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(to_ms(dt))


def _from_qdt(value: QDateTime) -> datetime:
    return from_ms(value.toMSecsSinceEpoch()).replace(second=0, microsecond=0)


def _date_edit(value: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(_qdt(value))
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    zone = value.astimezone().tzname() or "local time"
    edit.setToolTip(f"Local time ({zone})")
    return edit


def _untouched(edit: QLineEdit | QPlainTextEdit) -> bool:
    if isinstance(edit, QLineEdit):
        return not edit.isModified()
    return not edit.document().isModified()


def _set_text(edit: QLineEdit | QPlainTextEdit, text: str) -> None:
    """Show the stored value unless the user has typed something not yet saved."""
    if not _untouched(edit):
        return
    if isinstance(edit, QLineEdit):
        edit.setText(text)
        edit.setModified(False)
    else:
        edit.setPlainText(text)
        edit.document().setModified(False)


def _saved(*edits: QLineEdit | QPlainTextEdit) -> None:
    for edit in edits:
        if isinstance(edit, QLineEdit):
            edit.setModified(False)
        else:
            edit.document().setModified(False)


def _section_text(runbook: Runbook, section_id: str) -> dict[str, str]:
    section = next((s for s in runbook.review.sections if s.id == section_id), None)
    return {i.id: i.text for i in section.items} if section else {}


# ---------------------------------------------------------------- action item dialog


class ActionItemDialog(QDialog):
    """Add an action item (category, action, owner, deadline) or edit one (owner, deadline,
    status). ``values()`` gives what to pass to the review functions."""

    def __init__(
        self,
        runbook: Runbook,
        now: datetime,
        item: rv.ActionItem | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle(f"Action item #{item.id}" if item else "New action item")
        form = QFormLayout()
        self.category = QComboBox()
        for item_id, text in _section_text(runbook, "action_items").items():
            self.category.addItem(text, item_id)
        self.text = QLineEdit()
        self.text.setPlaceholderText("What will be done, e.g. “Alert on pool saturation”")
        self.owner = QLineEdit()
        self.owner.setPlaceholderText("Who does it")
        self.has_deadline = QCheckBox("Deadline")
        self.deadline = _date_edit(
            item.deadline if item and item.deadline else now + timedelta(days=7)
        )
        self.has_deadline.setChecked(item is None or item.deadline is not None)
        self.has_deadline.toggled.connect(self.deadline.setEnabled)
        self.deadline.setEnabled(self.has_deadline.isChecked())
        self.status = QComboBox()
        self.status.addItems(["open", "done"])
        form.addRow("&Category", self.category)
        form.addRow("&Action", self.text)
        form.addRow("&Owner", self.owner)
        form.addRow(self.has_deadline, self.deadline)
        form.addRow("&Status", self.status)
        if item is not None:
            self.category.setCurrentIndex(max(self.category.findData(item.category), 0))
            self.text.setText(item.text)
            self.owner.setText(item.owner)
            self.status.setCurrentText(item.status)
            # The action and its category are the record; reassign or reschedule it instead.
            self.category.setEnabled(False)
            self.text.setReadOnly(True)
        else:
            self.status.setEnabled(False)
        self.error = feedback_label()
        self.error.setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, 240)

    def chosen_deadline(self) -> datetime | None:
        return _from_qdt(self.deadline.dateTime()) if self.has_deadline.isChecked() else None

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ Not saved — {message}")
        self.error.setStyleSheet(warn_style())
        self.error.setVisible(True)


# ---------------------------------------------------------------- the view


class ReviewView(QWidget):
    """The post-incident review of one incident (see the module docstring)."""

    loaded = Signal()  # the review was (re)computed and is shown
    graphs_loaded = Signal(int)  # points drawn
    load_failed = Signal(str)

    def __init__(
        self,
        store_path: Path | str,
        runbook: Runbook,
        clock: Clock,
        incident_id: int,
        parent: QWidget | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        super().__init__(parent)
        self.store_path = Path(store_path)
        self.runbook = runbook
        self.clock = clock
        self.incident_id = incident_id
        self.read_only = read_only
        self.store = open_store(self.store_path)
        self.incidents = Incidents(self.store, clock)
        self.reader = StoreReader(self.store_path, self)
        self.review: rv.Review | None = None
        self.replay: ReplayData | None = None
        self._generation = 0
        self._shut = False
        self._categories = _section_text(runbook, "action_items")

        layout = QVBoxLayout(self)
        layout.addWidget(self._header())
        self.tabs = QTabWidget()
        self.tabs.addTab(self._timeline_tab(), "&Timeline and durations")
        self.tabs.addTab(self._impact_tab(), "&Impact and RCA")
        self.tabs.addTab(self._actions_tab(), "&Action items and follow-up")
        self.tabs.addTab(self._credits_tab(), "&Credits")
        self.graphs = ReplayGraphs()
        self.tabs.addTab(self.graphs, "&Graphs")
        layout.addWidget(self.tabs, 1)
        self._set_editable(False)
        self.reload()
        self.load_graphs()

    # --- layout --------------------------------------------------------------------------------

    def _header(self) -> QWidget:
        box = QFrame()
        box.setObjectName("incidentHeader")
        grid = QVBoxLayout(box)
        top = QHBoxLayout()
        self.title = heading("Loading the review…", 16)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        top.addWidget(self.title, 1)
        self.drill_badge = QLabel("DRILL")
        self.drill_badge.setObjectName("drillStrip")
        self.drill_badge.setVisible(False)
        top.addWidget(self.drill_badge)
        self.export_button = QPushButton("&Export…")
        self.export_button.setToolTip("Markdown, self-contained HTML with graphs, or JSON")
        self.export_button.clicked.connect(self._choose_export)
        top.addWidget(self.export_button)
        self.complete_button = QPushButton("Co&mplete review")
        self.complete_button.clicked.connect(self.complete_review)
        top.addWidget(self.complete_button)
        grid.addLayout(top)
        self.meta = QLabel()
        self.meta.setObjectName("incidentMeta")
        self.meta.setWordWrap(True)
        grid.addWidget(self.meta)
        states = QHBoxLayout()
        self.deadline_label = QLabel()
        self.deadline_label.setWordWrap(True)
        states.addWidget(self.deadline_label, 1)
        self.integrity_label = QLabel()
        self.integrity_label.setWordWrap(True)
        states.addWidget(self.integrity_label, 1)
        grid.addLayout(states)
        self.feedback = feedback_label()
        self.feedback.setVisible(False)
        grid.addWidget(self.feedback)
        return box

    def _timeline_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.order_label = QLabel()
        self.order_label.setWordWrap(True)
        self.order_label.setTextFormat(Qt.TextFormat.PlainText)
        self.order_label.setStyleSheet(urgent_style())
        self.order_label.setVisible(False)
        layout.addWidget(self.order_label)
        layout.addWidget(QLabel("<b>Durations</b> (hover a row for its start and end)"))
        self.durations = Table(["Measure", "Value", "Target", "Definition"], stretch=3, fit=True)
        layout.addWidget(self.durations)
        layout.addWidget(
            QLabel("<b>Milestones</b>: detection, response, resolution, communication")
        )
        self.milestones = Table(["Local time", "UTC", "Kind", "Milestone"], stretch=3)
        layout.addWidget(self.milestones, 1)
        return page

    def _impact_tab(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        scroll.setWidget(inner)
        outer.addWidget(scroll)

        impact = QGroupBox("Impact assessment")
        form = QFormLayout(impact)
        self.affected_users = QLineEdit()
        self.affected_users.setPlaceholderText("a whole number, e.g. 1840")
        self.financial = QLineEdit()
        self.financial.setPlaceholderText("e.g. GBP 38,000 of bookings delayed")
        self.reputation = QLineEdit()
        self.reputation.setPlaceholderText("e.g. two operators escalated to account managers")
        self.credits_issued = QLabel()
        self.credits_issued.setWordWrap(True)
        form.addRow("Number of &affected users", self.affected_users)
        form.addRow("&Financial impact", self.financial)
        form.addRow("&Reputation impact", self.reputation)
        form.addRow("Service credits issued", self.credits_issued)
        self.save_impact_button = QPushButton("Save impact")
        self.save_impact_button.clicked.connect(self.save_impact)
        form.addRow(_right(self.save_impact_button))
        layout.addWidget(impact)

        rca = QGroupBox("Root cause analysis")
        self.rca_form = QFormLayout(rca)
        self.rca_edits: dict[str, QPlainTextEdit] = {}
        for item_id, text in _section_text(self.runbook, "root_cause").items():
            edit = QPlainTextEdit()
            edit.setFixedHeight(64)
            edit.setTabChangesFocus(True)
            self.rca_edits[item_id] = edit
            self.rca_form.addRow(text, edit)
        self.save_rca_button = QPushButton("Save RCA")
        self.save_rca_button.clicked.connect(self.save_rca)
        self.rca_form.addRow(_right(self.save_rca_button))
        layout.addWidget(rca)

        closed = QGroupBox("Close record (written at close; read-only)")
        closed_layout = QVBoxLayout(closed)
        self.close_text = QLabel()
        self.close_text.setWordWrap(True)
        self.close_text.setTextFormat(Qt.TextFormat.PlainText)
        self.close_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        closed_layout.addWidget(self.close_text)
        layout.addWidget(closed)
        layout.addStretch(1)
        return page

    def _actions_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.items_summary = QLabel()
        self.items_summary.setWordWrap(True)
        layout.addWidget(self.items_summary)
        self.items = Table(["#", "Category", "Action", "Owner", "Deadline", "Status"], stretch=2)
        self.items.itemDoubleClicked.connect(lambda _: self.edit_selected_item())
        layout.addWidget(self.items, 1)
        buttons = QHBoxLayout()
        self.add_item_button = QPushButton("A&dd action item…")
        self.add_item_button.clicked.connect(self.add_item)
        self.edit_item_button = QPushButton("&Edit selected…")
        self.edit_item_button.clicked.connect(self.edit_selected_item)
        buttons.addWidget(self.add_item_button)
        buttons.addWidget(self.edit_item_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        follow = QGroupBox("Follow-up: review meeting")
        row = QHBoxLayout(follow)
        self.meeting_label = QLabel()
        self.meeting_label.setWordWrap(True)
        row.addWidget(self.meeting_label, 1)
        self.meeting_edit = _date_edit(self.clock.now() + timedelta(days=2))
        row.addWidget(self.meeting_edit)
        self.meeting_button = QPushButton("&Schedule")
        self.meeting_button.clicked.connect(self.schedule_meeting)
        row.addWidget(self.meeting_button)
        layout.addWidget(follow)
        return page

    def _credits_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        controls = QHBoxLayout()
        self.ladder = QLineEdit(_ladder_text(self.runbook.sla.ladder))
        ladder_label = QLabel("SLA &ladder (below %:credit %)")
        ladder_label.setBuddy(self.ladder)
        controls.addWidget(ladder_label)
        self.ladder.setToolTip(
            "Monthly uptime below the first figure earns the second as a share of the monthly "
            "fee; the deepest step applies. Default from the runbook."
        )
        controls.addWidget(self.ladder, 1)
        self.import_button = QPushButton("&Import accounts CSV…")
        self.import_button.setToolTip(
            "account_id,name,monthly_fee,currency[,groups]; any bad row refuses the whole file"
        )
        self.import_button.clicked.connect(self._choose_accounts)
        controls.addWidget(self.import_button)
        self.export_credits_button = QPushButton("E&xport credits CSV…")
        self.export_credits_button.clicked.connect(self._choose_credits_csv)
        controls.addWidget(self.export_credits_button)
        layout.addLayout(controls)
        self.credits_feedback = feedback_label()
        self.credits_feedback.setVisible(False)
        layout.addWidget(self.credits_feedback)
        self.credits_summary = QLabel()
        self.credits_summary.setWordWrap(True)
        self.credits_summary.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.credits_summary)
        layout.addWidget(QLabel("<b>Measured uptime per group</b> (hover for the calculation)"))
        self.uptime_warning = feedback_label()
        self.uptime_warning.setVisible(False)
        layout.addWidget(self.uptime_warning)
        # A row per group and month: an outage across a month end is measured in each month.
        self.uptime = Table(
            [
                "Group",
                "Incident window: uptime",
                "down min",
                "Month",
                "Month: uptime",
                "down min",
                "Month: maintenance · unobserved",
            ],
            fit=True,
        )
        layout.addWidget(self.uptime)
        layout.addWidget(QLabel("<b>Credits per account</b>"))
        self.accounts = Table(
            [
                "Month",
                "Account",
                "Name",
                "SLA covers",
                "Monthly fee",
                "Month uptime",
                "Credit %",
                "Due",
                "Already credited",
                "Credit now",
            ],
            stretch=2,  # the name
        )
        layout.addWidget(self.accounts, 1)
        layout.addWidget(QLabel("<b>Calculations</b>, as stored and exported"))
        self.calculations = QPlainTextEdit()
        self.calculations.setReadOnly(True)
        layout.addWidget(self.calculations, 1)
        return page

    # --- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Recompute the review on the worker thread; :attr:`loaded` when it is shown."""
        self._generation += 1
        generation = self._generation
        runbook, clock, incident_id = self.runbook, self.clock, self.incident_id
        now = clock.now()

        def read(store: Store) -> rv.Review:
            return rv.build_review(Incidents(store, clock), runbook, incident_id, now)

        self.reader.submit(read, lambda r: self._show(generation, r), self._failed)

    def load_graphs(self) -> None:
        """Replay the graphs from stored samples on the worker thread."""
        incident_id, now = self.incident_id, self.clock.now()
        self.reader.submit(
            lambda store: read_replay(store, incident_id, now), self._show_graphs, self._failed
        )

    def _failed(self, error: BaseException) -> None:
        self.title.setText("The review could not be loaded")
        self._say(f"{type(error).__name__}: {error}", urgent=True)
        self.load_failed.emit(str(error))

    def _show(self, generation: int, review: rv.Review) -> None:
        if generation != self._generation:
            return  # a newer reload is on its way
        self.review = review
        i = review.incident
        self.title.setText(f"{i.label} · {i.title}")
        self.drill_badge.setVisible(i.drill)
        self.meta.setText(
            f"{i.impact} · {i.status} · detected {local(i.detected_at, date=True)} · "
            f"resolved {local(i.resolved_at, date=True) if i.resolved_at else '—'}"
            f" · closed {local(i.closed_at, date=True) if i.closed_at else '—'}"
        )
        self._show_deadline(review)
        self._show_integrity(review)
        self._show_timeline(review)
        self._show_impact(review)
        self._show_actions(review)
        self._show_credits(review)
        self._set_editable(True)
        self.loaded.emit()

    def _show_deadline(self, review: rv.Review) -> None:
        state = review.deadline_state
        text = f"Post-incident review: {DEADLINE_WORDS[state]}"
        if review.deadline is not None:
            text += f" · due {local(review.deadline, date=True)}"
            left = review.deadline - review.now
            if state == "pending":
                text += f" ({_span(left)} left)"
            elif state == "overdue":
                text += f" ({_span(-left)} ago)"
        if review.incident.review_done_at is not None:
            text += f" · completed {local(review.incident.review_done_at, date=True)}"
        self.deadline_label.setText(text)
        near = (
            state == "pending"
            and review.deadline
            and review.deadline - review.now < timedelta(hours=4)
        )
        self.deadline_label.setStyleSheet(
            urgent_style()
            if state in ("overdue", "done late")
            else warn_style()
            if near
            else "font-weight: bold; padding: 4px 8px;"
        )

    def _show_integrity(self, review: rv.Review) -> None:
        chain = review.chain
        if chain.ok and not review.record_problems:
            text = f"✔ Hash chain verified: {chain.checked} events; stored records match it"
            style = "font-weight: bold; padding: 4px 8px;"
        elif not chain.ok:
            text = (
                f"✖ Hash chain BROKEN at event {chain.broken_at}: {chain.reason} "
                f"({chain.checked} events verified before it)"
            )
            style = urgent_style()
        else:
            text = "✖ Hash chain verified, but " + "; ".join(review.record_problems)
            style = urgent_style()
        self.integrity_label.setText(text)
        self.integrity_label.setStyleSheet(style)

    def _show_timeline(self, review: rv.Review) -> None:
        problems = review.order_problems
        self.order_label.setVisible(bool(problems))
        self.order_label.setText(
            "✖ Impossible order:\n" + "\n".join(f"• {p.message}" for p in problems)
        )
        rows = []
        for d in review.durations:
            value = rv.format_span(d.value)
            if d.impossible:
                value += "  IMPOSSIBLE"
            target = "—"
            if d.target is not None:
                target = f"≤ {human_duration(d.target)}"
                if d.met is False:
                    target += "  MISSED"
                elif d.met:
                    target += "  met"
            rows.append([d.label, value, target, d.definition])
        for d, cells in zip(review.durations, self.durations.fill(rows), strict=True):
            span = (
                f"{local(d.start, date=True, seconds=True) if d.start else '—'} → "
                f"{local(d.end, date=True, seconds=True) if d.end else 'not yet'}"
            )
            for cell in cells:
                cell.setToolTip(f"{d.label}: {span}\n{d.definition}")
            if d.impossible or d.met is False:
                _mark_urgent(cells[:3] if not d.impossible else cells)
        self.milestones.fill(
            [
                [
                    local(m.at, date=True, seconds=True, utc=False),
                    m.at.strftime("%H:%M:%S"),
                    m.category,
                    m.label,
                ]
                for m in review.milestones
            ],
        )

    def _show_impact(self, review: rv.Review) -> None:
        impact = review.impact
        users = "" if impact.affected_users is None else str(impact.affected_users)
        _set_text(self.affected_users, users)
        _set_text(self.financial, impact.financial_impact)
        _set_text(self.reputation, impact.reputation)
        self.credits_issued.setText(review.credits_issued)
        for item_id, _question, answer in review.rca:
            if item_id in self.rca_edits:
                _set_text(self.rca_edits[item_id], answer)
        self.close_text.setText(self._close_summary(review.close))

    def _close_summary(self, close: rv.CloseRecord | None) -> str:
        if close is None:
            return "Not written yet: the incident has not been closed (Close incident…)."
        lines = [f"Fix applied: {close.fix_applied or '—'}", ""]
        for section in self.runbook.close.sections:
            lines.append(section.title)
            for item in section.items:
                key = f"{section.id}.{item.id}"
                value = close.answers.get(key) or close.checklist.get(key) or "—"
                lines.append(f"  • {item.text}: {str(value).replace('_', ' ')}")
        if close.learnings:
            lines.append("Lessons attached to runbook steps")
            lines += [f"  • {step}: {text}" for step, text in close.learnings]
        return "\n".join(lines)

    def _show_actions(self, review: rv.Review) -> None:
        rows = []
        for item in review.action_items:
            if item.overdue(review.now):
                status = "OVERDUE (open)"
            elif item.status == "done" and item.done_at:
                status = f"done {local(item.done_at, date=True, utc=False)}"
            else:
                status = item.status
            rows.append(
                [
                    f"#{item.id}",
                    self._categories.get(item.category, item.category),
                    item.text,
                    item.owner or "— unassigned",
                    local(item.deadline, date=True) if item.deadline else "— none",
                    status,
                ]
            )
        for item, cells in zip(review.action_items, self.items.fill(rows), strict=True):
            cells[0].setData(Qt.ItemDataRole.UserRole, item.id)
            if item.overdue(review.now):
                _mark_urgent(cells)
        f = review.follow_up
        overdue = len(review.overdue_items)
        self.items_summary.setText(
            f"{f.done} of {f.total} action items done"
            + (f" · {overdue} OVERDUE" if overdue else "")
            + (f" · {f.unassigned} without an owner" if f.unassigned else "")
            + (f" · {f.without_deadline} without a deadline" if f.without_deadline else "")
        )
        self.items_summary.setStyleSheet(urgent_style() if overdue else "")
        if f.meeting_at is None:
            self.meeting_label.setText("Review meeting: not scheduled")
        else:
            self.meeting_label.setText(f"Review meeting: {local(f.meeting_at, date=True)}")
            self.meeting_edit.setDateTime(_qdt(f.meeting_at))

    def _show_credits(self, review: rv.Review) -> None:
        credits = review.credits
        uptime_rows = []
        described = []
        for group, window in review.window_uptime.items():
            for first, months in enumerate(review.monthly_uptime.values()):
                month = months.get(group)
                # The window's figure once per group, beside its first month.
                window_cells = (
                    [f"{window.percent_text} %", f"{window.down_minutes:,}"]
                    if first == 0
                    else ["", ""]
                )
                uptime_rows.append(
                    [
                        GROUP_TITLE.get(group, group),
                        *window_cells,
                        month.period.label if month else "—",
                        f"{month.percent_text} %" if month else "—",
                        f"{month.down_minutes:,}" if month else "—",
                        (
                            f"{month.maintenance_minutes:,} min excluded · "
                            f"{month.unobserved_minutes:,} min counted as up"
                        )
                        if month
                        else "—",
                    ]
                )
                described.append(
                    (window.describe() if first == 0 else "", month.describe() if month else "")
                )
        self._warn_if_thin(
            [
                {g: m for g, m in months.items() if m.thinly_observed}
                for months in review.monthly_uptime.values()
            ]
        )
        for (window_text, month_text), cells in zip(
            described, self.uptime.fill(uptime_rows), strict=True
        ):
            for cell in cells[1:3]:
                cell.setToolTip(window_text)
            for cell in cells[3:]:
                cell.setToolTip(month_text)
        if credits is None:
            self.credits_summary.setText(
                "Not calculated yet. Import the affected accounts (CSV) to calculate credits "
                "from the measured monthly uptime."
            )
            self.accounts.fill([])
            self.calculations.setPlainText("")
            return
        self.ladder.setText(_ladder_text(credits.reports[-1].ladder))
        sources = ", ".join(credits.sources)
        self.credits_summary.setText(
            f"{credits.summary()}\nCalculated {local(credits.computed_at, date=True)}"
            + (f" from {sources}" if sources else "")
        )
        pairs = [(r, a) for r in credits.reports for a in r.accounts]
        rows = [
            [
                r.month_label,
                a.account.account_id,
                a.account.name,
                ", ".join(GROUP_TITLE.get(g, g) for g in a.account.groups),
                cr.money(a.account.monthly_fee, a.account.currency),
                f"{a.uptime.percent_text} %",
                f"{a.credit_percent} %",
                cr.money(a.due, a.account.currency),
                cr.money(a.previously_credited, a.account.currency),
                cr.money(a.amount, a.account.currency),
            ]
            for r, a in pairs
        ]
        for (_, a), cells in zip(pairs, self.accounts.fill(rows), strict=True):
            for cell in cells:
                cell.setToolTip(a.explanation)
        self.calculations.setPlainText(
            "\n\n".join(
                (f"{r.month_label}\n" if len(credits.reports) > 1 else "")
                + "\n\n".join(a.explanation for a in r.accounts)
                for r in credits.reports
            )
        )

    def _warn_if_thin(self, thin_by_month: list[dict[str, cr.Uptime]]) -> None:
        thin = [months for months in thin_by_month if months]
        self.uptime_warning.setVisible(bool(thin))
        if not thin:
            return
        said = []
        for months in thin:
            seen = "; ".join(
                f"{GROUP_TITLE.get(g, g)} {m.counted_minutes:,} of "
                f"{m.period_minutes - m.maintenance_minutes:,} minutes"
                for g, m in months.items()
            )
            label = next(iter(months.values())).period.label
            said.append(f"{label} was observed — the probes saw {seen}")
        one = len(thin) == 1
        whose, its, it = ("month's", "its", "it") if one else ("months'", "their", "them")
        self.uptime_warning.setText(
            f"⚠ Little of {'; little of '.join(said)}. The rest counts as available, so the "
            f"{whose} uptime may be too high and {its} credits too low: check {it} against "
            "UptimeRobot's or the providers' records before applying credits."
        )
        self.uptime_warning.setStyleSheet(warn_style())

    def set_theme(self) -> None:
        """Redraw in the current palette (the cockpit calls this when the theme changes)."""
        if self.replay is not None:
            self._show_graphs(self.replay)
        else:
            self.graphs.set_theme()
        if self.review is not None:
            self._show(self._generation, self.review)

    def _show_graphs(self, replay: ReplayData) -> None:
        self.replay = replay
        self.graphs.show_series(replay.series, replay.window, incident_markers(replay.incident))
        self.graphs_loaded.emit(sum(len(s.times_ms) for s in replay.series))

    # --- what may be edited --------------------------------------------------------------------

    def _set_editable(self, loaded: bool) -> None:
        review = self.review
        incident = review.incident if review else None
        reviewable = bool(loaded and incident and not incident.is_open and not self.read_only)
        review_open = reviewable and incident is not None and incident.review_done_at is None
        for line in (self.affected_users, self.financial, self.reputation):
            line.setReadOnly(not review_open)
        for edit in self.rca_edits.values():
            edit.setReadOnly(not review_open)
        for widget in (
            self.save_impact_button,
            self.save_rca_button,
            self.add_item_button,
            self.meeting_button,
            self.meeting_edit,
            self.complete_button,
        ):
            widget.setEnabled(review_open)
        self.edit_item_button.setEnabled(reviewable)  # progress is tracked after completion too
        self.import_button.setEnabled(reviewable)
        self.ladder.setReadOnly(not reviewable)
        self.export_credits_button.setEnabled(bool(review and review.credits))
        self.export_button.setEnabled(loaded)
        if self.read_only:
            why = "Read-only: opened from the incident library."
        elif incident is not None and incident.is_open:
            why = f"{incident.label} is {incident.status}: the review starts once it is resolved."
        elif incident is not None and incident.review_done_at is not None:
            why = "The review is complete: only action items can still be updated."
        else:
            why = ""
        for button in (self.save_impact_button, self.save_rca_button, self.add_item_button):
            button.setToolTip(why)

    # --- editing -------------------------------------------------------------------------------

    def _say(self, message: str, *, urgent: bool = False, warn: bool = False) -> None:
        self.feedback.setText(message)
        self.feedback.setStyleSheet(urgent_style() if urgent else warn_style() if warn else "")
        self.feedback.setVisible(bool(message))

    def _attempt(self, action: Callable[[], object], done: str) -> bool:
        """Run a domain call; its refusal is shown, not raised into Qt. Reloads on success."""
        try:
            action()
        except StratusError as exc:
            self._say(f"⚠ Not saved — {exc}", warn=True)
            return False
        self._say(done)
        self.reload()
        return True

    def save_impact(self) -> bool:
        text = self.affected_users.text().strip().replace(",", "")
        if text and not text.isdigit():
            self._say("⚠ Not saved — affected users: a whole number (e.g. 1840)", warn=True)
            return False
        ok = self._attempt(
            lambda: rv.update_review(
                self.incidents,
                self.runbook,
                self.incident_id,
                affected_users=int(text) if text else None,
                financial_impact=self.financial.text(),
                reputation=self.reputation.text(),
            ),
            "Impact assessment saved.",
        )
        if ok:
            _saved(self.affected_users, self.financial, self.reputation)
        return ok

    def save_rca(self) -> bool:
        answers = {k: e.toPlainText() for k, e in self.rca_edits.items()}
        ok = self._attempt(
            lambda: rv.update_review(
                self.incidents, self.runbook, self.incident_id, answers=answers
            ),
            "Root cause analysis saved.",
        )
        if ok:
            _saved(*self.rca_edits.values())
        return ok

    def schedule_meeting(self) -> bool:
        when = _from_qdt(self.meeting_edit.dateTime())
        return self._attempt(
            lambda: rv.update_review(
                self.incidents, self.runbook, self.incident_id, meeting_at=when
            ),
            f"Review meeting scheduled for {local(when, date=True)}.",
        )

    def complete_review(self) -> bool:
        try:
            rv.complete_review(self.incidents, self.runbook, self.incident_id)
        except rv.ReviewRefused as exc:
            self._say(
                "⚠ The review cannot be completed yet:\n"
                + "\n".join(f"• {m}" for m in exc.missing),
                warn=True,
            )
            return False
        except StratusError as exc:
            self._say(f"⚠ {exc}", warn=True)
            return False
        self._say("Post-incident review completed.")
        self.reload()
        return True

    def add_item(self) -> None:
        dialog = ActionItemDialog(self.runbook, self.clock.now(), parent=self)
        dialog.accepted.connect(lambda: self.save_item(dialog))
        dialog.open()

    def edit_selected_item(self) -> None:
        item = self.selected_item()
        if item is None:
            self._say("Select an action item first.", warn=True)
            return
        dialog = ActionItemDialog(self.runbook, self.clock.now(), item, parent=self)
        dialog.accepted.connect(lambda: self.save_item(dialog))
        dialog.open()

    def selected_item(self) -> rv.ActionItem | None:
        if self.review is None:
            return None
        row = self.items.currentRow()
        cell = self.items.item(row, 0) if row >= 0 else None
        if cell is None:
            return None
        item_id = cell.data(Qt.ItemDataRole.UserRole)
        return next((i for i in self.review.action_items if i.id == item_id), None)

    def save_item(self, dialog: ActionItemDialog) -> bool:
        """Store what the action item dialog holds (add or edit); refusals reopen the dialog."""
        item = dialog.item
        deadline = dialog.chosen_deadline()
        if item is None:
            action: Callable[[], object] = lambda: rv.add_action_item(  # noqa: E731
                self.incidents,
                self.runbook,
                self.incident_id,
                str(dialog.category.currentData()),
                dialog.text.text(),
                dialog.owner.text(),
                deadline,
            )
            done = "Action item added."
        else:
            changes: dict[str, Any] = {}
            if dialog.owner.text().strip() != item.owner:
                changes["owner"] = dialog.owner.text()
            if deadline != item.deadline:
                changes["deadline"] = deadline
            if dialog.status.currentText() != item.status:
                changes["status"] = dialog.status.currentText()
            if not changes:
                return True
            action = lambda: rv.update_action_item(self.incidents, item.id, **changes)  # noqa: E731
            done = f"Action item #{item.id} updated."
        try:
            action()
        except StratusError as exc:
            dialog.show_error(str(exc))
            dialog.open()
            return False
        self._say(done)
        self.reload()
        return True

    # --- credits -------------------------------------------------------------------------------

    def _choose_accounts(self) -> None:
        dialog = QFileDialog(self, "Import affected accounts", "", "CSV files (*.csv);;All (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.import_accounts(Path(path)))
        dialog.open()

    def import_accounts(self, path: Path) -> bool:
        """Calculate and store credits for the accounts in ``path``; any bad row refuses the
        whole file (every problem listed) and nothing is stored."""
        review = self.review
        if review is None:
            return False
        try:
            ladder = cr.parse_ladder(self.ladder.text(), where="SLA ladder")
            accounts = cr.read_accounts(path)
            credits = cr.compute_incident_credits(
                self.store,
                review.incident,
                accounts,
                ladder,
                self.clock.now(),
                source=path.name,
            )
            cr.record_credits(self.incidents, credits)
        except cr.AccountsInvalid as exc:
            self._credits_said(
                f"✖ Nothing imported: {len(exc.problems)} problem(s) in {path.name}:\n"
                + "\n".join(f"• {p}" for p in exc.problems),
                urgent=True,
            )
            return False
        except StratusError as exc:
            self._credits_said(f"✖ Nothing imported — {exc}", urgent=True)
            return False
        months = " and ".join(r.month_label for r in credits.reports)
        self._credits_said(
            f"Imported {len(accounts)} account(s) from {path.name}; credits for {months} "
            "calculated and stored on the incident."
        )
        self.reload()
        return True

    def _credits_said(self, message: str, *, urgent: bool = False) -> None:
        self.credits_feedback.setText(message)
        self.credits_feedback.setStyleSheet(urgent_style() if urgent else "")
        self.credits_feedback.setVisible(True)

    def _choose_credits_csv(self) -> None:
        label = self.review.incident.label if self.review else "incident"
        dialog = QFileDialog(self, "Export credits", f"{label}-credits.csv", "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_credits(Path(path)))
        dialog.open()

    def export_credits(self, path: Path) -> bool:
        if self.review is None or self.review.credits is None:
            self._credits_said(
                "✖ No credits calculated yet: import the accounts first.", urgent=True
            )
            return False
        try:
            atomic_write_text(path, cr.credits_csv(self.review.credits))
        except (InputError, OSError) as exc:
            self._credits_said(f"✖ Not exported — {exc}", urgent=True)
            return False
        self._credits_said(f"Credits written to {path}")
        return True

    # --- export --------------------------------------------------------------------------------

    def _choose_export(self) -> None:
        label = self.review.incident.label if self.review else "incident"
        dialog = QFileDialog(
            self, "Export incident", f"{label}.html", ";;".join(EXPORT_FILTERS.values())
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(
            lambda path: self.export_to(
                Path(path), _format_of(Path(path), dialog.selectedNameFilter())
            )
        )
        dialog.open()

    def export_to(self, path: Path, fmt: str) -> bool:
        """Write the incident and its review as ``fmt`` (md, html with graphs, json)."""
        from stratus_commander.qt.export_graphs import render_graphs, render_replay

        replay = self.replay
        graphs: GraphRenderer | None = None
        if fmt == "html" and replay is not None:
            # The graphs on screen, drawn again offscreen: no second pass over the samples.
            graphs = lambda doc: render_replay(replay)  # noqa: E731
        elif fmt == "html":
            graphs = render_graphs(self.store_path)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            text = render(self.incidents, self.runbook, self.incident_id, fmt, graphs)
            atomic_write_text(path, text)
        except (StratusError, OSError) as exc:
            self._say(f"⚠ Not exported — {exc}", warn=True)
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._say(f"Exported {fmt.upper()} to {path}")
        return True

    # --- lifetime ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the reader and close the database (also on close)."""
        if self._shut:
            return
        self._shut = True
        self.reader.shutdown()
        self.store.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _span(value: timedelta) -> str:
    """``1 h 03 min``; beyond two days ``30 d 2 h`` (nobody counts 722 hours)."""
    if value < timedelta(days=2):
        return human_duration(value)
    return f"{value.days}\u00a0d {value.seconds // 3600}\u00a0h"


def _ladder_text(ladder: Sequence[Any]) -> str:
    return ",".join(f"{s.below}:{s.credit}" for s in ladder)


def _format_of(path: Path, name_filter: str) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in EXPORT_FILTERS:
        return suffix
    return next((f for f, label in EXPORT_FILTERS.items() if label == name_filter), "html")
