"""The close dialog (runbook step 5): the runbook's close sections as one form.

Resolution time at the top; then each close section in runbook order — the root cause analysis
(what happened, root cause, contributing factors, what went well) answered in words, the fix
applied, the fix-implementation and service-credit checklists (each item done, not needed or
deferred), and the lessons learned, each optionally attached to the runbook step it concerns.
Beside the form: the close template rendered live for copying, and what is still missing.

"Close incident" stays disabled while :func:`~stratus_commander.review.close_requirements` lists
anything, and a refusal by :func:`~stratus_commander.review.close_incident` is shown with every
reason. "Save draft" keeps a half-written record (:func:`save_close_draft`); opening the dialog
again restores it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from stratus_commander import review as rv
from stratus_commander.clock import Clock
from stratus_commander.credits import IncidentCredits, stored_credits
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incident, Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import accessible, feedback_label, heading, local
from stratus_commander.runbook import Runbook, Section
from stratus_commander.timefmt import human_duration

__all__ = ["CloseDialog"]

STATE_LABELS: dict[rv.CheckState, str] = {
    "done": "Done",
    "not_needed": "Not needed",
    "deferred": "Deferred",
}
NO_STEP = "(no runbook step)"


def _answer_edit(placeholder: str, name: str, description: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)  # Tab walks the form; the answers are prose, not code
    accessible(edit, name, description)
    edit.setFixedHeight(58)
    return edit


class CloseDialog(QDialog):
    """Close a resolved incident; ``closed(Closed)`` once the "closed" event is on the
    timeline."""

    closed = Signal(object)

    def __init__(
        self,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        incident_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.incidents = incidents
        self.runbook = runbook
        self.clock = clock
        self.incident_id = incident_id
        self.incident: Incident = incidents.get(incident_id)
        self.credits: IncidentCredits | None = stored_credits(incidents.store, incident_id)
        self.result_closed: rv.Closed | None = None
        self.answers: dict[str, QPlainTextEdit] = {}
        self.checks: dict[str, QButtonGroup] = {}
        self.steps: dict[str, QComboBox] = {}  # lessons_learned item key -> runbook step
        self._loading = True
        self.setWindowTitle(f"Close {self.incident.label}")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._form())
        splitter.addWidget(self._side())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self._header())
        layout.addWidget(splitter, 1)
        self._restore(rv.stored_close(incidents.store, incident_id))
        self._loading = False
        self.refresh()
        self.resize(1280, 860)

    # --- layout --------------------------------------------------------------------------------

    def _header(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        i = self.incident
        title = heading(f"Close {i.label} · {i.title}", 15)
        title.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(title)
        self.resolution = QLabel()
        self.resolution.setObjectName("closeResolution")
        self.resolution.setWordWrap(True)
        if i.resolved_at is not None:
            lasted = human_duration(i.resolved_at - i.detected_at)
            self.resolution.setText(
                f"Resolved at {local(i.resolved_at, date=True)} — {lasted} after detection "
                f"({local(i.detected_at, date=True)}). Impact: {i.impact}."
            )
            theme.set_state(self.resolution, "resolved")
        else:
            self.resolution.setText(
                f"{i.label} is {i.status}: only a resolved incident can be closed. Resolve it "
                "first; you can still write and save a draft."
            )
            theme.set_state(self.resolution, "unresolved")
        layout.addWidget(self.resolution)
        return box

    def _form(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for section in self.runbook.close.sections:
            if section.id in rv.TEXT_SECTIONS:
                layout.addWidget(self._text_section(section))
            else:
                layout.addWidget(self._checklist_section(section))
            if section.id == "root_cause_analysis":
                layout.addWidget(self._fix_applied())
        layout.addStretch(1)
        scroll.setWidget(inner)
        return scroll

    def _text_section(self, section: Section) -> QGroupBox:
        box = QGroupBox(section.title)
        form = QFormLayout(box)
        lessons = section.id == "lessons_learned"
        steps = rv.runbook_steps(self.runbook) if lessons else {}
        for item in section.items:
            key = f"{section.id}.{item.id}"
            edit = _answer_edit(item.text, item.text, "Your answer to this close step")
            edit.textChanged.connect(self.refresh)
            self.answers[key] = edit
            label = QLabel(item.text)
            label.setWordWrap(True)
            label.setBuddy(edit)
            if not lessons:
                form.addRow(label, edit)
                continue
            combo = QComboBox()
            accessible(combo, "Runbook step", "The runbook step this lesson concerns (optional)")
            combo.addItem(NO_STEP, "")
            for step_id, text in steps.items():
                combo.addItem(f"{step_id} — {text}", step_id)
            combo.setToolTip(
                "Attach this lesson to the runbook step it concerns; "
                "`stratus-commander runbook learnings` lists them for the runbook's next edit."
            )
            combo.setMaxVisibleItems(20)
            # Step texts are long: the combo must not widen the form past the window.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(24)
            combo.currentIndexChanged.connect(self.refresh)
            self.steps[key] = combo
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(edit)
            row = QHBoxLayout()
            row.addWidget(QLabel("Runbook step (optional):"))
            row.addWidget(combo, 1)
            column.addLayout(row)
            form.addRow(label, cell)
        return box

    def _fix_applied(self) -> QGroupBox:
        box = QGroupBox("Fix applied")
        layout = QVBoxLayout(box)
        self.fix_applied = _answer_edit(
            "e.g. Rolled back to v2.31.4 and raised the pool limit",
            "Fix applied",
            "What was changed to end the incident",
        )
        self.fix_applied.textChanged.connect(self.refresh)
        layout.addWidget(self.fix_applied)
        return box

    def _checklist_section(self, section: Section) -> QGroupBox:
        box = QGroupBox(section.title)
        grid = QGridLayout(box)
        for row, item in enumerate(section.items):
            key = f"{section.id}.{item.id}"
            label = QLabel(item.text)
            label.setWordWrap(True)
            grid.addWidget(label, row, 0)
            group = QButtonGroup(box)
            for col, (state, text) in enumerate(STATE_LABELS.items(), start=1):
                button = QRadioButton(text)
                accessible(button, f"{item.text}: {text}", f"Mark “{item.text}” {text.lower()}")
                button.setProperty("state", state)
                group.addButton(button)
                grid.addWidget(button, row, col)
            group.buttonToggled.connect(self._toggled)
            self.checks[key] = group
        grid.setColumnStretch(0, 1)
        if section.id == "service_credits":
            note = QLabel(
                f"Calculated: {self.credits.summary()}"
                if self.credits
                else "No credits calculated yet: import the affected accounts in the review's "
                "Credits tab, or mark “Calculate based on actual uptime” not needed."
            )
            note.setWordWrap(True)
            note.setObjectName("evidence")
            grid.addWidget(note, len(section.items), 0, 1, 4)
        return box

    def _side(self) -> QWidget:
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.addWidget(QLabel("<b>Close message</b> (the runbook's close template, filled in)"))
        self.message = QPlainTextEdit()
        self.message.setReadOnly(True)
        accessible(self.message, "Close message", "The runbook's close template, filled in")
        layout.addWidget(self.message, 2)
        self.copy_button = QPushButton("&Copy message")
        accessible(self.copy_button, "Copy message", "Copy the close message to the clipboard")
        self.copy_button.clicked.connect(self.copy_message)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(QLabel("<b>Before closing</b>"))
        self.missing_label = QLabel()
        self.missing_label.setObjectName("reviewAlert")
        self.missing_label.setWordWrap(True)
        self.missing_label.setTextFormat(Qt.TextFormat.PlainText)
        self.missing_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        missing_scroll = QScrollArea()
        missing_scroll.setWidgetResizable(True)
        missing_scroll.setFrameShape(QFrame.Shape.NoFrame)
        missing_scroll.setWidget(self.missing_label)
        layout.addWidget(missing_scroll, 3)
        self.feedback = feedback_label()
        self.feedback.setVisible(False)
        layout.addWidget(self.feedback)
        buttons = QHBoxLayout()
        self.draft_button = QPushButton("Save &draft")
        accessible(self.draft_button, "Save draft", "Keep what is filled in; close later")
        self.draft_button.clicked.connect(self.save_draft)
        self.close_button = QPushButton("C&lose incident")
        accessible(
            self.close_button, "Close incident", "Close the incident once every close step is done"
        )
        self.close_button.clicked.connect(self.try_close)
        cancel = QPushButton("Cancel")
        accessible(cancel, "Cancel", "Leave without saving")
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.draft_button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        return side

    # --- the record ----------------------------------------------------------------------------

    def record(self) -> rv.CloseRecord:
        """What the form holds, as the domain's close record."""
        answers = {key: edit.toPlainText().strip() for key, edit in self.answers.items()}
        checklist: dict[str, rv.CheckState] = {}
        for key, group in self.checks.items():
            button = group.checkedButton()
            if button is not None:
                checklist[key] = button.property("state")
        # A step chosen before the lesson is written waits for its text (an empty lesson is
        # refused by the domain, and would be by a reader of `runbook learnings`).
        learnings = tuple(
            (str(combo.currentData()), answers[key])
            for key, combo in self.steps.items()
            if combo.currentData() and answers[key]
        )
        return rv.CloseRecord(
            answers={k: v for k, v in answers.items() if v},
            checklist=checklist,
            fix_applied=self.fix_applied.toPlainText().strip(),
            learnings=learnings,
        )

    def _restore(self, record: rv.CloseRecord | None) -> None:
        if record is None:
            return
        for key, text in record.answers.items():
            if key in self.answers:
                self.answers[key].setPlainText(text)
        for key, state in record.checklist.items():
            group = self.checks.get(key)
            for button in group.buttons() if group else []:
                button.setChecked(button.property("state") == state)
        self.fix_applied.setPlainText(record.fix_applied)
        # A lesson's step is shown beside the answer it was written from.
        for step, text in record.learnings:
            for key, combo in self.steps.items():
                if record.answers.get(key) == text and not combo.currentData():
                    combo.setCurrentIndex(max(combo.findData(step), 0))
                    break

    def set_check(self, key: str, state: rv.CheckState) -> None:
        """Tick one checklist item (what a click on its radio button does)."""
        for button in self.checks[key].buttons():
            if button.property("state") == state:
                button.setChecked(True)

    def _toggled(self, _button: QAbstractButton, on: bool) -> None:
        if on:
            self.refresh()

    # --- live state ----------------------------------------------------------------------------

    def missing(self) -> list[str]:
        missing = rv.close_requirements(self.runbook, self.record(), self.credits)
        if self.incident.status != "resolved":
            missing.insert(0, f"{self.incident.label} is {self.incident.status}: resolve it first")
        return missing

    def refresh(self) -> None:
        if self._loading:
            return
        self.feedback.setVisible(False)  # what it said was about the form before this change
        record = self.record()
        self.message.setPlainText(
            rv.render_close_message(self.runbook, self.incident, record, self.credits)
        )
        missing = self.missing()
        self.close_button.setEnabled(not missing)
        if missing:
            self.close_button.setToolTip("Fill in what is listed under “Before closing”.")
            self.missing_label.setText(
                f"Still missing ({len(missing)}):\n" + "\n".join(f"• {m}" for m in missing)
            )
            theme.set_state(self.missing_label, "warning")
        else:
            self.close_button.setToolTip("Record the close on the timeline (final).")
            self.missing_label.setText("✔ Everything the runbook asks for is filled in.")
            theme.set_state(self.missing_label, "ok")

    def copy_message(self) -> None:
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(self.message.toPlainText())
        self._say("Close message copied.")

    def _say(self, text: str, *, urgent: bool = False) -> None:
        self.feedback.setText(text)
        theme.set_state(self.feedback, "failed" if urgent else "")
        self.feedback.setVisible(True)

    # --- actions -------------------------------------------------------------------------------

    def save_draft(self) -> bool:
        try:
            rv.save_close_draft(self.incidents, self.runbook, self.incident_id, self.record())
        except StratusError as exc:
            self._say(f"⚠ Draft not saved — {exc}", urgent=True)
            return False
        self._say(f"Draft saved {local(self.clock.now())}. Nothing is closed yet.")
        return True

    def try_close(self) -> bool:
        """Close the incident; a refusal lists every reason and nothing changes."""
        try:
            closed = rv.close_incident(
                self.incidents, self.runbook, self.incident_id, self.record()
            )
        except rv.CloseRefused as exc:
            listed = exc.missing == self.missing()
            self._say(
                f"✖ Not closed: {len(exc.missing)} item(s) still missing, listed above."
                if listed
                else "✖ Not closed. Still missing:\n" + "\n".join(f"• {m}" for m in exc.missing),
                urgent=True,
            )
            return False
        except StratusError as exc:
            self._say(f"✖ Not closed — {exc}", urgent=True)
            return False
        self.result_closed = closed
        self.message.setPlainText(closed.message)
        self.closed.emit(closed)
        self.accept()
        return True
