"""Who is in command: the "Hand over command" dialog (Ctrl+Shift+H) and the banner that tells the
receiving cockpit "You are the incident commander".

Both read and write through ``incident/roles.py`` (the CLI's ``incidents handover`` is the same
call): one ``role_assigned`` event, signed by the person handing over.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.errors import StratusError
from stratus_commander.incident import Incidents
from stratus_commander.incident.comms import format_time
from stratus_commander.incident.roles import ROLE_KIND, hand_over, holders
from stratus_commander.qt import theme
from stratus_commander.qt.cockpit.notify import BannerArea
from stratus_commander.timeline import Event

__all__ = ["BANNER_KEY", "HandOverDialog", "show_command_banner"]

BANNER_KEY = "command"


class HandOverDialog(QDialog):
    """Name the new incident commander; Enter hands over (one event)."""

    handed = Signal(object)  # the role_assigned event

    def __init__(self, incidents: Incidents, incident_id: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.incidents = incidents
        self.incident_id = incident_id
        self.setWindowTitle("Hand over command")
        held = holders(incidents.events(incident_id))
        now = held.get("commander", "nobody")
        intro = QLabel(
            f"INC-{incident_id}: command is with {now}. Who takes over?"
            + (f" (the deputy is {held['deputy']})" if "deputy" in held else "")
        )
        intro.setWordWrap(True)
        self.person = QLineEdit(held.get("deputy", ""))
        self.person.setPlaceholderText("their name, as their cockpit signs (e.g. their login)")
        self.person.selectAll()
        self.feedback = QLabel()
        self.feedback.setObjectName("feedback")
        self.feedback.setWordWrap(True)
        self.feedback.setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Hand over command")
        buttons.accepted.connect(self.hand_over)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        for w in (intro, self.person, self.feedback, buttons):
            box.addWidget(w)

    def hand_over(self) -> None:
        try:
            event = hand_over(self.incidents, self.incident_id, self.person.text())
        except StratusError as exc:
            self.feedback.setText(f"⚠ {exc}")
            theme.set_state(self.feedback, "refused")
            self.feedback.setVisible(True)
            return
        self.handed.emit(event)
        self.accept()


def show_command_banner(banners: BannerArea, events: Sequence[Event], me: str) -> None:
    """While command was last handed over to ``me``: "You are the incident commander"."""
    last = next(
        (e for e in reversed(events) if e.kind == ROLE_KIND and e.data.get("role") == "commander"),
        None,
    )
    if last is None or last.data.get("person") != me:
        banners.dismiss(BANNER_KEY)
        return
    if BANNER_KEY in banners.order():
        return
    banners.show_banner(
        BANNER_KEY,
        "info",
        f"You are the incident commander — {last.actor} handed command to you at "
        f"{format_time(last.at, date=False)}. Esc dismisses this.",
    )
