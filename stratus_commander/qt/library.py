"""The incident library: every saved incident in a sortable, filtered table with full-text search
(:mod:`~stratus_commander.qt.library_table`); any one opens read-only in a
:class:`~stratus_commander.qt.review.view.ReviewView` of its own window.

Search goes through :meth:`Incidents.search` (whole words in titles, notes, the timeline and the
close and review records: RCA, fix, lessons, action items). The window keeps its own connection
to the database file, so it works on a copied file with no config and no network.

**Open team database…** (Ctrl+Shift+O, :mod:`~stratus_commander.qt.team_database`) switches the
window to a team's PostgreSQL database once it has connected (off the UI thread); a refusal or an
unreachable server is said in the dialog and the library stays on what it showed. With
:class:`TeamCockpits` (the cockpit's), an incident opened from a team database opens in a team
cockpit that follows it live (its connection made off the UI thread too), not as a read-only
review. :class:`TeamLibrary` is that window as the cockpit opens it from its Incident menu.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

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
from stratus_commander.qt.offthread import OffThread
from stratus_commander.qt.panel_kit import accessible, feedback_label, heading
from stratus_commander.qt.review.drills_view import DrillsWindow
from stratus_commander.qt.review.insights_view import InsightsWindow
from stratus_commander.qt.review.view import ReviewView
from stratus_commander.qt.team_database import TeamDatabaseDialog
from stratus_commander.runbook import Runbook
from stratus_commander.store import Location, Store, as_location, open_store

__all__ = ["LibraryWindow", "ReviewWindow", "TeamCockpits", "TeamLibrary"]

#: The library's key for Open team database… (the cockpit's Incident menu has the same).
OPEN_TEAM_KEYS = "Ctrl+Shift+O"


class TeamCockpits(Protocol):
    """Where an incident of a team database opens: a team cockpit following it live."""

    def show_team_incident(self, url: str, incident_id: int) -> bool:
        """A team cockpit already open on ``url`` shows the incident, in front: True."""
        ...

    def open_team_cockpit(self, url: str, incident_id: int, store: Store) -> None:
        """A team cockpit on ``url`` showing the incident, over ``store`` (opened for it, off
        the UI thread; the cockpit closes it). Raises :class:`StratusError` if it cannot."""
        ...


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
    opened (its review, read-only; from a team database with ``team``: its team cockpit).
    ``store``: the database already open at ``store_path`` (else it is opened here)."""

    open_incident = Signal(int)

    def __init__(
        self,
        store_path: Path | str,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
        *,
        store: Store | None = None,
        team: TeamCockpits | None = None,
    ) -> None:
        super().__init__(parent)
        self.store_path: Location = as_location(store_path)  # a file, or a postgresql:// URL
        self.runbook = runbook
        self.clock = clock
        self.settings = settings
        self.team = team
        self.store = store if store is not None else open_store(self.store_path)
        self.incidents = Incidents(self.store, clock)
        self.reviews: dict[int, ReviewWindow] = {}
        self.team_dialog: TeamDatabaseDialog | None = None
        self._connecting: OffThread | None = None  # to a team cockpit's database

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Incident library"))
        self.source = QLabel()
        self.source.setObjectName("evidence")
        self.source.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.source)
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
        self.team_button = accessible(
            QPushButton(f"Open &team database… ({OPEN_TEAM_KEYS})"),
            "Open team database",
            "List the incidents of a team's PostgreSQL database (a postgresql:// URL)",
        )
        self.team_button.clicked.connect(self.open_team_database)
        buttons.addWidget(self.team_button)
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
        QShortcut(QKeySequence(OPEN_TEAM_KEYS), self, self.open_team_database)
        self.resize(1200, 640)
        self._show_source()
        self._enable()

    @property
    def on_team(self) -> bool:
        """Showing a team database (a ``postgresql://`` URL)."""
        return isinstance(self.store_path, str)

    def _show_source(self) -> None:
        name = self.store_path.name if isinstance(self.store_path, Path) else self.store.location
        self.setWindowTitle(f"Incident library — {name}")
        if self.on_team and self.team is not None:
            self.source.setText(
                f"From the team database {self.store.location} — an incident opens in the team "
                "cockpit, live"
            )
            self.open_button.setText("&Open in the team cockpit")
        else:
            self.source.setText(f"From {self.store.location if self.on_team else self.store_path}")
            self.open_button.setText("&Open review (read-only)")

    def refresh(self) -> None:
        self.library.refresh()

    def _enable(self) -> None:
        self.open_button.setEnabled(self.library.proxy.rowCount() > 0)

    def _say(self, text: str, state: str) -> None:
        self.error.setText(text)
        theme.set_state(self.error, state)
        self.error.setVisible(bool(text))

    # --- the database shown -----------------------------------------------------------------

    def open_team_database(self) -> TeamDatabaseDialog:
        """Ask for a team database's URL; once it has connected, show its incidents."""
        self.team_dialog = TeamDatabaseDialog.ask(
            self.team_dialog, self.settings, self, self.show_database
        )
        return self.team_dialog

    def show_database(self, location: Path | str, store: Store) -> None:
        """Show the incidents of ``store`` (open at ``location``) instead; the one shown before
        is closed (its review windows keep their own connections)."""
        old = self.store
        self.store_path = as_location(location)
        self.store = store
        self.incidents = Incidents(store, self.clock)
        self.library.set_incidents(self.incidents)
        old.close()
        self._say("", "")
        self._show_source()
        self._enable()

    # --- opening ------------------------------------------------------------------------------

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
        """Show the incident's review read-only (the same window again if it is open); from a
        team database with team cockpits, open it in its team cockpit instead."""
        if self.on_team and self.team is not None:
            self.open_in_team_cockpit(incident_id)
            return None
        window = self.reviews.get(incident_id)
        if window is None or not window.isVisible():
            try:
                window = ReviewWindow(self.store_path, self.runbook, self.clock, incident_id)
            except StratusError as exc:
                self._say(f"✖ Cannot open INC-{incident_id}: {exc}", "failed")
                return None
            self.reviews[incident_id] = window
        window.show()
        window.raise_()
        self.open_incident.emit(incident_id)
        return window

    def open_in_team_cockpit(self, incident_id: int) -> None:
        """The incident in the team cockpit on this database: the open one, else a new one
        once its connection is made (off the UI thread; a failure is said here)."""
        url, team = str(self.store_path), self.team
        if team is None or self._connecting is not None:
            return
        if team.show_team_incident(url, incident_id):
            self.open_incident.emit(incident_id)
            return
        self._say(f"Opening INC-{incident_id} in a team cockpit: connecting to {url}…", "")
        worker = self._connecting = OffThread(url, readonly=False, workers=1, name="team-cockpit")

        def connected(store: Store) -> None:
            self._stop_connecting()
            try:
                team.open_team_cockpit(url, incident_id, store)
            except StratusError as exc:
                self._say(f"✖ Cannot open INC-{incident_id} in a team cockpit: {exc}", "failed")
                return
            self._say("", "")
            self.open_incident.emit(incident_id)

        def failed(error: BaseException) -> None:
            self._stop_connecting()
            self._say(f"✖ Cannot open INC-{incident_id} in a team cockpit: {error}", "failed")

        worker.call(lambda: open_store(url), connected, failed, dropped=lambda s: s.close())

    def _stop_connecting(self) -> None:
        if self._connecting is not None:
            self._connecting.shutdown(wait=False)
            self._connecting = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_connecting()
        for window in self.reviews.values():
            window.close()
        self.reviews.clear()
        self.store.close()
        super().closeEvent(event)


class TeamLibrary:
    """Incident ▸ Open team database… in the cockpit: the dialog, then a library window of the
    team database's incidents (one at a time; again: a new URL), whose incidents open in
    ``team``'s cockpits."""

    def __init__(
        self,
        parent: QWidget,
        runbook: Runbook,
        clock: Clock,
        settings: QSettings | None,
        team: TeamCockpits | None,
    ) -> None:
        self.parent = parent
        self.runbook = runbook
        self.clock = clock
        self.settings = settings
        self.team = team
        self.dialog: TeamDatabaseDialog | None = None
        self.window: LibraryWindow | None = None

    def ask(self) -> TeamDatabaseDialog:
        """The dialog (the last URL offered); the library window once it has connected."""
        self.dialog = TeamDatabaseDialog.ask(self.dialog, self.settings, self.parent, self._opened)
        return self.dialog

    def _opened(self, url: str, store: Store) -> None:
        if self.window is not None and self.window.isVisible():
            self.window.show_database(url, store)
        else:
            self.window = LibraryWindow(
                url, self.runbook, self.clock, settings=self.settings, store=store, team=self.team
            )
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        self.window.table.setFocus()

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window = None
