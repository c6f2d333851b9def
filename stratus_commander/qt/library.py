"""The incident library: every saved incident in a sortable, filtered table with full-text search
(:mod:`~stratus_commander.qt.library_table`); any one opens read-only in a
:class:`~stratus_commander.qt.review.view.ReviewView` of its own window.

Search goes through :meth:`Incidents.search` (whole words in titles, notes, the timeline and the
close and review records: RCA, fix, lessons, action items). The window keeps its own connection
to the database file, so it works on a copied file with no config and no network.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.library_table import LibraryTable
from stratus_commander.qt.panel_kit import feedback_label, heading
from stratus_commander.qt.review.drills_view import DrillsWindow
from stratus_commander.qt.review.insights_view import InsightsWindow
from stratus_commander.qt.review.view import ReviewView
from stratus_commander.runbook import Runbook
from stratus_commander.store import as_location, open_store

__all__ = ["LibraryWindow", "ReviewWindow"]


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
    """The table of saved incidents (:class:`LibraryTable`); ``open_incident(id)`` when one is
    opened (its review, read-only)."""

    open_incident = Signal(int)

    def __init__(
        self,
        store_path: Path | str,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.store_path = as_location(store_path)  # a file, or a postgresql:// URL
        self.runbook = runbook
        self.clock = clock
        self.store = open_store(self.store_path)
        self.incidents = Incidents(self.store, clock)
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
        self.library = LibraryTable(self.incidents, runbook, clock, settings, page)
        self.library.open_requested.connect(self.open_review)
        self.search, self.count, self.table = (
            self.library.search,
            self.library.count,
            self.library.view,
        )
        layout.addWidget(self.library, 1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open review (read-only)")
        self.open_button.clicked.connect(self.library.open_selected)
        buttons.addWidget(self.open_button)
        self.drills_button = QPushButton("D&rills…")  # every drill scored, and the progress
        self.drills_button.clicked.connect(self.open_drills)
        buttons.addWidget(self.drills_button)
        # Clocks, times, impact and credits month by month (charts; a bar opens its incidents).
        self.insights_button = QPushButton("&Insights…")
        self.insights_button.clicked.connect(self.open_insights)
        buttons.addWidget(self.insights_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.library.proxy.layoutChanged.connect(self._enable)
        self.library.proxy.modelReset.connect(self._enable)
        self.library.proxy.rowsInserted.connect(self._enable)
        self.library.proxy.rowsRemoved.connect(self._enable)
        self.error = feedback_label()
        self.error.setVisible(False)
        layout.addWidget(self.error)
        self.setCentralWidget(page)
        # Ctrl+F: the search (the cockpit's library has it in the Incident menu instead).
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        self.resize(1200, 640)
        self._enable()

    def refresh(self) -> None:
        self.library.refresh()

    def _enable(self) -> None:
        self.open_button.setEnabled(self.library.proxy.rowCount() > 0)

    def open_drills(self) -> DrillsWindow:
        """The Drills view: every drill's score and the time-to-meet charts."""
        self.drills_window = DrillsWindow(self.store_path, self.runbook, self.clock)
        self.drills_window.show()
        return self.drills_window

    def open_insights(self) -> InsightsWindow:
        """The Insights view; an incident opened from it opens as one opened here does."""
        self.insights_window = InsightsWindow(self.store_path, self.runbook, self.clock)
        self.insights_window.open_incident.connect(self.open_review)
        self.insights_window.show()
        return self.insights_window

    def open_selected(self) -> ReviewWindow | None:
        incident_id = self.library.selected_id()
        return self.open_review(incident_id) if incident_id is not None else None

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
