"""The welcome window: declare an incident or open a past one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import to_iso
from stratus_commander.incident import Incident


class WelcomeWindow(QMainWindow):
    declare_requested = Signal()
    open_requested = Signal(int)

    def __init__(self, incidents: list[Incident]) -> None:
        super().__init__()
        self.setWindowTitle("Stratus Commander")
        body = QWidget()
        layout = QVBoxLayout(body)
        heading = QLabel("Stratus Commander")
        heading.setObjectName("heading")
        heading.setStyleSheet("font-size: 22pt; font-weight: 600;")
        layout.addWidget(heading)
        layout.addWidget(
            QLabel("Incident command for StratusConnect — declare, triage, communicate.")
        )
        buttons = QHBoxLayout()
        declare = QAction("&Declare incident…", self)
        declare.setShortcut(QKeySequence.StandardKey.New)
        declare.triggered.connect(self.declare_requested)
        self.addAction(declare)
        self.declare_button = QPushButton("Declare incident… (Ctrl+N)")
        self.declare_button.clicked.connect(self.declare_requested)
        self.open_button = QPushButton("&Open selected")
        self.open_button.clicked.connect(self._open_selected)
        buttons.addWidget(self.declare_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Past incidents:"))
        self.incident_list = QListWidget()
        self.incident_list.itemActivated.connect(self._open_item)
        for incident in incidents:
            text = (
                f"{incident.label}  {incident.status:<13} {incident.impact:<8} "
                f"{to_iso(incident.declared_at)}  {incident.title}"
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, incident.id)
            self.incident_list.addItem(item)
        if not incidents:
            self.incident_list.addItem("No incidents recorded yet.")
        layout.addWidget(self.incident_list, 1)
        self.setCentralWidget(body)
        self.resize(900, 560)

    def _open_item(self, item: QListWidgetItem) -> None:
        incident_id = item.data(Qt.ItemDataRole.UserRole)
        if incident_id is not None:
            self.open_requested.emit(int(incident_id))

    def _open_selected(self) -> None:
        item = self.incident_list.currentItem()
        if item is not None:
            self._open_item(item)
