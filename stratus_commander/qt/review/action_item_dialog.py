"""The action item dialog of the review desk: add an item, or update one's owner, deadline and
status."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from stratus_commander import review as rv
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import accessible, describe_buttons, feedback_label
from stratus_commander.qt.review.widgets import date_edit, from_qdt, section_text
from stratus_commander.runbook import Runbook

__all__ = ["ActionItemDialog"]


class ActionItemDialog(QDialog):
    """Add an action item (category, action, owner, deadline) or edit one (owner, deadline,
    status); the owner of the dialog stores what it holds."""

    def __init__(
        self,
        runbook: Runbook,
        now: datetime,
        item: rv.ActionItem | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle(f"Action item #{item.id}" if item else "New action item")
        form = QFormLayout()
        self.category = QComboBox()
        accessible(self.category, "Category", "The runbook's kind of action item")
        for item_id, text in section_text(runbook, "action_items").items():
            self.category.addItem(text, item_id)
        self.text = QLineEdit()
        accessible(self.text, "Action", "What will be done")
        self.text.setPlaceholderText("What will be done, e.g. “Alert on pool saturation”")
        self.owner = QLineEdit()
        accessible(self.owner, "Owner", "Who does it")
        self.owner.setPlaceholderText("Who does it")
        self.has_deadline = QCheckBox("Deadline")
        accessible(self.has_deadline, "Deadline", "Tick to give the action a deadline")
        self.deadline = date_edit(
            item.deadline if item and item.deadline else now + timedelta(days=7)
        )
        self.has_deadline.setChecked(item is None or item.deadline is not None)
        self.has_deadline.toggled.connect(self.deadline.setEnabled)
        self.deadline.setEnabled(self.has_deadline.isChecked())
        accessible(self.deadline, "Deadline date", "By when (local time)")
        self.status = QComboBox()
        accessible(self.status, "Status", "Open or done")
        self.status.addItems(["open", "done"])
        form.addRow("&Category", self.category)
        form.addRow("&Action", self.text)
        form.addRow("&Owner", self.owner)
        form.addRow(self.has_deadline, self.deadline)
        form.addRow("&Status", self.status)
        if item is not None:
            self.category.setCurrentIndex(max(self.category.findData(item.category), 0))
            self.text.setText(item.text)
            self.owner.setText(item.owner)
            self.status.setCurrentText(item.status)
            # The action and its category are the record; reassign or reschedule it instead.
            self.category.setEnabled(False)
            self.text.setReadOnly(True)
        else:
            self.status.setEnabled(False)
        self.error = feedback_label()
        self.error.setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        describe_buttons(buttons, save="Save the action item", cancel="Close without saving")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, 240)

    def chosen_deadline(self) -> datetime | None:
        return from_qdt(self.deadline.dateTime()) if self.has_deadline.isChecked() else None

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ Not saved — {message}")
        theme.set_state(self.error, "refused")
        self.error.setVisible(True)
