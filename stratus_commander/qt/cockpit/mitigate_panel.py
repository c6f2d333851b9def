"""Mitigate: the incident's status, and the runbook's checklists and playbooks as ticks.

Status moves investigating → identified → monitoring → resolved (``Incidents.set_status``); the
current one is the highlighted, checked button, and resolving or reopening asks first. Each tick is
a ``check_ticked``/``check_unticked`` event (see :mod:`stratus_commander.incident.checklists`), so
the
ticks come back from the timeline whenever the panel is rebuilt.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.incident import OPEN_STATUSES, Incidents, checklists
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.panel_kit import (
    Checklist,
    IncidentPanel,
    accessible,
    bold,
    buddy,
    feedback_label,
    local,
)
from stratus_commander.runbook import Item, Runbook

STEPS = ("investigating", "identified", "monitoring", "resolved")
_STEP_TEXT = {
    "investigating": "&Investigating",
    "identified": "I&dentified",
    "monitoring": "M&onitoring",
    "resolved": "Resol&ved…",
}
# Which checklist fits a declared scope best, until the triage decision names one.
_SCOPE_CHECKLIST = {"Webhooks": "webhooks", "Database": "database", "API": "api", "Web": "api"}


class MitigatePanel(IncidentPanel):
    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        # group → (title, items): the five issue-type checklists, then the playbooks.
        self.lists: dict[str, tuple[str, list[Item]]] = {}
        for issue, items in runbook.mitigation.items():
            self.lists[f"mitigate:{issue}"] = (checklists.issue_label(issue), items)
        for playbook in runbook.playbooks:
            self.lists[f"playbook:{playbook.id}"] = (f"Playbook: {playbook.title}", playbook.items)
        self._picked_by_hand = False

        layout = QVBoxLayout(self)

        self.status_label = QLabel()
        layout.addWidget(self.status_label)
        status_row = QHBoxLayout()
        self.status_buttons: dict[str, QPushButton] = {}
        for step in STEPS:
            if step != STEPS[0]:
                status_row.addWidget(QLabel("→"))  # the statuses are a progression
            button = QPushButton(_STEP_TEXT[step])
            button.setObjectName("statusStep")  # the current one highlighted (the style sheet)
            accessible(
                button, "", f"Set the incident's status to {_STEP_TEXT[step].replace('&', '')}"
            )
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, s=step: self.change_status(s))
            status_row.addWidget(button)
            self.status_buttons[step] = button
        status_row.addStretch(1)
        layout.addLayout(status_row)

        picker = QHBoxLayout()
        self.list_combo = QComboBox()
        accessible(self.list_combo, "Checklist", "Which mitigation checklist is shown below")
        for group, (title, _) in self.lists.items():
            if group == f"playbook:{runbook.playbooks[0].id}":
                self.list_combo.insertSeparator(self.list_combo.count())
            self.list_combo.addItem(title, group)
        self.list_combo.activated.connect(self._list_picked)
        picker.addWidget(buddy("C&hecklist:", self.list_combo))
        picker.addWidget(self.list_combo, 1)
        self.progress_label = bold(QLabel())
        picker.addWidget(self.progress_label)
        layout.addLayout(picker)

        self.checklist = Checklist()
        accessible(
            self.checklist,
            "Mitigation steps",
            "The chosen checklist: Space ticks the selected step (the tick goes on the timeline)",
        )
        self.checklist.toggled.connect(self._toggled)
        layout.addWidget(self.checklist, 1)
        self.feedback = feedback_label()
        layout.addWidget(self.feedback)
        self.set_incident(None)

    @property
    def group(self) -> str:
        return str(self.list_combo.currentData())

    def incident_changed(self) -> None:
        self._picked_by_hand = False
        self.feedback.clear()
        theme.set_state(self.feedback, "")

    def _suggested_group(self) -> str:
        incident = self.incident
        if incident is not None:
            decision = next(
                (d for d in self.runbook.triage.decisions if d.id == incident.triage_decision),
                None,
            )
            if decision is not None and decision.checklist:
                return f"mitigate:{decision.checklist}"
            for scope in incident.scope:
                if scope in _SCOPE_CHECKLIST:
                    return f"mitigate:{_SCOPE_CHECKLIST[scope]}"
        return next(iter(self.lists))

    def refresh(self) -> None:
        incident = self.incident
        if not self._picked_by_hand:
            self.list_combo.setCurrentIndex(
                max(self.list_combo.findData(self._suggested_group()), 0)
            )
        self._show_checklist()
        self._show_progress()
        if incident is None:
            self.status_label.setText("No incident open — the checklists are here to read.")
        else:
            since = next(
                (e.at for e in reversed(self.events) if e.kind in ("status_changed", "declared")),
                incident.declared_at,
            )
            self.status_label.setText(
                f"Status now: <b>{incident.status.upper()}</b>  (since {local(since)})"
            )
        for step, button in self.status_buttons.items():
            current = incident is not None and incident.status == step
            button.setChecked(current)
            theme.set_state(button, "true" if current else "false", "current")
            label = _STEP_TEXT[step]
            button.setText(("● " if current else "") + label)
            button.setEnabled(self.writable)
        self.checklist.setEnabled(self.writable)

    def _show_checklist(self) -> None:
        _, items = self.lists[self.group]
        self.checklist.set_items(items)
        self.checklist.show_ticks(checklists.ticked(self.events, self.group))

    def _show_progress(self) -> None:
        for index in range(self.list_combo.count()):
            group = self.list_combo.itemData(index)
            if group is None:  # the separator
                continue
            title, items = self.lists[group]
            done = len(checklists.ticked(self.events, group))
            self.list_combo.setItemText(index, f"{title}  ({done}/{len(items)})" if done else title)
        title, items = self.lists[self.group]
        done = len(checklists.ticked(self.events, self.group))
        self.progress_label.setText(f"{done} of {len(items)} done")

    def _list_picked(self) -> None:
        self._picked_by_hand = True
        self.refresh()

    def _toggled(self, item_id: str, on: bool) -> None:
        incident = self.incident
        title, items = self.lists[self.group]
        item = next(i for i in items if i.id == item_id)
        if incident is not None:
            group = self.group
            self.attempt(
                self.feedback,
                lambda: checklists.set_tick(self.incidents, incident.id, group, item, on, title),
            )
        self.refresh()

    def change_status(self, status: str) -> None:
        incident = self.incident
        if incident is None or incident.status == status:
            self.refresh()  # keep the current button checked
            return
        if status == "resolved" and not self.confirm(
            "Resolve incident",
            f"Mark {incident.label} resolved?\n\nThis stops the status-update clock and starts the"
            " post-incident review clock. Send the resolved message from Communicate.",
        ):
            self.refresh()
            return
        if (
            incident.status == "resolved"
            and status in OPEN_STATUSES
            and not self.confirm("Reopen incident", f"Reopen {incident.label} as {status}?")
        ):
            self.refresh()
            return
        self.attempt(self.feedback, lambda: self.incidents.set_status(incident.id, status))
        self.refresh()
