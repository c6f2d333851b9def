"""The welcome page: declare an incident, start a drill, or open one from the incident library
(or from a team database's: Open team database…).

Shown when no incident is open and nothing is failing. The library is the incident table
(:class:`~stratus_commander.qt.library_table.LibraryTable`: sortable, filtered, searched with
Ctrl+F); Enter on a row opens it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.incident import Incidents
from stratus_commander.qt.library_table import LibraryTable
from stratus_commander.qt.panel_kit import accessible
from stratus_commander.runbook import Runbook, load_runbook

__all__ = ["Scenarios", "WelcomePage", "put_in_place"]

#: The drills the page offers, (name, title) each, or what reads them when the page is made.
Scenarios = list[tuple[str, str]] | Callable[[], list[tuple[str, str]]]


def put_in_place(stack: QStackedWidget, index: int, page: QWidget) -> None:
    """``page`` in place of the placeholder at ``index`` of ``stack`` (made on first use: the
    cockpit's first frame does not wait for it); the page in front stays in front."""
    current, placeholder = stack.currentIndex(), stack.widget(index)
    assert placeholder is not None, f"no page {index}"
    stack.insertWidget(index, page)
    stack.removeWidget(placeholder)
    placeholder.deleteLater()
    stack.setCurrentIndex(current)


class WelcomePage(QWidget):
    declare_requested = Signal()
    drill_requested = Signal(str)
    open_requested = Signal(int)
    team_requested = Signal()  # Open team database…

    def __init__(
        self,
        incidents: Incidents,
        scenarios: list[tuple[str, str]],
        probe_note: str = "",
        parent: QWidget | None = None,
        *,
        runbook: Runbook | None = None,
        settings: QSettings | None = None,
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

        layout.addWidget(QLabel("<b>Incident library</b>"))
        self.library = LibraryTable(
            incidents, runbook or load_runbook(), incidents.clock, settings, self
        )
        self.library.open_requested.connect(self.open_requested)
        self.search = self.library.search
        self.incident_list = self.library.view  # where Ctrl+L puts the focus
        layout.addWidget(self.library, 1)
        self.open_button = QPushButton("&Open selected (Enter)")
        accessible(self.open_button, "Open selected", "Open the selected incident in the cockpit")
        self.open_button.clicked.connect(self.library.open_selected)
        self.team_button = QPushButton("Open &team database… (Ctrl+Shift+O)")
        accessible(
            self.team_button,
            "Open team database",
            "List the incidents of a team's PostgreSQL database and open one in a team cockpit",
        )
        self.team_button.clicked.connect(self.team_requested)
        opening = QHBoxLayout()
        opening.addWidget(self.open_button)
        opening.addWidget(self.team_button)
        opening.addStretch(1)
        layout.addLayout(opening)
        self.refresh()

    def refresh(self) -> None:
        self.library.refresh()
        if not self.library.model.rowCount():
            self.library.count.setText("No incidents recorded yet.")

    def start_drill(self) -> None:
        """The chosen scenario as a drill (the button, or Ctrl+D in the Incident menu)."""
        name = self.scenario.currentData()
        if name and self.drill_button.isEnabled():
            self.drill_requested.emit(str(name))
