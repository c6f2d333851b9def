"""The library's Insights view: per month of detection, the share of each runbook clock met on
time, LATE and missed; the time to declare, triage, first update and resolve (median and worst);
incidents by impact; the service credits paid (:func:`~stratus_commander.insights.insights`).
Drills are left out unless "Include drills" is ticked.

Every bar and point can be clicked: one incident opens at once, several are listed beside the
charts (Enter or a double click opens one), each through :attr:`InsightsWindow.open_incident` —
the library's own way of opening an incident. The month table below the charts says every figure
in words and takes the keyboard (Enter on a month lists its incidents). Export HTML writes one
page with the charts inline and every figure (:func:`~stratus_commander.insights.insights_html`).

The insights are computed on a worker thread (:class:`~stratus_commander.qt.offthread.OffThread`);
:attr:`InsightsWindow.loaded` says when they are shown.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.errors import InputError
from stratus_commander.fileio import atomic_write_text
from stratus_commander.incident import Incidents
from stratus_commander.insights import (
    MEASURES,
    SUMMARY_COLUMNS,
    VERDICTS,
    Insights,
    insights,
    insights_html,
    summary_rows,
)
from stratus_commander.qt import theme
from stratus_commander.qt.offthread import OffThread
from stratus_commander.qt.panel_kit import accessible, buddy, heading, local
from stratus_commander.qt.review.charts import (
    ClickableBars,
    export_page,
    png_of,
    still_plot,
)
from stratus_commander.qt.review.insights_charts import (
    Series,
    Target,
    credit_bars,
    month_label,
    reset_plot,
    stacked_bars,
    striped,
    swatch,
    time_curves,
)
from stratus_commander.qt.review.widgets import Table, mark_late, mark_urgent
from stratus_commander.runbook import Runbook
from stratus_commander.store import Store, as_location

__all__ = ["LATE_COLUMN", "MISSED_COLUMN", "InsightsWindow"]

LATE_COLUMN, MISSED_COLUMN = SUMMARY_COLUMNS.index("LATE"), SUMMARY_COLUMNS.index("Missed")
_WRAPPED_COLUMNS = {"By impact", "Declare", "Triage", "1st update", "Resolve", "Credits"}


class InsightsWindow(QMainWindow):
    """The insights across incidents, charted per month; ``open_incident(id)`` when one is
    opened from a chart or the list of the incidents behind one."""

    loaded = Signal()
    open_incident = Signal(int)

    def __init__(
        self, store_path: Path | str, runbook: Runbook, clock: Clock, *, drills: bool = False
    ) -> None:
        super().__init__()
        self.store_path = as_location(store_path)
        self.runbook = runbook
        self.clock = clock
        self.data: Insights | None = None
        self.worker = OffThread(self.store_path, readonly=True, name="insights", parent=self)
        self.setWindowTitle("Insights — incidents month by month")
        #: What each chart shows, for reading back: (plot key, series) -> its bars or curve.
        self.bars: dict[tuple[str, str], ClickableBars] = {}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.shown: Target | None = None  # what the list beside the charts holds

        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(heading("Insights across incidents"), 1)
        self.drills_box = accessible(
            QCheckBox("Include &drills"),
            "",
            "Count drills too; they are left out unless ticked",
        )
        self.drills_box.setChecked(drills)
        self.drills_box.toggled.connect(self.reload)
        top.addWidget(self.drills_box)
        self.export_button = accessible(
            QPushButton("&Export HTML…"), "", "Write the charts and every figure as one HTML page"
        )
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._choose_export)
        top.addWidget(self.export_button)
        layout.addLayout(top)
        self.note = QLabel("Counting the incidents…")
        self.note.setObjectName("evidence")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        # Counting starts before the charts are made (the worker reads the file meanwhile); its
        # answer arrives on this thread's event loop, once this constructor has returned.
        self.reload()

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._charts())
        splitter.addWidget(self._behind_panel())
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1080, 330])
        layout.addWidget(splitter, 1)
        self.setCentralWidget(page)
        self.resize(1440, 940)

    # --- the page ------------------------------------------------------------------------------

    def _section(self, layout: QVBoxLayout, text: str) -> QLabel:
        label = heading(text, 12)
        label.setWordWrap(True)
        layout.addWidget(label)
        return label

    def _charts(self) -> QScrollArea:
        content = QWidget()
        layout = QVBoxLayout(content)
        self._section(layout, "Runbook clocks: share met on time, LATE and missed, per month")
        legend = QHBoxLayout()
        self.legend: dict[str, QLabel] = {}
        for verdict, word in (
            ("on_time", "✓ on time"),
            ("late", "LATE: met after the deadline (striped)"),
            ("missed", "▲ missed"),
        ):
            self.legend[verdict] = QLabel()
            legend.addWidget(self.legend[verdict])
            legend.addWidget(QLabel(word))
            legend.addSpacing(16)
        legend.addStretch(1)
        layout.addLayout(legend)
        self.clock_chart = self._chart("Runbook clocks per month", 440)
        self.clock_plots = {
            c.id: still_plot(self.clock_chart, n // 3, n % 3, "%")
            for n, c in enumerate(self.runbook.clocks)
        }
        layout.addWidget(self.clock_chart)
        self._section(
            layout,
            "Time to declare, triage, first update and resolve, per month: "
            "median ● and worst ▲ (minutes; the runbook's deadline dashed)",
        )
        self.time_chart = self._chart("Times per month", 250)
        self.time_plots = {
            mid: still_plot(self.time_chart, 0, n, "min") for n, (mid, *_) in enumerate(MEASURES)
        }
        layout.addWidget(self.time_chart)
        self._section(layout, "Incidents by impact, and the service credits paid, per month")
        self.count_chart = self._chart("Incidents by impact and credits paid", 290)
        # Each legend in a row of its own above its plot: inside, it hides the bars it names.
        self.impact_legend, self.credit_legend = (
            pg.LegendItem(labelTextSize="9pt", colCount=4) for _ in range(2)
        )
        self.count_chart.addItem(self.impact_legend, row=0, col=0)
        self.count_chart.addItem(self.credit_legend, row=0, col=1)
        self.count_chart.ci.layout.setRowFixedHeight(0, 26)
        self.impact_plot = still_plot(self.count_chart, 1, 0, "incidents")
        self.credit_plot = still_plot(self.count_chart, 1, 1, "paid")
        layout.addWidget(self.count_chart)
        self.table = accessible(
            Table(SUMMARY_COLUMNS, fit=True),
            "Month by month",
            "Every figure of the charts in words, a month a row; Enter lists the month's incidents",
        )
        self.table.activated.connect(self._month_activated)
        # The words wrap in the wide columns rather than the table scrolling sideways.
        header = self.table.horizontalHeader()
        for column, name in enumerate(SUMMARY_COLUMNS):
            if name in _WRAPPED_COLUMNS:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(
            buddy(
                "&Month by month (times: median / worst; Enter lists the month's incidents)",
                self.table,
            )
        )
        layout.addWidget(self.table)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        return scroll

    def _chart(self, name: str, height: int) -> pg.GraphicsLayoutWidget:
        chart = pg.GraphicsLayoutWidget()
        chart.setFixedHeight(height)  # the page scrolls; a chart keeps the height it reads at
        # Painted once, with its figures: an empty chart costs as much to paint as a full one.
        chart.setVisible(False)
        chart.setAccessibleName(name)
        chart.setAccessibleDescription(
            "Click a bar or a point to list the incidents behind it; the table below says the "
            "same figures"
        )
        return chart

    def _behind_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.behind = accessible(
            QListWidget(),
            "Incidents behind the figure",
            "The incidents behind the bar, point or month chosen; Enter opens one's review",
        )
        self.behind.setWordWrap(True)
        self.behind.setAlternatingRowColors(True)
        self.behind.itemActivated.connect(self._item_activated)
        layout.addWidget(buddy("&Incidents behind it", self.behind))
        self.behind_title = QLabel("Click a bar or a point (or Enter on a month below).")
        self.behind_title.setWordWrap(True)
        self.behind_title.setObjectName("evidence")
        layout.addWidget(self.behind_title)
        layout.addWidget(self.behind, 1)
        self.open_button = accessible(
            QPushButton("&Open review (read-only)"), "", "Open the chosen incident's review"
        )
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_current)
        layout.addWidget(self.open_button)
        return panel

    # --- reading -------------------------------------------------------------------------------

    def reload(self) -> None:
        runbook, clock, drills = self.runbook, self.clock, self.drills_box.isChecked()
        self.note.setText("Counting the incidents…")

        def read(store: Store) -> Insights:
            return insights(Incidents(store, clock), runbook, drills=drills)

        self.worker.submit(read, self._show, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.note.setText(f"The insights could not be read: {type(error).__name__}: {error}")

    def _show(self, data: Insights) -> None:
        if data.drills != self.drills_box.isChecked():
            return  # the box was ticked again meanwhile: its own reading follows
        self.data = data
        n = sum(len(m.incidents) for m in data.months)
        left_out = "drills included" if data.drills else "drills left out"
        span = ""
        if data.months:
            first, last = data.months[0].month, data.months[-1].month
            span = month_label(first) + (f" – {month_label(last)}" if last != first else "")
        self.note.setText(
            f"{n} incident(s) detected {span} (months in UTC), {left_out}. Click a bar or a "
            "point for the incidents behind it."
            if n
            else f"No incidents yet ({left_out})."
        )
        rows = summary_rows(data)
        for m, cells in zip(data.months, self.table.fill(rows), strict=True):
            cells[0].setText(month_label(m.month))
            if m.count("late")[0]:
                mark_late([cells[LATE_COLUMN]])
            if m.count("missed")[0]:
                mark_urgent([cells[MISSED_COLUMN]])
        self.table.setMinimumHeight(self.table.maximumHeight())  # every month: the page scrolls
        self.export_button.setEnabled(True)
        self._draw(data)
        for chart in (self.clock_chart, self.time_chart, self.count_chart):
            chart.setVisible(True)
        self.loaded.emit()

    # --- the charts ----------------------------------------------------------------------------

    def _draw(self, data: Insights) -> None:
        t = theme.current()
        for chart in (self.clock_chart, self.time_chart, self.count_chart):
            chart.setBackground(t.plot_bg)
        self.bars.clear()
        self.curves.clear()
        fills = {
            "on_time": QBrush(QColor(t.ok)),
            "late": striped(t.late, t.plot_bg),
            "missed": QBrush(QColor(t.urgent_bg)),
        }
        for verdict, square in self.legend.items():
            square.setPixmap(swatch(fills[verdict]))
        months = data.months
        for c in self.runbook.clocks:
            plot = reset_plot(self.clock_plots[c.id], c.label, months)
            series = [
                Series(
                    verdict,
                    word,
                    fills[verdict],
                    [
                        (100 * (m.share(c.id, verdict) or 0), m.clocks[c.id].get(verdict, ()))
                        for m in months
                    ],
                )
                for verdict, word in VERDICTS
            ]
            drawn = stacked_bars(plot, months, series, c.label, self.pick)
            self.bars.update({(f"clock:{c.id}", verdict): b for verdict, b in drawn.items()})
            plot.setYRange(0, 100, padding=0.02)
        for mid, title, _, _ in MEASURES:
            curves = time_curves(self.time_plots[mid], mid, title, months, self.runbook, self.pick)
            self.curves.update({(mid, kind): curve for kind, curve in curves.items()})
        for legend in (self.impact_legend, self.credit_legend):
            legend.clear()
            legend.setLabelTextColor(t.plot_fg)
        plot = reset_plot(self.impact_plot, "Incidents by impact", months)
        impacts = [
            Series(
                impact,
                impact,
                QBrush(QColor(colour)),
                [(len(ids), ids) for m in months for ids in [m.by_impact.get(impact, ())]],
            )
            for impact, colour in (
                ("Critical", t.urgent_bg),
                ("Major", t.warn_bg),
                ("Minor", t.pending),
            )
        ]
        drawn = stacked_bars(plot, months, impacts, "incidents", self.pick, self.impact_legend)
        self.bars.update({("impact", impact): b for impact, b in drawn.items()})
        drawn = credit_bars(self.credit_plot, months, self.credit_legend, self.pick)
        self.bars.update({("credits", currency): b for currency, b in drawn.items()})

    # --- the incidents behind a figure ---------------------------------------------------------

    def pick(self, target: Target) -> None:
        """The incidents behind a bar, point or month: one opens at once; several are listed
        (the first chosen) for the commander to open."""
        self.shown = target
        records = self.data.records if self.data is not None else {}
        self.behind.clear()
        for iid in target.ids:
            i = records.get(iid)
            text = (
                f"{i.label} · {i.impact}{' · DRILL' if i.drill else ''} · {i.title}\n"
                f"    detected {local(i.detected_at, date=True, utc=False)}"
                if i is not None
                else f"INC-{iid}"
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, iid)
            self.behind.addItem(item)
        count = len(target.ids)
        self.behind_title.setText(f"{target.title} — {count} incident(s)")
        self.open_button.setEnabled(bool(count))
        if count:
            self.behind.setCurrentRow(0)
        if count == 1:
            self.open_incident.emit(target.ids[0])
        elif count:
            self.behind.setFocus(Qt.FocusReason.OtherFocusReason)

    def _month_activated(self, index: QModelIndex) -> None:
        if self.data is not None and 0 <= index.row() < len(self.data.months):
            m = self.data.months[index.row()]
            self.pick(Target(f"{month_label(m.month)} · every incident", m.incidents))

    def _item_activated(self, item: QListWidgetItem) -> None:
        self.open_incident.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _open_current(self) -> None:
        item = self.behind.currentItem()
        if item is not None:
            self._item_activated(item)

    # --- export --------------------------------------------------------------------------------

    def charts(self) -> list[tuple[str, bytes]]:
        """Each chart as drawn now: ``[(title, png)]``."""
        return [
            ("Runbook clocks: share met on time, LATE and missed", png_of(self.clock_chart)),
            (
                "Time to declare, triage, first update and resolve (minutes)",
                png_of(self.time_chart),
            ),
            ("Incidents by impact, and the credits paid", png_of(self.count_chart)),
        ]

    def export_html(self, path: Path) -> None:
        """Write the page (charts inline); refused like every file we write (``InputError``)."""
        if self.data is None:
            raise InputError("the insights are still being counted", where=str(path))
        atomic_write_text(path, insights_html(self.data, self.runbook, self.charts()))

    def _choose_export(self) -> None:
        export_page(self, "Export insights", "insights.html", self.export_html, self.note)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.worker.shutdown()
        super().closeEvent(event)
