"""The review desk's impact and RCA tab: the impact assessment and the review's root cause
analysis (both editable while the review is open), and the close record (read-only)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from stratus_commander import review as rv
from stratus_commander.incident import Incidents
from stratus_commander.qt.panel_kit import accessible
from stratus_commander.qt.review.widgets import (
    Editable,
    ReviewTab,
    right,
    saved,
    section_text,
    set_text,
)
from stratus_commander.runbook import Runbook

__all__ = ["ImpactTab"]


class ImpactTab(ReviewTab):
    def __init__(
        self,
        incidents: Incidents,
        runbook: Runbook,
        incident_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Loading the impact assessment and the RCA…", parent)
        self.incidents = incidents
        self.runbook = runbook
        self.incident_id = incident_id
        outer = QVBoxLayout(self)
        outer.addWidget(self.loading)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        scroll.setWidget(inner)
        outer.addWidget(scroll)

        impact = QGroupBox("Impact assessment")
        form = QFormLayout(impact)
        self.affected_users = QLineEdit()
        accessible(self.affected_users, "Number of affected users", "A whole number, e.g. 1840")
        self.affected_users.setPlaceholderText("a whole number, e.g. 1840")
        self.financial = QLineEdit()
        accessible(self.financial, "Financial impact", "e.g. GBP 38,000 of bookings delayed")
        self.financial.setPlaceholderText("e.g. GBP 38,000 of bookings delayed")
        self.reputation = QLineEdit()
        accessible(
            self.reputation, "Reputation impact", "e.g. two operators escalated to account managers"
        )
        self.reputation.setPlaceholderText("e.g. two operators escalated to account managers")
        self.credits_issued = QLabel()
        self.credits_issued.setWordWrap(True)
        form.addRow("Number of &affected users", self.affected_users)
        form.addRow("&Financial impact", self.financial)
        form.addRow("&Reputation impact", self.reputation)
        form.addRow("Service credits issued", self.credits_issued)
        self.save_impact_button = QPushButton("Save impact")
        accessible(self.save_impact_button, "Save impact", "Record the impact assessment")
        self.save_impact_button.clicked.connect(self.save_impact)
        form.addRow(right(self.save_impact_button))
        layout.addWidget(impact)

        rca = QGroupBox("Root cause analysis")
        self.rca_form = QFormLayout(rca)
        self.rca_edits: dict[str, QPlainTextEdit] = {}
        for item_id, text in section_text(runbook, "root_cause").items():
            edit = QPlainTextEdit()
            edit.setFixedHeight(64)
            edit.setTabChangesFocus(True)
            accessible(edit, text, "The answer for this root-cause question")
            self.rca_edits[item_id] = edit
            self.rca_form.addRow(text, edit)
        self.save_rca_button = QPushButton("Save RCA")
        accessible(self.save_rca_button, "Save RCA", "Record the root cause analysis")
        self.save_rca_button.clicked.connect(self.save_rca)
        self.rca_form.addRow(right(self.save_rca_button))
        layout.addWidget(rca)

        closed = QGroupBox("Close record (written at close; read-only)")
        closed_layout = QVBoxLayout(closed)
        self.close_text = QLabel()
        self.close_text.setWordWrap(True)
        self.close_text.setTextFormat(Qt.TextFormat.PlainText)
        self.close_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        closed_layout.addWidget(self.close_text)
        layout.addWidget(closed)
        layout.addStretch(1)

    def fill(self, review: rv.Review) -> None:
        impact = review.impact
        users = "" if impact.affected_users is None else str(impact.affected_users)
        set_text(self.affected_users, users)
        set_text(self.financial, impact.financial_impact)
        set_text(self.reputation, impact.reputation)
        self.credits_issued.setText(review.credits_issued)
        for item_id, _question, answer in review.rca:
            if item_id in self.rca_edits:
                set_text(self.rca_edits[item_id], answer)
        self.close_text.setText(self._close_summary(review.close))

    def _close_summary(self, close: rv.CloseRecord | None) -> str:
        if close is None:
            return "Not written yet: the incident has not been closed (Close incident…)."
        lines = [f"Fix applied: {close.fix_applied or '—'}", ""]
        for section in self.runbook.close.sections:
            lines.append(section.title)
            for item in section.items:
                key = f"{section.id}.{item.id}"
                value = close.answers.get(key) or close.checklist.get(key) or "—"
                lines.append(f"  • {item.text}: {str(value).replace('_', ' ')}")
        if close.learnings:
            lines.append("Lessons attached to runbook steps")
            lines += [f"  • {step}: {text}" for step, text in close.learnings]
        return "\n".join(lines)

    def set_editable(self, can: Editable) -> None:
        for line in (self.affected_users, self.financial, self.reputation):
            line.setReadOnly(not can.review_open)
        for edit in self.rca_edits.values():
            edit.setReadOnly(not can.review_open)
        for button in (self.save_impact_button, self.save_rca_button):
            button.setEnabled(can.review_open)
            button.setToolTip(can.why)

    def save_impact(self) -> bool:
        text = self.affected_users.text().strip().replace(",", "")
        if text and not text.isdigit():
            self.said.emit("⚠ Not saved — affected users: a whole number (e.g. 1840)", "refused")
            return False
        ok = self.attempt(
            lambda: rv.update_review(
                self.incidents,
                self.runbook,
                self.incident_id,
                affected_users=int(text) if text else None,
                financial_impact=self.financial.text(),
                reputation=self.reputation.text(),
            ),
            "Impact assessment saved.",
        )
        if ok:
            saved(self.affected_users, self.financial, self.reputation)
        return ok

    def save_rca(self) -> bool:
        answers = {k: e.toPlainText() for k, e in self.rca_edits.items()}
        ok = self.attempt(
            lambda: rv.update_review(
                self.incidents, self.runbook, self.incident_id, answers=answers
            ),
            "Root cause analysis saved.",
        )
        if ok:
            saved(*self.rca_edits.values())
        return ok
