"""The library's Drills view: every drill with its score, and per runbook clock a chart of the
time it took to meet it across drills (with its deadline), so a team sees itself getting faster.
Exported as one HTML page with the chart inline.

The debriefs are built on a worker thread (:class:`~stratus_commander.qt.offthread.OffThread`);
:attr:`DrillsWindow.loaded` says when they are shown.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.debrief import SCORED_CLOCKS
from stratus_commander.debrief.progress import DrillScore, drill_history, progress_html
from stratus_commander.fileio import atomic_write_text
from stratus_commander.incident import Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.offthread import OffThread
from stratus_commander.qt.panel_kit import heading, local
from stratus_commander.qt.review.charts import (
    StillPlot,
    export_page,
    png_of,
    still_plot,
    style_plot,
)
from stratus_commander.qt.review.widgets import Table, mark_late, mark_urgent
from stratus_commander.runbook import Runbook
from stratus_commander.store import Store, as_location
from stratus_commander.timefmt import human_duration

__all__ = ["DrillsWindow"]

_COLUMNS = ["Drill", "Declared", "Scenario", "Score", *(c.upper() for c in SCORED_CLOCKS)]


class DrillsWindow(QMainWindow):
    """Every drill in the database, scored, with the time-to-meet charts."""

    loaded = Signal()

    def __init__(self, store_path: Path | str, runbook: Runbook, clock: Clock) -> None:
        super().__init__()
        self.store_path = as_location(store_path)
        self.runbook = runbook
        self.clock = clock
        self.history: list[DrillScore] = []
        self.worker = OffThread(self.store_path, readonly=True, name="drills", parent=self)
        self.setWindowTitle("Drills — progress across rehearsals")

        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(heading("Drills"), 1)
        self.export_button = QPushButton("&Export HTML…")
        self.export_button.clicked.connect(self._choose_export)
        top.addWidget(self.export_button)
        layout.addLayout(top)
        self.note = QLabel("Building the debriefs…")
        self.note.setObjectName("evidence")
        layout.addWidget(self.note)
        self.chart = pg.GraphicsLayoutWidget()
        self.chart.setMinimumHeight(320)
        self.plots: dict[str, StillPlot] = {}
        for i, clock_id in enumerate(SCORED_CLOCKS):
            self.plots[clock_id] = still_plot(self.chart, i // 2, i % 2, "minutes")
        layout.addWidget(self.chart, 1)
        self.table = Table(_COLUMNS, stretch=2, fit=True)
        layout.addWidget(self.table)
        self.setCentralWidget(page)
        self.resize(1200, 860)
        self.reload()

    def reload(self) -> None:
        runbook, clock = self.runbook, self.clock

        def read(store: Store) -> list[DrillScore]:
            return drill_history(Incidents(store, clock), runbook)

        self.worker.submit(read, self._show, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.note.setText(f"The drills could not be read: {type(error).__name__}: {error}")

    def _show(self, history: list[DrillScore]) -> None:
        self.history = history
        n = len(history)
        self.note.setText(
            f"{n} drill(s), oldest first. Each chart: minutes to meet the clock per drill; "
            "the dashed line is its deadline, a gap is a drill that never met it."
            if n
            else "No drills yet: `stratus-commander drill` starts one."
        )
        rows = [
            [
                d.label,
                local(d.declared_at, date=True),
                d.scenario,
                f"{d.score}/100",
                *(
                    f"{human_duration(d.to_meet[c])} ({d.outcomes[c]})"
                    if d.to_meet.get(c) is not None
                    else d.outcomes.get(c, "—")
                    for c in SCORED_CLOCKS
                ),
            ]
            for d in history
        ]
        for d, cells in zip(history, self.table.fill(rows), strict=True):
            for j, c in enumerate(SCORED_CLOCKS):
                if d.outcomes.get(c) == "late":
                    mark_late([cells[4 + j]])
                elif d.outcomes.get(c) == "missed":
                    mark_urgent([cells[4 + j]])
        self._draw()
        self.loaded.emit()

    def _draw(self) -> None:
        t = theme.current()
        self.chart.setBackground(t.plot_bg)
        xs = list(range(1, len(self.history) + 1))
        for clock_id, plot in self.plots.items():
            plot.clear()
            style_plot(plot, f"{clock_id.upper()}: time to meet")
            plot.getAxis("bottom").setTicks(
                [[(x, d.label) for x, d in zip(xs, self.history, strict=True)]]
            )
            minutes = [
                (m.total_seconds() / 60 if (m := d.to_meet.get(clock_id)) is not None else None)
                for d in self.history
            ]
            points = [(x, y) for x, y in zip(xs, minutes, strict=True) if y is not None]
            if points:
                plot.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    pen=pg.mkPen(t.accent, width=2),
                    symbol="o",
                    symbolBrush=t.accent,
                    symbolPen=t.accent,
                )
            allowed = next(
                (a for d in self.history if (a := d.allowed.get(clock_id)) is not None), None
            )
            if allowed is not None:
                line = pg.InfiniteLine(
                    allowed.total_seconds() / 60,
                    angle=0,
                    pen=pg.mkPen(t.urgent_bg, width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
                )
                plot.addItem(line)
            plot.setXRange(0.5, max(len(xs), 1) + 0.5, padding=0)
            tops = [p[1] for p in points] + [allowed.total_seconds() / 60 if allowed else 1.0]
            plot.setYRange(0, max(tops) * 1.15, padding=0)

    # --- export --------------------------------------------------------------------------------

    def export_html(self, path: Path) -> None:
        """Write the page (chart inline); refused like every file we write (``InputError``)."""
        page = progress_html(self.history, lambda at: local(at, date=True), png_of(self.chart))
        atomic_write_text(path, page)

    def _choose_export(self) -> None:
        export_page(self, "Export drills", "drills.html", self.export_html, self.note)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.worker.shutdown()
        super().closeEvent(event)
