"""The incident library: every saved incident, newest first, with full-text search; any one opens
read-only in a :class:`~stratus_commander.qt.review.view.ReviewView` of its own window.

Search goes through :meth:`Incidents.search` (whole words in titles, notes, the timeline and the
close and review records: RCA, fix, lessons, action items). The window keeps its own connection
to the database file, so it works on a copied file with no config and no network.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incident, Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import feedback_label, heading, local
from stratus_commander.qt.review.drills_view import DrillsWindow
from stratus_commander.qt.review.view import ReviewView
from stratus_commander.qt.review.widgets import Table
from stratus_commander.runbook import Runbook
from stratus_commander.store import as_location, open_store

__all__ = ["LibraryWindow", "ReviewWindow"]

COLUMNS = ["Incident", "Declared", "Status", "Impact", "Drill", "Title"]


class ReviewWindow(QMainWindow):
    """One incident's review in a window of its own (read-only when opened from the library)."""

    def __init__(
        self,
        store_path: Path | str,
        runbook: Runbook,
        clock: Clock,
        incident_id: int,
        *,
        read_only: bool = True,
    ) -> None:
        super().__init__()
        self.view = ReviewView(store_path, runbook, clock, incident_id, read_only=read_only)
        self.setCentralWidget(self.view)
        suffix = " (read-only)" if read_only else ""
        self.setWindowTitle(f"INC-{incident_id} — post-incident review{suffix}")
        self.resize(1300, 880)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.view.shutdown()
        super().closeEvent(event)


class LibraryWindow(QMainWindow):
    """The list of saved incidents; ``open_incident(id)`` when one is opened."""

    open_incident = Signal(int)

    def __init__(
        self,
        store_path: Path | str,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store_path = as_location(store_path)  # a file, or a postgresql:// URL
        self.runbook = runbook
        self.clock = clock
        self.store = open_store(self.store_path)
        self.incidents = Incidents(self.store, clock)
        self.shown: list[Incident] = []
        self.reviews: dict[int, ReviewWindow] = {}
        name = self.store_path.name if isinstance(self.store_path, Path) else self.store.location
        self.setWindowTitle(f"Incident library — {name}")

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Incident library"))
        source = QLabel(f"From {self.store_path}")
        source.setObjectName("evidence")
        source.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(source)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Search titles, notes, timeline and RCA (whole words, e.g. pgbouncer)  —  Ctrl+F"
        )
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.search.returnPressed.connect(self._focus_table)
        row.addWidget(self.search, 1)
        layout.addLayout(row)
        self.count = QLabel()
        layout.addWidget(self.count)
        self.table = Table(COLUMNS, stretch=len(COLUMNS) - 1)
        self.table.itemActivated.connect(lambda _: self.open_selected())
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open review (read-only)")
        self.open_button.clicked.connect(self.open_selected)
        buttons.addWidget(self.open_button)
        self.drills_button = QPushButton("D&rills…")  # every drill scored, and the progress
        self.drills_button.clicked.connect(self.open_drills)
        buttons.addWidget(self.drills_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.error = feedback_label()
        self.error.setVisible(False)
        layout.addWidget(self.error)
        self.setCentralWidget(page)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        self.resize(1100, 640)
        self.refresh()

    def refresh(self) -> None:
        text = self.search.text().strip()
        self.shown = self.incidents.search(text) if text else self.incidents.list()
        t = theme.current()
        cells = self.table.fill(
            [
                [
                    i.label,
                    local(i.declared_at, date=True),
                    i.status.upper() if i.is_open else i.status,
                    i.impact,
                    "DRILL" if i.drill else "",
                    i.title,
                ]
                for i in self.shown
            ]
        )
        for incident, row in zip(self.shown, cells, strict=True):
            if incident.drill:
                row[4].setBackground(t.color("drill_bg"))
                row[4].setForeground(t.color("drill_fg"))
            if incident.is_open:
                font = row[2].font()
                font.setBold(True)
                row[2].setFont(font)
        if text:
            n = len(self.shown)
            self.count.setText(
                (f"1 incident matches “{text}”" if n == 1 else f"{n} incidents match “{text}”")
                if n
                else f"No incident matches “{text}” (the search finds whole words)."
            )
        else:
            self.count.setText(f"{len(self.shown)} saved incident(s), newest first.")
        if self.shown:
            self.table.selectRow(0)
        self.open_button.setEnabled(bool(self.shown))

    def _focus_table(self) -> None:
        self.table.setFocus()

    def selected(self) -> Incident | None:
        row = self.table.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def open_drills(self) -> DrillsWindow:
        """The Drills view: every drill's score and the time-to-meet charts."""
        self.drills_window = DrillsWindow(self.store_path, self.runbook, self.clock)
        self.drills_window.show()
        return self.drills_window

    def open_selected(self) -> ReviewWindow | None:
        incident = self.selected()
        return self.open_review(incident.id) if incident else None

    def open_review(self, incident_id: int) -> ReviewWindow | None:
        """Show the incident's review read-only (the same window again if it is open)."""
        window = self.reviews.get(incident_id)
        if window is None or not window.isVisible():
            try:
                window = ReviewWindow(self.store_path, self.runbook, self.clock, incident_id)
            except StratusError as exc:
                self.error.setText(f"✖ Cannot open INC-{incident_id}: {exc}")
                theme.set_state(self.error, "failed")
                self.error.setVisible(True)
                return None
            self.reviews[incident_id] = window
        window.show()
        window.raise_()
        self.open_incident.emit(incident_id)
        return window

    def closeEvent(self, event: QCloseEvent) -> None:
        for window in self.reviews.values():
            window.close()
        self.reviews.clear()
        self.store.close()
        super().closeEvent(event)
