"""The review desk's action items and follow-up tab: the items (overdue ones highlighted), added
and updated through :class:`ActionItemDialog`, and the review meeting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from stratus_commander import review as rv
from stratus_commander.clock import Clock
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import accessible, local
from stratus_commander.qt.review.action_item_dialog import ActionItemDialog
from stratus_commander.qt.review.widgets import (
    Editable,
    ReviewTab,
    Table,
    date_edit,
    from_qdt,
    mark_urgent,
    qdt,
    section_text,
)
from stratus_commander.runbook import Runbook

__all__ = ["ActionsTab"]


class ActionsTab(ReviewTab):
    def __init__(
        self,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        incident_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Loading the action items…", parent)
        self.incidents = incidents
        self.runbook = runbook
        self.clock = clock
        self.incident_id = incident_id
        self._categories = section_text(runbook, "action_items")
        layout = QVBoxLayout(self)
        layout.addWidget(self.loading)
        self.items_summary = QLabel()
        self.items_summary.setObjectName("reviewAlert")
        self.items_summary.setWordWrap(True)
        layout.addWidget(self.items_summary)
        self.items = Table(["#", "Category", "Action", "Owner", "Deadline", "Status"], stretch=2)
        accessible(
            self.items,
            "Action items",
            "The review's action items: category, action, owner, deadline, status; "
            "a double click edits one",
        )
        self.items.itemDoubleClicked.connect(lambda _: self.edit_selected_item())
        layout.addWidget(self.items, 1)
        buttons = QHBoxLayout()
        self.add_item_button = QPushButton("A&dd action item…")
        accessible(
            self.add_item_button, "Add action item", "Add an action item: what, who, by when"
        )
        self.add_item_button.clicked.connect(self.add_item)
        self.edit_item_button = QPushButton("&Edit selected…")
        accessible(
            self.edit_item_button,
            "Edit selected",
            "Reassign, reschedule or complete the selected action item",
        )
        self.edit_item_button.clicked.connect(self.edit_selected_item)
        buttons.addWidget(self.add_item_button)
        buttons.addWidget(self.edit_item_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        follow = QGroupBox("Follow-up: review meeting")
        row = QHBoxLayout(follow)
        self.meeting_label = QLabel()
        self.meeting_label.setWordWrap(True)
        row.addWidget(self.meeting_label, 1)
        self.meeting_edit = date_edit(clock.now() + timedelta(days=2))
        accessible(
            self.meeting_edit, "Review meeting time", "When the review meeting is (local time)"
        )
        row.addWidget(self.meeting_edit)
        self.meeting_button = QPushButton("&Schedule")
        accessible(self.meeting_button, "Schedule", "Record the review meeting at this time")
        self.meeting_button.clicked.connect(self.schedule_meeting)
        row.addWidget(self.meeting_button)
        layout.addWidget(follow)

    def fill(self, review: rv.Review) -> None:
        rows = []
        for item in review.action_items:
            if item.overdue(review.now):
                status = "OVERDUE (open)"
            elif item.status == "done" and item.done_at:
                status = f"done {local(item.done_at, date=True, utc=False)}"
            else:
                status = item.status
            rows.append(
                [
                    f"#{item.id}",
                    self._categories.get(item.category, item.category),
                    item.text,
                    item.owner or "— unassigned",
                    local(item.deadline, date=True) if item.deadline else "— none",
                    status,
                ]
            )
        for item, cells in zip(review.action_items, self.items.fill(rows), strict=True):
            cells[0].setData(Qt.ItemDataRole.UserRole, item.id)
            if item.overdue(review.now):
                mark_urgent(cells)
        f = review.follow_up
        overdue = len(review.overdue_items)
        self.items_summary.setText(
            f"{f.done} of {f.total} action items done"
            + (f" · {overdue} OVERDUE" if overdue else "")
            + (f" · {f.unassigned} without an owner" if f.unassigned else "")
            + (f" · {f.without_deadline} without a deadline" if f.without_deadline else "")
        )
        theme.set_state(self.items_summary, "urgent" if overdue else "")
        if f.meeting_at is None:
            self.meeting_label.setText("Review meeting: not scheduled")
        else:
            self.meeting_label.setText(f"Review meeting: {local(f.meeting_at, date=True)}")
            self.meeting_edit.setDateTime(qdt(f.meeting_at))

    def set_editable(self, can: Editable) -> None:
        for widget in (self.add_item_button, self.meeting_button, self.meeting_edit):
            widget.setEnabled(can.review_open)
        self.add_item_button.setToolTip(can.why)
        self.edit_item_button.setEnabled(can.reviewable)  # progress is tracked after completion too

    def schedule_meeting(self) -> bool:
        when = from_qdt(self.meeting_edit.dateTime())
        return self.attempt(
            lambda: rv.update_review(
                self.incidents, self.runbook, self.incident_id, meeting_at=when
            ),
            f"Review meeting scheduled for {local(when, date=True)}.",
        )

    def add_item(self) -> None:
        dialog = ActionItemDialog(self.runbook, self.clock.now(), parent=self)
        dialog.accepted.connect(lambda: self.save_item(dialog))
        dialog.open()

    def edit_selected_item(self) -> None:
        item = self.selected_item()
        if item is None:
            self.said.emit("Select an action item first.", "refused")
            return
        dialog = ActionItemDialog(self.runbook, self.clock.now(), item, parent=self)
        dialog.accepted.connect(lambda: self.save_item(dialog))
        dialog.open()

    def selected_item(self) -> rv.ActionItem | None:
        if self.review is None:
            return None
        row = self.items.currentRow()
        cell = self.items.item(row, 0) if row >= 0 else None
        if cell is None:
            return None
        item_id = cell.data(Qt.ItemDataRole.UserRole)
        return next((i for i in self.review.action_items if i.id == item_id), None)

    def save_item(self, dialog: ActionItemDialog) -> bool:
        """Store what the action item dialog holds (add or edit); refusals reopen the dialog."""
        item = dialog.item
        deadline = dialog.chosen_deadline()
        if item is None:
            action: Callable[[], object] = lambda: rv.add_action_item(  # noqa: E731
                self.incidents,
                self.runbook,
                self.incident_id,
                str(dialog.category.currentData()),
                dialog.text.text(),
                dialog.owner.text(),
                deadline,
            )
            done = "Action item added."
        else:
            changes: dict[str, Any] = {}
            if dialog.owner.text().strip() != item.owner:
                changes["owner"] = dialog.owner.text()
            if deadline != item.deadline:
                changes["deadline"] = deadline
            if dialog.status.currentText() != item.status:
                changes["status"] = dialog.status.currentText()
            if not changes:
                return True
            action = lambda: rv.update_action_item(self.incidents, item.id, **changes)  # noqa: E731
            done = f"Action item #{item.id} updated."
        try:
            action()
        except StratusError as exc:
            dialog.show_error(str(exc))
            dialog.open()
            return False
        self.said.emit(done, "")
        self.changed.emit()
        return True
