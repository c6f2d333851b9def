"""Help ▸ About: which version this is, where its data and log are, and its licence.

What someone asks for first when the commander reports a problem: the version, the database (a
file, or the team's server without its password) and the log file to attach.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander import __version__
from stratus_commander.qt.panel_kit import heading
from stratus_commander.store import Location

__all__ = ["AboutDialog", "shown_location"]

LICENCE = (
    "MIT licence: free to use, copy, change and share, with the copyright notice; "
    "no warranty. Built with Qt through PySide6 (LGPL-3.0)."
)


def shown_location(location: Location | None) -> str:
    """A database location fit to show and paste: a server URL loses its password."""
    if location is None:
        return "none (nothing opened)"
    if isinstance(location, Path):
        return str(location)
    parts = urlsplit(location)
    if parts.password is None:
        return location
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))


class AboutDialog(QDialog):
    def __init__(
        self, db_location: Location | None, log_path: Path | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Stratus Commander")
        self.setAccessibleName("About Stratus Commander")
        self.setAccessibleDescription("Version, database, log file and licence")
        box = QVBoxLayout(self)
        box.addWidget(heading("Stratus Commander", 16))
        tagline = QLabel("The incident commander's cockpit for the StratusConnect runbook.")
        tagline.setWordWrap(True)
        box.addWidget(tagline)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.values: dict[str, QLabel] = {}
        rows = (
            ("Version", __version__),
            ("Database", shown_location(db_location)),
            ("Log file", str(log_path) if log_path is not None else "none (logging to stderr)"),
            ("Licence", LICENCE),
        )
        for name, value in rows:
            label = QLabel(value)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(name)
            self.values[name] = label
            form.addRow(f"{name}:", label)
        box.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleDescription("Close this window")
        self.copy = QPushButton("&Copy details")
        self.copy.setAccessibleName("Copy details")
        self.copy.setAccessibleDescription(
            "Copy the version, database and log file, to paste into a problem report"
        )
        self.copy.clicked.connect(self.copy_details)
        row = QHBoxLayout()
        row.addWidget(self.copy)
        row.addStretch(1)
        row.addWidget(buttons)
        box.addLayout(row)
        self.setMinimumWidth(560)

    def details(self) -> str:
        return "\n".join(
            f"{name}: {label.text()}" for name, label in self.values.items() if name != "Licence"
        )

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details())
