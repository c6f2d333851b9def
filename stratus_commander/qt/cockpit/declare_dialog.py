"""The declare dialog (runbook step 1): the Designer form ``ui/declare_dialog.ui``, keyboard only.

Title, scope (API / Web / Webhooks / Database), start time, impact and affected services, labelled
and explained by the runbook's own declare fields. The start time defaults to the first failing
evidence (else now), shown in local time with its zone and editable. Tab walks the fields in
order (arrows move within the start time), Space ticks a scope, typing picks an impact, Enter
declares, Esc cancels. Declaring calls :meth:`Incidents.declare`; a refusal is shown in the
dialog, and nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock, from_ms, to_ms, truncate_ms
from stratus_commander.errors import InputError
from stratus_commander.incident import DrillRun, Incident, Incidents
from stratus_commander.incident.comms import format_time
from stratus_commander.probes.base import FAILING, ProbeState, StateChange
from stratus_commander.qt.panel_kit import accessible, child, describe_buttons, load_form
from stratus_commander.runbook import IMPACTS, SERVICES, Runbook

__all__ = ["DeclareDialog"]

_SCOPE_BOXES = {
    "API": "scopeApi",
    "Web": "scopeWeb",
    "Webhooks": "scopeWebhooks",
    "Database": "scopeDatabase",
}
_LABELS = {
    "title": "titleLabel",
    "scope": "scopeLabel",
    "start_time": "detectedLabel",
    "impact": "impactLabel",
    "affected_services": "affectedLabel",
}
#: Which scope a failing triage group suggests (providers suggest none of ours).
CHECK_SCOPE = {"api": "API", "webhooks": "Webhooks", "database": "Database"}


def _with_mnemonic(label: str, used: set[str]) -> str:
    for i, ch in enumerate(label):
        if ch.isalpha() and ch.lower() not in used:
            used.add(ch.lower())
            return label[:i] + "&" + label[i:]
    return label


class DeclareDialog(QDialog):
    """Declare an incident; ``declared(Incident)`` once it is on the timeline."""

    declared = Signal(object)

    def __init__(
        self,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        *,
        detected_at: datetime | None = None,
        evidence: str = "",
        scope: tuple[str, ...] = (),
        drill: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.incidents = incidents
        self.runbook = runbook
        self.clock = clock
        self.drill = drill
        #: What a drill incident records of its drill (set by the cockpit in a drill).
        self.drill_run: DrillRun | None = None
        self.incident: Incident | None = None
        self.setWindowTitle("Declare incident" + (" — DRILL" if drill else ""))
        self.form = load_form("declare_dialog.ui", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.form)

        f = self.form
        self.title_edit = child(f, QLineEdit, "titleEdit")
        self.scope_boxes = {s: child(f, QCheckBox, name) for s, name in _SCOPE_BOXES.items()}
        self.detected_edit = child(f, QDateTimeEdit, "detectedEdit")
        self.impact_combo = child(f, QComboBox, "impactCombo")
        self.affected_edit = child(f, QLineEdit, "affectedEdit")
        self.error_label = child(f, QLabel, "errorLabel")
        self.buttons = child(f, QDialogButtonBox, "buttonBox")
        drill_note = child(f, QLabel, "drillNote")
        drill_note.setVisible(drill)  # styled as the cockpit's drill strip

        self._runbook_labels()
        example = runbook.declare.example
        self.title_edit.setPlaceholderText(f"e.g. {example.title}" if example else "")
        self.affected_edit.setPlaceholderText(
            f"comma-separated, e.g. {example.affected_services}" if example else "comma-separated"
        )
        for service in SERVICES:
            self.scope_boxes[service].setChecked(service in scope)
        self.impact_combo.addItems(list(IMPACTS))
        self.impact_combo.setCurrentIndex(-1)
        self.impact_combo.setPlaceholderText("Choose Minor, Major or Critical")

        self._default_detected = truncate_ms(detected_at or clock.now())
        self.detected_edit.setDateTime(QDateTime.fromMSecsSinceEpoch(to_ms(self._default_detected)))
        self.detected_edit.setCalendarPopup(False)  # typed, not clicked
        # Tab leaves the field (Qt's default walks its six sections first); arrows move inside.
        self.detected_edit.installEventFilter(self)
        zone = self._default_detected.astimezone().tzname() or "local time"
        child(f, QLabel, "zoneLabel").setText(zone)
        hint = child(f, QLabel, "detectedHint")
        hint.setText(
            f"Default: first failing evidence — {evidence}"
            if evidence and detected_at
            else "Default: now (no failing evidence yet)."
        )

        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Declare")
        self._describe()
        ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+Return"), self).activated.connect(self.accept)
        self.error_label.setVisible(False)
        self.title_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.resize(700, 400)

    @classmethod
    def for_evidence(
        cls,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        evidence: StateChange | None,
        states: Iterable[ProbeState],
        *,
        drill: bool,
        parent: QWidget | None = None,
    ) -> DeclareDialog:
        """Pre-filled from the first failing ``evidence`` (start time, what failed) and the
        triage groups failing in ``states`` (scope)."""
        failing_checks = {s.check for s in states if s.outcome in FAILING}
        return cls(
            incidents,
            runbook,
            clock,
            detected_at=evidence.at if evidence else None,
            evidence=evidence_text(evidence.probe, evidence.current.value, evidence.at)
            if evidence
            else "",
            scope=tuple(CHECK_SCOPE[c] for c in failing_checks if c in CHECK_SCOPE),
            drill=drill,
            parent=parent,
        )

    def _describe(self) -> None:
        """Names and descriptions for assistive technology (the placeholders are not read)."""
        accessible(self.title_edit, "Title", "What is failing, in a few words")
        for service, box in self.scope_boxes.items():
            accessible(box, service, f"Tick if {service} is affected (Space)")
        accessible(
            self.detected_edit, "Detected at", "When the failure was first seen, in local time"
        )
        accessible(self.impact_combo, "Impact", "Minor, Major or Critical: sets the escalation")
        accessible(
            self.affected_edit, "Affected services", "The services affected, comma-separated"
        )
        describe_buttons(
            self.buttons, ok="Declare the incident (Ctrl+Enter)", cancel="Close without declaring"
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.detected_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
        ):
            self.focusNextPrevChild(event.key() == Qt.Key.Key_Tab)
            return True
        return super().eventFilter(watched, event)

    def _runbook_labels(self) -> None:
        used: set[str] = {"d"}  # Alt+D is the Declare button
        for field in self.runbook.declare.fields:
            label = child(self.form, QLabel, _LABELS[field.id])
            label.setText(_with_mnemonic(field.label, used))
            label.setToolTip(field.help)
            buddy = label.buddy()
            if buddy is not None:
                buddy.setToolTip(field.help)

    # --- reading the form ----------------------------------------------------------------------

    def detected_at(self) -> datetime:
        edited = from_ms(self.detected_edit.dateTime().toMSecsSinceEpoch())
        if edited == self._default_detected:
            return edited  # the evidence's own time, milliseconds and all
        return edited.replace(microsecond=0)  # a typed time means that whole second

    def scope(self) -> list[str]:
        return [s for s, box in self.scope_boxes.items() if box.isChecked()]

    def affected(self) -> list[str]:
        return [part.strip() for part in self.affected_edit.text().split(",") if part.strip()]

    def accept(self) -> None:
        impact = self.impact_combo.currentText() if self.impact_combo.currentIndex() >= 0 else ""
        if not impact:
            self._refuse("impact: choose Minor, Major or Critical", self.impact_combo)
            return
        try:
            incident = self.incidents.declare(
                title=self.title_edit.text(),
                impact=impact,
                scope=self.scope(),
                affected_services=self.affected(),
                detected_at=self.detected_at(),
                drill=self.drill,
                drill_run=self.drill_run,
            )
        except InputError as exc:
            focus = {
                "title": self.title_edit,
                "scope": self.scope_boxes["API"],
                "detected at": self.detected_edit,
                "impact": self.impact_combo,
            }.get(exc.where or "", self.title_edit)
            self._refuse(str(exc), focus)
            return
        self.incident = incident
        super().accept()
        self.declared.emit(incident)

    def _refuse(self, message: str, focus: QWidget) -> None:
        self.error_label.setText(f"⚠ Not declared — {message}")
        self.error_label.setVisible(True)
        focus.setFocus(Qt.FocusReason.OtherFocusReason)


def evidence_text(probe: str, outcome: str, at: datetime) -> str:
    return f"{probe} {outcome} at {format_time(at, seconds=True, date=False)}"
