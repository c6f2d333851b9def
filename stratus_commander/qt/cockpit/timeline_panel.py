"""Timeline: the incident's events, newest first, live, filterable by kind; notes from the keyboard.

Keyboard: **N** in the event list (or the cockpit's global shortcut bound to :meth:`focus_note`)
puts the cursor in the note line; **Enter** records the note (``Incidents.note``) and returns to
the list; **Esc** returns to the list without recording.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Slot,
)
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock, to_iso
from stratus_commander.incident import Incidents
from stratus_commander.incident.comms import format_time, zone_name
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.panel_kit import (
    IncidentPanel,
    accessible,
    buddy,
    feedback_label,
    local,
    urgent_colors,
)
from stratus_commander.runbook import Runbook
from stratus_commander.timeline import EVENT_KINDS, Event

#: Filter choices: label → the kinds shown (every kind is in exactly one, besides "All").
CATEGORIES: dict[str, frozenset[str]] = {
    "Notes": frozenset({"note"}),
    "Status and decisions": frozenset(
        {
            "declared",
            "status_changed",
            "decision",
            "field_changed",
            "closed",
            "reopened",
            "redacted",
            "role_assigned",
            "imported",
        }
    ),
    "Probe flips": frozenset({"probe_flipped"}),
    "Messages sent": frozenset({"message_sent"}),
    "Ticks": frozenset({"check_ticked", "check_unticked"}),
    "Escalation, calls, timers": frozenset(
        {"escalated", "call_logged", "reminder_set", "reminder_due"}
    ),
    "Review and credits": frozenset({"review", "credits"}),
}
ALL = "All events"
KIND_LABELS = {
    "declared": "Declared",
    "status_changed": "Status",
    "field_changed": "Changed",
    "check_ticked": "Ticked",
    "check_unticked": "Unticked",
    "decision": "Decision",
    "probe_flipped": "Probe",
    "message_sent": "Message",
    "escalated": "Escalated",
    "call_logged": "Call",
    "reminder_set": "Timer set",
    "reminder_due": "Timer",
    "note": "Note",
    "credits": "Credits",
    "review": "Review",
    "closed": "Closed",
    "reopened": "Reopened",
    "redacted": "Redacted",
    "role_assigned": "Role",
    "imported": "Imported",
}
_MILESTONES = frozenset({"declared", "status_changed", "decision", "escalated", "message_sent"})
_BAD_STATES = frozenset({"down", "degraded"})


class _WrapDelegate(QStyledItemDelegate):
    """Row heights for wrapped text. QTreeView asks a delegate for a row's size with a rect of
    height 0, which Qt's own size hint takes as "no width", so text would never wrap."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = max(self.tree.header().sectionSize(index.column()) - 8, 40)
        bounds = QFontMetrics(opt.font).boundingRect(
            QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, opt.text
        )
        return QSize(hint.width(), max(hint.height(), bounds.height() + 4))


class TimelinePanel(IncidentPanel):
    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        self._shown: tuple[int | None, str, int] | None = None  # what the tree holds
        self._placeholder = False
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter_combo = QComboBox()
        accessible(self.filter_combo, "Show", "Which kinds of timeline events are listed")
        self.filter_combo.addItem(ALL, ALL)
        for label in CATEGORIES:
            self.filter_combo.addItem(label, label)
        self.filter_combo.currentIndexChanged.connect(self.refresh)
        top.addWidget(buddy("Sho&w:", self.filter_combo))
        top.addWidget(self.filter_combo, 1)
        layout.addLayout(top)

        note_row = QHBoxLayout()
        self.note_edit = QLineEdit()
        accessible(self.note_edit, "Note", "Type a note for the timeline; Enter adds it")
        self.note_edit.setPlaceholderText("Type a note, Enter to add it  (press N in the list)")
        self.note_edit.returnPressed.connect(self.add_note)
        self.note_edit.installEventFilter(self)
        self.note_button = QPushButton("Add &note")
        accessible(self.note_button, "Add note", "Add the note to the timeline")
        self.note_button.clicked.connect(self.add_note)
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        layout.addLayout(note_row)

        self.tree = QTreeWidget()
        accessible(
            self.tree,
            "Timeline",
            "Every event of the incident, newest last: time, kind, what, by whom; N adds a note",
        )
        self.tree.setHeaderLabels(["Time", "Kind", "What", "By"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        # The timeline is often a narrow dock: the text wraps, and row heights follow the text
        # column's width (the tree does not redo them by itself).
        self.tree.setItemDelegateForColumn(2, _WrapDelegate(self.tree))
        header.sectionResized.connect(self._relayout)
        self.tree.installEventFilter(self)
        layout.addWidget(self.tree, 1)
        self.feedback = feedback_label()
        layout.addWidget(self.feedback)
        self.setTabOrder(self.filter_combo, self.note_edit)
        self.setTabOrder(self.note_edit, self.note_button)
        self.setTabOrder(self.note_button, self.tree)
        self.set_incident(None)

    # --- showing ------------------------------------------------------------------------------

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds the filter shows now."""
        label = str(self.filter_combo.currentData())
        return CATEGORIES.get(label, EVENT_KINDS)

    def _relayout(self, index: int, old: int, new: int) -> None:
        if index == 2 and old != new:
            self.tree.scheduleDelayedItemsLayout()

    def _key(self, count: int) -> tuple[int | None, str, int]:
        incident_id = self.incident.id if self.incident else None
        return incident_id, str(self.filter_combo.currentData()), count

    def refresh(self) -> None:
        self.note_edit.setEnabled(self.incident is not None)
        self.note_button.setEnabled(self.incident is not None)
        # A closed incident is history: no note line that looks as if it took one.
        closed = self.incident is not None and self.incident.status == "closed"
        self.note_edit.setVisible(not closed)
        self.note_button.setVisible(not closed)
        if self._shown == self._key(len(self.events)):
            return  # already on screen (event_added inserted the newest row)
        kinds = self.kinds
        shown = [e for e in self.events if e.kind in kinds]
        self.tree.setHeaderLabels([f"Time ({zone_name(self.clock.now())})", "Kind", "What", "By"])
        self.tree.clear()
        self.tree.addTopLevelItems([self._row(e) for e in reversed(shown)])
        self._placeholder = not shown
        if self.incident is None:
            self.tree.addTopLevelItem(QTreeWidgetItem(["", "", "No incident open."]))
        elif not shown:
            self.tree.addTopLevelItem(QTreeWidgetItem(["", "", "No events of this kind yet."]))
        self._shown = self._key(len(self.events))

    def event_added(self, event: Event) -> None:
        if self._shown != self._key(len(self.events) - 1):
            return  # not in step: refresh rebuilds
        if event.kind in self.kinds:
            if self._placeholder:
                self.tree.clear()
                self._placeholder = False
            self.tree.insertTopLevelItem(0, self._row(event))
        self._shown = self._key(len(self.events))

    def _when(self, at: datetime) -> str:
        """Local time; the zone is in the column header, the date only when not today."""
        today = self.clock.now().astimezone().date()
        other_day = at.astimezone().date() != today
        return format_time(at, seconds=True, utc=False, zone=False, date=other_day)

    def _row(self, event: Event) -> QTreeWidgetItem:
        # Signed: who made it, beside what it says (the actor is part of the hash chain).
        item = QTreeWidgetItem(
            [
                self._when(event.at),
                KIND_LABELS.get(event.kind, event.kind),
                event.text,
                event.actor,
            ]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, event.seq)
        for column in range(4):  # wrapped text makes tall rows: keep each row's start in line
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        item.setToolTip(0, f"{to_iso(event.at)} (UTC) · by {event.actor}")
        item.setToolTip(2, event.text)
        if event.kind == "probe_flipped" and event.data.get("to") in _BAD_STATES:
            bg, fg = urgent_colors()
            for column in range(4):
                item.setBackground(column, bg)
                item.setForeground(column, fg)
            item.setText(1, "Probe ▼")
        elif event.kind == "probe_flipped":
            item.setText(1, "Probe ▲")
        due = event.kind == "reminder_due" and event.data.get("state") == "due"
        if event.kind in _MILESTONES or event.kind == "probe_flipped" or due:
            font = item.font(2)
            font.setBold(True)
            for column in range(4):
                item.setFont(column, font)
        return item

    # --- notes --------------------------------------------------------------------------------

    @Slot()
    def focus_note(self) -> None:
        """Put the cursor in the note line (bind a global shortcut to this)."""
        self.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.note_edit.selectAll()

    def add_note(self) -> None:
        incident = self.incident
        text = self.note_edit.text().strip()
        if incident is None or not text:
            return
        if self.attempt(self.feedback, lambda: self.incidents.note(incident.id, text)):
            self.note_edit.clear()
            self.feedback.setText(f"✓ Note added at {local(self.clock.now(), seconds=True)}")
            self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            bare = event.modifiers() in (
                Qt.KeyboardModifier.NoModifier,
                Qt.KeyboardModifier.KeypadModifier,
            )
            if watched is self.tree and event.key() == Qt.Key.Key_N and bare:
                self.focus_note()
                return True
            if watched is self.note_edit and event.key() == Qt.Key.Key_Escape:
                self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return super().eventFilter(watched, event)
