"""The top of the cockpit: the DRILL strip, the incident line, and the call to declare.

With an incident: ``INC-7  Payment Processing API Down`` with its impact and status as badges and
one line of facts (detected, declared, scope, affected services). Before one: what the evidence
says and a big "Declare incident (Ctrl+N)" button — red once something is failing.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from stratus_commander.incident import Incident
from stratus_commander.incident.comms import format_time
from stratus_commander.incident.roles import ROLES
from stratus_commander.probes.base import StateChange
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import accessible

__all__ = ["DrillStrip", "IncidentHeader"]


class DrillStrip(QLabel):
    """Unmissable: this is a drill, not a real outage."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drillStrip")
        self.setVisible(False)

    def show_drill(self, title: str, elapsed: str, speed: float) -> None:
        pace = f" · x{speed:g}" if speed != 1 else ""
        self.setText(f"DRILL — {title} — scenario time {elapsed}{pace} — NOT A REAL INCIDENT")
        self.setVisible(True)


class IncidentHeader(QFrame):
    declare_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentHeader")
        self.title = QLabel()
        self.title.setObjectName("incidentTitle")
        self.title.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setObjectName("incidentMeta")
        self.meta.setWordWrap(True)
        self.roles = QLabel()  # who holds which role, and who this cockpit is
        self.roles.setObjectName("incidentRoles")
        self.roles.setWordWrap(True)
        self.roles.setVisible(False)
        self.impact = QLabel()
        self.impact.setObjectName("impactBadge")
        self.status = QLabel()
        self.status.setObjectName("statusBadge")
        self.declare = QPushButton("Declare incident (Ctrl+N)")
        self.declare.setObjectName("declareCta")
        accessible(
            self.declare,
            "Declare incident",
            "Open the declaration form (Ctrl+N): the DECLARE clock is running",
        )
        self.declare.clicked.connect(self.declare_clicked)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title)
        text.addWidget(self.meta)
        text.addWidget(self.roles)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        row.addLayout(text, 1)
        row.addWidget(self.impact)
        row.addWidget(self.status)
        row.addWidget(self.declare)

    def show_incident(self, incident: Incident) -> None:
        drill = "[DRILL] " if incident.drill else ""
        self.title.setText(f"{drill}{incident.label}  {incident.title}")
        facts = [
            f"detected {format_time(incident.detected_at, seconds=True, date=False)}",
            f"declared {format_time(incident.declared_at, seconds=True, date=False)}",
            f"scope {', '.join(incident.scope) or '—'}",
        ]
        if incident.affected_services:
            facts.append(f"affected {', '.join(incident.affected_services)}")
        self.meta.setText(" · ".join(facts))
        self.impact.setText(incident.impact.upper())
        theme.set_state(self.impact, incident.impact, "impact")
        closed = incident.status == "closed"
        # A closed incident is history: say so where the live status would be.
        self.status.setText("CLOSED · READ-ONLY" if closed else incident.status.upper())
        if closed and incident.closed_at is not None:
            self.meta.setText(
                self.meta.text()
                + f" · closed {format_time(incident.closed_at, date=True)}: nothing here changes it"
            )
        for w in (self.impact, self.status):
            w.setVisible(True)
        self.declare.setVisible(False)

    def show_no_incident(
        self, evidence: StateChange | None, watching: int | None, drill: bool
    ) -> None:
        """``watching``: how many probes run (``None``: a drill's are still starting)."""
        if evidence is not None:
            self.title.setText("Something is failing — no incident declared yet")
            self.meta.setText(
                f"First failing evidence {format_time(evidence.at, seconds=True, date=False)}: "
                f"{evidence.probe} {evidence.current.value}"
                + (f" — {' '.join(evidence.detail.split())[:120]}" if evidence.detail else "")
            )
        else:
            self.title.setText("No incident declared")
            what = "Drill running: " if drill else ""
            if watching is None:  # a drill before its simulator and probes are up
                self.meta.setText("Drill starting: the simulator and its probes are coming up…")
            elif watching:
                self.meta.setText(f"{what}watching {watching} probe(s); nothing failing yet.")
            else:
                self.meta.setText(f"{what}no probes configured.")
        for w in (self.impact, self.status, self.roles):
            w.setVisible(False)
        self.declare.setVisible(True)
        theme.set_state(self.declare, "false" if evidence is not None else "true", "calm")

    def show_roles(self, held: dict[str, str], me: str) -> None:
        """``Commander alice · Scribe bob · you: bob (scribe)``: the roles held, in the runbook's
        order, and who this cockpit acts as (Ctrl+Shift+H hands command over)."""
        parts = [f"{ROLES[r].capitalize()} {held[r]}" for r in ROLES if r in held]
        mine = [ROLES[r] for r in ROLES if held.get(r) == me]
        you = f"you: {me}" + (f" ({', '.join(mine)})" if mine else "")
        self.roles.setText(" · ".join([*parts, you]))
        self.roles.setVisible(True)
