"""What the review desk's tabs are made with: the table, the tab base class and small helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from stratus_commander import review as rv
from stratus_commander.clock import from_ms, to_ms
from stratus_commander.errors import StratusError
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import urgent_colors
from stratus_commander.runbook import Runbook

__all__ = ["Editable", "ReviewTab", "Table", "editable", "mark_late", "mark_urgent"]


class Table(QTableWidget):
    """A read-only table whose wrapped rows take the height their text needs; ``fit``: never
    taller than its rows (the space below goes to what follows)."""

    def __init__(self, headers: Sequence[str], stretch: int | None = None, fit: bool = False):
        super().__init__(0, len(headers))
        self.fit = fit
        self.setHorizontalHeaderLabels(list(headers))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.verticalHeader().setVisible(False)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if stretch is not None:
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)

    def fill(self, rows: Sequence[Sequence[str]]) -> list[list[QTableWidgetItem]]:
        """Replace the rows; returns the cells, row by row, for styling."""
        self.setRowCount(0)
        out = []
        for values in rows:
            row = self.rowCount()
            self.insertRow(row)
            cells = []
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(value)
                self.setItem(row, col, cell)
                cells.append(cell)
            out.append(cells)
        self.fit_rows()
        return out

    def fit_rows(self) -> None:
        self.resizeRowsToContents()
        if self.fit:
            height = self.horizontalHeader().height() + 2 * self.frameWidth() + 2
            height += sum(self.rowHeight(r) for r in range(self.rowCount()))
            self.setMaximumHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Wrapped text needs its height again once the columns have their real widths (a
        # table filled on a hidden tab gets them only when first shown).
        super().resizeEvent(event)
        self.fit_rows()


@dataclass(frozen=True)
class Editable:
    """What the review lets be changed now."""

    loaded: bool
    reviewable: bool  # resolved, and not opened read-only: action items and credits
    review_open: bool  # ... and the review not completed yet: impact, RCA, meeting
    why: str  # why the review's own fields cannot be changed ("" when they can)


def editable(review: rv.Review | None, read_only: bool) -> Editable:
    incident = review.incident if review else None
    reviewable = bool(incident and not incident.is_open and not read_only)
    review_open = reviewable and incident is not None and incident.review_done_at is None
    if read_only:
        why = "Read-only: opened from the incident library."
    elif incident is not None and incident.is_open:
        why = f"{incident.label} is {incident.status}: the review starts once it is resolved."
    elif incident is not None and incident.review_done_at is not None:
        why = "The review is complete: only action items can still be updated."
    else:
        why = ""
    return Editable(review is not None, reviewable, review_open, why)


class ReviewTab(QWidget):
    """A tab of the review desk: says it is loading until its first :meth:`show_review`."""

    said = Signal(str, str)  # a message for the desk's feedback line, and its state
    changed = Signal()  # something was stored: the review must be read again
    #: The tab shows the measured uptime: it is shown the review again once that is measured.
    shows_uptime: ClassVar[bool] = False

    def __init__(self, loading: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.review: rv.Review | None = None
        self.loading = QLabel(loading)
        self.loading.setObjectName("evidence")

    def show_review(self, review: rv.Review) -> None:
        self.review = review
        self.loading.setVisible(False)
        self.fill(review)

    def fill(self, review: rv.Review) -> None:
        """Show ``review`` (subclasses)."""

    def set_editable(self, can: Editable) -> None:
        """Enable what may be changed now (subclasses)."""

    def show_uptime_pending(self) -> None:
        """The review shown has no uptime yet: it is being measured (``shows_uptime`` tabs)."""

    def load_failed(self) -> None:
        if self.review is None:
            self.loading.setText("Not loaded: the reason is given above.")

    def attempt(self, action: Callable[[], object], done: str) -> bool:
        """Run a domain call; its refusal is said, not raised into Qt. Reloads on success."""
        try:
            action()
        except StratusError as exc:
            self.said.emit(f"⚠ Not saved — {exc}", "refused")
            return False
        self.said.emit(done, "")
        self.changed.emit()
        return True


def right(button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(button)
    return row


def mark_urgent(cells: Sequence[QTableWidgetItem]) -> None:
    bg, fg = urgent_colors()
    for cell in cells:
        cell.setBackground(bg)
        cell.setForeground(fg)


def mark_late(cells: Sequence[QTableWidgetItem]) -> None:
    """A LATE reading as the clock rail shows one: bold, in the palette's LATE orange (done
    after its deadline: never the green of on time, nor the red fill of missed)."""
    late = theme.current().color("late")
    for cell in cells:
        cell.setForeground(late)
        font = cell.font()
        font.setBold(True)
        cell.setFont(font)


def qdt(dt: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(to_ms(dt))


def from_qdt(value: QDateTime) -> datetime:
    return from_ms(value.toMSecsSinceEpoch()).replace(second=0, microsecond=0)


def date_edit(value: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(qdt(value))
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    zone = value.astimezone().tzname() or "local time"
    edit.setToolTip(f"Local time ({zone})")
    return edit


def _untouched(edit: QLineEdit | QPlainTextEdit) -> bool:
    if isinstance(edit, QLineEdit):
        return not edit.isModified()
    return not edit.document().isModified()


def set_text(edit: QLineEdit | QPlainTextEdit, text: str) -> None:
    """Show the stored value unless the user has typed something not yet saved."""
    if not _untouched(edit):
        return
    if isinstance(edit, QLineEdit):
        edit.setText(text)
        edit.setModified(False)
    else:
        edit.setPlainText(text)
        edit.document().setModified(False)


def saved(*edits: QLineEdit | QPlainTextEdit) -> None:
    for edit in edits:
        if isinstance(edit, QLineEdit):
            edit.setModified(False)
        else:
            edit.document().setModified(False)


def section_text(runbook: Runbook, section_id: str) -> dict[str, str]:
    section = rv.review_section(runbook, section_id)
    return {i.id: i.text for i in section.items} if section else {}
