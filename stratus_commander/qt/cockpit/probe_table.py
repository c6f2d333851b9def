"""One triage group's probes as a table: a row each, in config order, with the state by shape
and word, latency, detail and the time of the last flip."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from stratus_commander.probes.base import ProbeResult
from stratus_commander.qt.cockpit import shapes

__all__ = ["ProbeTable", "state_word"]

MAX_PROBE_COLUMN = 150  # px; longer probe names elide (the tooltip has them whole)
_COLUMNS = ("State", "Probe", "Latency", "Detail", "Last flip")


def _clock_time(dt: datetime) -> str:
    return dt.astimezone().strftime("%H:%M:%S")


def state_word(outcome: str | None) -> str:
    return shapes.OUTCOME_SHAPE.get(outcome, shapes.OUTCOME_SHAPE[None])[1]


class ProbeTable(QTableWidget):
    """One group's probes, a row each, in config order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(_COLUMNS), parent)
        self.setHorizontalHeaderLabels(_COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # detail elides
        # Fixed widths, measured when a row is added: ResizeToContents would re-measure every
        # row on every latency update (hundreds a second with many probes).
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        metrics = self.fontMetrics()
        for col, sample in ((0, "DEGRADED"), (2, "10000 ms"), (4, "00:00:00")):
            text = max(sample, _COLUMNS[col], key=metrics.horizontalAdvance)
            self.setColumnWidth(col, metrics.horizontalAdvance(text) + (44 if col == 0 else 24))
        self.rows: dict[str, list[QTableWidgetItem]] = {}  # probe -> its row's cells

    def cells(self, probe: str) -> list[QTableWidgetItem]:
        cells = self.rows.get(probe)
        if cells is None:
            row = self.rowCount()
            self.insertRow(row)
            cells = [QTableWidgetItem("") for _ in _COLUMNS]
            for col, cell in enumerate(cells):
                self.setItem(row, col, cell)
            cells[1].setText(probe)
            cells[1].setToolTip(probe)
            self.rows[probe] = cells
            self.resizeColumnToContents(1)
            self.setColumnWidth(1, min(self.columnWidth(1), MAX_PROBE_COLUMN))  # detail needs room
            self._fit()
        return cells

    def show_state(self, probe: str, outcome: str | None, since: datetime | None) -> None:
        cells = self.cells(probe)
        cells[0].setText(state_word(outcome))
        cells[0].setIcon(shapes.outcome_icon(outcome))
        font = cells[0].font()
        font.setBold(outcome in ("down", "degraded"))
        cells[0].setFont(font)
        cells[4].setText(_clock_time(since) if since else "")

    def show_waiting(self, probe: str) -> None:
        """A probe that has not reported yet."""
        cells = self.cells(probe)
        cells[0].setText("WAITING")
        cells[0].setIcon(shapes.outcome_icon(None))

    def show_result(self, result: ProbeResult) -> None:
        cells = self.cells(result.probe)
        latency = "—" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"
        _set_item(cells[2], latency)
        detail = " ".join(result.detail.split())
        if cells[3].text() != detail:
            cells[3].setText(detail)
            cells[3].setToolTip(detail)

    def state_text(self, probe: str) -> str:
        cells = self.rows.get(probe)
        return cells[0].text() if cells is not None else ""

    def _fit(self) -> None:
        height = self.horizontalHeader().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height)


def _set_item(item: QTableWidgetItem, text: str) -> None:
    if item.text() != text:
        item.setText(text)
