"""The windows and dialogs the cockpit opens beside itself: About, hand over command, the close
steps, the review desk and Open team database…. Each opens with ``open()``, never ``exec()``: a
nested event loop would stall the probes' loop. Mixed into :class:`~.window.Cockpit`, whose state
it reads (the attributes named below).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QMainWindow, QWidget

from stratus_commander.clock import Clock
from stratus_commander.incident import Incident, Incidents
from stratus_commander.qt.cockpit.notify import BannerArea
from stratus_commander.qt.cockpit.team_status import unless_away
from stratus_commander.runbook import Runbook
from stratus_commander.store import Location

if TYPE_CHECKING:
    from stratus_commander.qt.library import TeamCockpits, TeamLibrary

__all__ = ["SideWindows"]


class SideWindows:
    """What the cockpit opens beside itself (see the module doc)."""

    # The cockpit's, read here.
    incident: Incident | None
    incidents: Incidents
    runbook: Runbook
    clock: Clock
    db_path: Location | None
    settings: QSettings | None
    banners: BannerArea
    #: where a team database's incident opens (the app's team cockpits; None: read-only review)
    team_cockpits: TeamCockpits | None = None
    team_library: TeamLibrary | None = None  # Open team database…, once asked for
    review_window: QMainWindow | None = None
    about: QDialog | None = None

    def set_incident(self, incident: Incident | None, *, restore: bool = False) -> None: ...

    def _parent(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def show_about(self) -> None:
        from stratus_commander.logs import log_path
        from stratus_commander.qt.cockpit.about_dialog import AboutDialog

        self.about = AboutDialog(self.db_path, log_path(), self._parent())
        self.about.open()  # not exec(): a nested event loop would stall the probes' loop

    def open_team_database(self) -> None:
        """Incident ▸ Open team database… (Ctrl+Shift+O): its incidents in a library window."""
        from stratus_commander.qt.library import TeamLibrary

        if self.team_library is None:
            self.team_library = TeamLibrary(
                self._parent(), self.runbook, self.clock, self.settings, self.team_cockpits
            )
        self.team_library.ask()

    def close_incident(self) -> None:
        """The runbook's close steps for the incident on screen (refused until it is resolved)."""
        if self.incident is None:
            return
        from stratus_commander.qt.review.close_dialog import CloseDialog

        incident_id = self.incident.id
        dialog = unless_away(
            self.banners,
            "Closing",
            lambda: CloseDialog(
                self.incidents, self.runbook, self.clock, incident_id, self._parent()
            ),
        )
        if dialog is None:
            return
        dialog.closed.connect(lambda _: self.set_incident(self.incidents.get(incident_id)))
        dialog.open()  # not exec(): a nested event loop would stall the probes' loop

    def hand_over(self) -> None:
        """Hand command of the incident on screen to someone else (Ctrl+Shift+H): one event."""
        if self.incident is None:
            return
        from stratus_commander.qt.cockpit.command import HandOverDialog

        dialog = HandOverDialog(self.incidents, self.incident.id, self._parent())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # not exec(): a nested event loop would stall the probes' loop

    def open_review(self) -> None:
        """The post-incident review of the incident on screen, in a window of its own."""
        if self.incident is None or self.db_path is None:
            return
        from stratus_commander.qt.library import ReviewWindow

        if self.review_window is not None:
            self.review_window.close()  # one review desk at a time: stop the one before
        db_path, incident_id = self.db_path, self.incident.id
        self.review_window = unless_away(
            self.banners,
            "The post-incident review",
            lambda: ReviewWindow(db_path, self.runbook, self.clock, incident_id, read_only=False),
        )
        if self.review_window is None:
            return
        self.review_window.show()
        self.review_window.raise_()
        self.review_window.activateWindow()
