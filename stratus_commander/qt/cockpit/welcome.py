"""The welcome page: declare an incident, start a drill, or open one from the incident library.

Shown when no incident is open and nothing is failing. The library lists every incident, newest
first (open ones say so; drills are marked); the search box (Ctrl+F) searches titles, notes and
timelines. Enter on a row opens it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.comms import format_time
from stratus_commander.qt.panel_kit import accessible

__all__ = ["WelcomePage", "incident_line"]


def incident_line(incident: Incident) -> str:
    drill = "  [DRILL]" if incident.drill else ""
    state = incident.status.upper() if incident.is_open else incident.status
    return (
        f"{incident.label:<7} {state:<13} {incident.impact:<8} "
        f"{format_time(incident.declared_at)}   {incident.title}{drill}"
    )


class WelcomePage(QWidget):
    declare_requested = Signal()
    drill_requested = Signal(str)
    open_requested = Signal(int)

    def __init__(
        self,
        incidents: Incidents,
        scenarios: list[tuple[str, str]],
        probe_note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.incidents = incidents
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        title = QLabel("Stratus Commander")
        title.setObjectName("welcomeTitle")
        layout.addWidget(title)
        layout.addWidget(QLabel("No incident is open. What now?"))

        actions = QHBoxLayout()
        self.declare_button = QPushButton("Declare incident (Ctrl+N)")
        self.declare_button.setObjectName("welcomeAction")
        accessible(self.declare_button, "Declare incident", "Open the declaration form (Ctrl+N)")
        self.declare_button.clicked.connect(self.declare_requested)
        actions.addWidget(self.declare_button)
        self.scenario = QComboBox()
        accessible(self.scenario, "Drill scenario", "The outage the drill plays")
        for name, label in scenarios:
            self.scenario.addItem(f"{label} ({name})", name)
        default = self.scenario.findData("payment-processing-down")
        self.scenario.setCurrentIndex(max(default, 0))
        self.drill_button = QPushButton("Start a drill (Ctrl+D)")
        self.drill_button.setObjectName("welcomeAction")
        accessible(
            self.drill_button,
            "Start a drill",
            "Rehearse the chosen scenario against the simulator (Ctrl+D)",
        )
        self.drill_button.clicked.connect(self.start_drill)
        self.drill_button.setEnabled(bool(scenarios))
        actions.addWidget(self.drill_button)
        actions.addWidget(self.scenario)
        actions.addStretch(1)
        layout.addLayout(actions)

        self.probe_note = QLabel(probe_note)
        self.probe_note.setObjectName("evidence")
        self.probe_note.setWordWrap(True)
        self.probe_note.setVisible(bool(probe_note))
        layout.addWidget(self.probe_note)

        library = QHBoxLayout()
        library.addWidget(QLabel("<b>Incident library</b>"))
        self.search = QLineEdit()
        accessible(
            self.search,
            "Search the library",
            "Search incident titles, notes and timelines (Ctrl+F)",
        )
        self.search.setPlaceholderText("Search titles, notes and timelines (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.search.returnPressed.connect(self._focus_list)
        library.addWidget(self.search, 1)
        layout.addLayout(library)

        self.incident_list = QListWidget()
        accessible(
            self.incident_list,
            "Incident library",
            "Saved incidents, newest first; Enter opens the selected one",
        )
        self.incident_list.itemActivated.connect(self._open_item)
        font = self.incident_list.font()
        font.setFamilies(["DejaVu Sans Mono", "Menlo", "Consolas", "monospace"])
        self.incident_list.setFont(font)
        layout.addWidget(self.incident_list, 1)
        self.open_button = QPushButton("&Open selected (Enter)")
        accessible(self.open_button, "Open selected", "Open the selected incident in the cockpit")
        self.open_button.clicked.connect(self._open_selected)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.refresh()

    def refresh(self) -> None:
        text = self.search.text().strip()
        rows = self.incidents.search(text) if text else self.incidents.list()
        self.incident_list.clear()
        for incident in rows:
            item = QListWidgetItem(incident_line(incident))
            item.setData(Qt.ItemDataRole.UserRole, incident.id)
            self.incident_list.addItem(item)
        if not rows:
            empty = "No incident matches." if text else "No incidents recorded yet."
            self.incident_list.addItem(empty)
        else:
            self.incident_list.setCurrentRow(0)

    def _focus_list(self) -> None:
        self.incident_list.setFocus()

    def start_drill(self) -> None:
        """The chosen scenario as a drill (the button, or Ctrl+D in the Incident menu)."""
        name = self.scenario.currentData()
        if name and self.drill_button.isEnabled():
            self.drill_requested.emit(str(name))

    def _open_item(self, item: QListWidgetItem) -> None:
        incident_id = item.data(Qt.ItemDataRole.UserRole)
        if incident_id is not None:
            self.open_requested.emit(int(incident_id))

    def _open_selected(self) -> None:
        item = self.incident_list.currentItem()
        if item is not None:
            self._open_item(item)
