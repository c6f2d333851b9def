"""Escalation: who to escalate to and by when, whom to call, the call log, check-back timers.

The matrix row for the incident's impact comes with the ESCALATE clock's due time; "Mark
escalated" records an ``escalated`` event (the milestone). Calls are ``call_logged`` events.
Check-back timers are :mod:`stratus_commander.incident.reminders`: a due one is highlighted in the
list and
announced once through :attr:`EscalationPanel.reminder_due` (the cockpit shows a banner).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from functools import partial

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock, to_iso
from stratus_commander.incident import Incidents, reminders
from stratus_commander.incident.deadlines import ClockState, clocks
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.panel_kit import (
    LATE_MARK,
    IncidentPanel,
    accessible,
    buddy,
    feedback_label,
    heading,
    local,
    urgent_colors,
)
from stratus_commander.runbook import Contact, Runbook, is_placeholder
from stratus_commander.timefmt import countdown, human_duration

CALL_ACTIONS = ("Paged", "Called", "Messaged", "Emailed")
_RECENT_CALLS = 6


def _reach(contact: Contact) -> str:
    """How to reach ``contact`` as rich text: real values bold, placeholders muted in one note."""
    values = [v for v in (contact.phone, contact.email, contact.portal, contact.details) if v]
    real = [f"<b>{html.escape(v)}</b>" for v in values if not is_placeholder(v)]
    missing = [html.escape(v) for v in values if is_placeholder(v)]
    if missing:
        muted = theme.current().muted
        real.append(f"<i style='color:{muted}'>not in the runbook yet: {', '.join(missing)}</i>")
    return " · ".join(real)


def _show_timer(item: QListWidgetItem, reminder: reminders.Reminder, now: datetime) -> None:
    """One timer row: countdown, or DUE in the urgent colours (and words, and bold)."""
    left = countdown(abs(reminder.remaining(now)))
    due = reminder.is_due(now)
    if due:
        item.setText(f"⚠ DUE {left} ago — check back with {reminder.who}: {reminder.task}")
    else:
        item.setText(f"{reminder.who}: {reminder.task} — in {left} (at {local(reminder.due_at)})")
    bg, fg = urgent_colors()
    item.setData(Qt.ItemDataRole.BackgroundRole, bg if due else None)
    item.setData(Qt.ItemDataRole.ForegroundRole, fg if due else None)
    font = item.font()
    font.setBold(due)
    item.setFont(font)


def _box(title: str) -> QGroupBox:
    box = QGroupBox(title)
    box.setObjectName("escalationBox")
    return box


class EscalationPanel(IncidentPanel):
    #: The text of a check-back reminder that just came due (once per reminder).
    reminder_due = Signal(str)

    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        self._timer_ids: list[int] | None = None  # the timers the list's rows show
        columns = QHBoxLayout(self)
        left = QVBoxLayout()
        self.who_label = QLabel()
        self.who_label.setObjectName("escalateTo")
        self.who_label.setWordWrap(True)
        left.addWidget(self.who_label)
        self.by_label = QLabel()
        self.by_label.setObjectName("deadline")
        self.by_label.setWordWrap(True)
        left.addWidget(self.by_label)
        self.escalate_button = QPushButton("Mark &escalated")
        accessible(
            self.escalate_button,
            "Mark escalated",
            "Record that the people above were paged: meets ESCALATE",
        )
        self.escalate_button.setObjectName("escalateButton")
        self.escalate_button.clicked.connect(self.mark_escalated)
        left.addWidget(self.escalate_button)
        self.matrix_label = QLabel()
        left.addWidget(self.matrix_label)
        left.addWidget(self._contacts_box(), 1)
        columns.addLayout(left, 1)

        right = QVBoxLayout()
        right.addWidget(self._calls_box(), 1)
        right.addWidget(self._timers_box(), 1)
        self.feedback = feedback_label()
        right.addWidget(self.feedback)
        columns.addLayout(right, 1)

        bus.tick.connect(self._on_tick)
        self.set_incident(None)

    # --- layout -------------------------------------------------------------------------------

    def _contacts_box(self) -> QGroupBox:
        box = _box("Contacts")
        # Scrolls rather than being cut off when the cockpit's banners leave little height.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        grid = QGridLayout(inner)
        grid.setContentsMargins(0, 0, 0, 0)
        row = 0
        for title, contacts in (
            ("Emergency", self.runbook.emergency_contacts),
            ("On-call and providers", self.runbook.contacts),
        ):
            grid.addWidget(heading(title, 11), row, 0, 1, 2)
            row += 1
            for contact in contacts:
                grid.addWidget(QLabel(contact.role), row, 0)
                value = QLabel(_reach(contact))
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                grid.addWidget(value, row, 1)
                row += 1
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(row, 1)
        scroll.setWidget(inner)
        QVBoxLayout(box).addWidget(scroll)
        return box

    def _calls_box(self) -> QGroupBox:
        box = _box("Call log")
        layout = QVBoxLayout(box)
        form = QGridLayout()
        self.call_who = QComboBox()
        accessible(self.call_who, "Who", "The person called, paged or messaged")
        self.call_who.setEditable(True)
        names = [n for row in self.runbook.escalation for n in row.who]
        names += [c.role for c in self.runbook.contacts + self.runbook.emergency_contacts]
        self.call_who.addItems(list(dict.fromkeys(names)))
        self.call_action = QComboBox()
        accessible(self.call_action, "How", "Paged, called or messaged")
        self.call_action.addItems(CALL_ACTIONS)
        form.addWidget(buddy("&Who:", self.call_who), 0, 0)
        form.addWidget(self.call_who, 0, 1)
        form.addWidget(buddy("&How:", self.call_action), 0, 2)
        form.addWidget(self.call_action, 0, 3)
        self.answered_check = QCheckBox("&Answered at")
        accessible(self.answered_check, "Answered", "Tick when they answered, and give the time")
        self.answered_time = QTimeEdit()
        accessible(self.answered_time, "Answered at", "The time they answered (local time)")
        self.answered_time.setDisplayFormat("HH:mm")
        self.answered_time.setEnabled(False)
        self.answered_check.toggled.connect(self._answered_toggled)
        form.addWidget(self.answered_check, 1, 0)
        form.addWidget(self.answered_time, 1, 1)
        self.call_note = QLineEdit()
        accessible(self.call_note, "Call note", "What was agreed, e.g. joining the bridge")
        self.call_note.setPlaceholderText("e.g. joining the bridge")
        form.addWidget(buddy("N&ote:", self.call_note), 1, 2)
        form.addWidget(self.call_note, 1, 3)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 2)
        layout.addLayout(form)
        self.log_call_button = QPushButton("&Log call")
        accessible(self.log_call_button, "Log call", "Record this call on the timeline")
        self.log_call_button.clicked.connect(self.log_call)
        self.call_note.returnPressed.connect(self.log_call)
        layout.addWidget(self.log_call_button)
        self.call_list = QListWidget()
        accessible(
            self.call_list,
            "Calls logged",
            "Every call, page and message recorded for this incident",
        )
        self.call_list.setWordWrap(True)
        self.call_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.call_list, 1)
        return box

    def _timers_box(self) -> QGroupBox:
        box = _box("Check-back timers")
        layout = QVBoxLayout(box)
        form = QHBoxLayout()
        self.timer_who = QLineEdit()
        accessible(self.timer_who, "Who reports back", "The person who will report back to you")
        self.timer_who.setPlaceholderText("who")
        self.timer_task = QLineEdit()
        accessible(
            self.timer_task, "Task handed over", "What they are doing before they report back"
        )
        self.timer_task.setPlaceholderText("task handed over")
        self.timer_minutes = QSpinBox()
        accessible(self.timer_minutes, "Minutes", "When to check back, in minutes")
        self.timer_minutes.setRange(1, reminders.MAX_MINUTES)
        self.timer_minutes.setValue(10)
        self.timer_minutes.setSuffix(" min")
        form.addWidget(buddy("Back to &you:", self.timer_who))
        form.addWidget(self.timer_who, 1)
        form.addWidget(self.timer_task, 2)
        form.addWidget(buddy("i&n", self.timer_minutes))
        form.addWidget(self.timer_minutes)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.set_timer_button = QPushButton("Se&t timer")
        accessible(self.set_timer_button, "Set timer", "Start a check-back reminder for this task")
        self.set_timer_button.clicked.connect(self.set_timer)
        self.timer_task.returnPressed.connect(self.set_timer)
        self.done_button = QPushButton("&Checked back")
        accessible(
            self.done_button, "Checked back", "Mark the selected (or the first due) timer done"
        )
        self.done_button.setToolTip("Mark the selected (or the first due) timer done")
        self.done_button.clicked.connect(self.checked_back)
        buttons.addWidget(self.set_timer_button)
        buttons.addWidget(self.done_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.timer_list = QListWidget()
        accessible(self.timer_list, "Check-back timers", "Tasks handed over and when to check back")
        self.timer_list.setWordWrap(True)
        self.timer_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.timer_list, 1)
        return box

    # --- state --------------------------------------------------------------------------------

    def incident_changed(self) -> None:
        self._timer_ids = None
        self.feedback.clear()
        theme.set_state(self.feedback, "")

    def refresh(self) -> None:
        incident = self.incident
        for widget in (
            self.escalate_button,
            self.log_call_button,
            self.set_timer_button,
            self.done_button,
            self.call_who,
            self.call_action,
            self.call_note,
            self.answered_check,
            self.timer_who,
            self.timer_task,
            self.timer_minutes,
        ):
            widget.setEnabled(self.writable)
        self.answered_time.setEnabled(self.writable and self.answered_check.isChecked())
        if not self.answered_check.isChecked():
            self._answered_toggled(False)
        if incident is None:
            self.who_label.setText("No incident open.")
            self.by_label.setText("The escalation matrix:")
            theme.set_state(self.by_label, "")
            rows = [
                f"<b>{row.impact}</b> — within {human_duration(row.response)}: {', '.join(row.who)}"
                for row in self.runbook.escalation
            ]
            self.matrix_label.setText("<br>".join(rows))
            self.matrix_label.show()
            self.escalate_button.hide()
        else:
            row = self.runbook.escalation_for(incident.impact)
            self.who_label.setText(
                f"{incident.impact}: escalate to {', '.join(row.who)}"
                f" within {human_duration(row.response)}"
            )
            self.escalate_button.setText(f"Mark &escalated to {', '.join(row.who)}")
            self.escalate_button.show()
            self.matrix_label.hide()
        self._show_clock()
        self._show_calls()
        self._show_timers()

    def _show_clock(self) -> None:
        if self.incident is None:
            return
        now = self.clock.now()
        reading = next(r for r in clocks(self.incident, self.runbook, now) if r.id == "escalate")
        if reading.done and reading.met_at is not None:
            if reading.late_by is not None:
                late = countdown(reading.late_by)
                text = f"{LATE_MARK} Escalated LATE at {local(reading.met_at)}, {late} late"
                state = "met late"
            else:
                text, state = f"✓ Escalated at {local(reading.met_at)}", "met"
            self.escalate_button.setEnabled(False)
        elif reading.due_at is None:
            text, state = "", ""
        elif reading.state == ClockState.OVERDUE:
            text = f"⚠ OVERDUE by {reading.countdown()[1:]} — was due {local(reading.due_at)}"
            state = "overdue"
        elif reading.state == ClockState.DUE_SOON:
            text = f"⏰ Due in {reading.countdown()} — by {local(reading.due_at)}"
            state = "due soon"
        else:
            text = f"By {local(reading.due_at)} — in {reading.countdown()}"
            state = "pending"
        self.by_label.setText(text)
        theme.set_state(self.by_label, state)
        # Not met yet: escalating is the thing to do, so the button says so loudly.
        calm = reading.done
        theme.set_state(self.escalate_button, "true" if calm else "false", "calm")

    def _show_calls(self) -> None:
        self.call_list.clear()
        calls = [e for e in self.events if e.kind == "call_logged"]
        for event in reversed(calls[-_RECENT_CALLS:]):
            self.call_list.addItem(f"{local(event.at)}  {event.text}")
        if not calls:
            self.call_list.addItem("No calls logged yet.")

    def _show_timers(self) -> None:
        now = self.clock.now()
        open_ = reminders.open_reminders(self.events)
        ids = [r.id for r in open_]
        if ids != self._timer_ids:  # rows change with the timers; a tick only rewrites them
            selected = self._selected_timer()
            self.timer_list.clear()
            for reminder in open_:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, reminder.id)
                self.timer_list.addItem(item)
                if reminder.id == selected:
                    self.timer_list.setCurrentItem(item)
            if not open_:
                self.timer_list.addItem("No timers running.")
            self._timer_ids = ids
        for row, reminder in enumerate(open_):
            _show_timer(self.timer_list.item(row), reminder, now)
        self.done_button.setEnabled(self.writable and bool(open_))

    def _selected_timer(self) -> int | None:
        item = self.timer_list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return int(value) if value is not None else None

    def _on_tick(self) -> None:
        incident = self.incident
        if incident is None:
            return
        self._show_clock()
        if self.writable:
            for reminder in reminders.to_raise(self.events, self.clock.now()):
                raise_it = partial(reminders.raise_due, self.incidents, incident.id, reminder)
                if self.attempt(self.feedback, raise_it):
                    self.reminder_due.emit(
                        f"Check back with {reminder.who}: {reminder.task}"
                        f" (due {local(reminder.due_at)})"
                    )
        self._show_timers()

    # --- actions ------------------------------------------------------------------------------

    def mark_escalated(self) -> None:
        incident = self.incident
        if incident is None:
            return
        who = self.runbook.escalation_for(incident.impact).who
        self.attempt(
            self.feedback,
            lambda: self.incidents.escalate(incident.id, who),
        )

    def _answered_toggled(self, on: bool) -> None:
        self.answered_time.setEnabled(on)
        now = self.clock.now().astimezone()
        self.answered_time.setTime(QTime(now.hour, now.minute))

    def _answered_at(self) -> datetime | None:
        """The answered time typed (local), on the most recent day it could have been."""
        if not self.answered_check.isChecked():
            return None
        now = self.clock.now().astimezone()
        t = self.answered_time.time()
        at = now.replace(hour=t.hour(), minute=t.minute(), second=0, microsecond=0)
        if at > now + timedelta(minutes=1):
            at -= timedelta(days=1)  # typed 23:58 just after midnight
        return at

    def log_call(self) -> None:
        incident = self.incident
        who = " ".join(self.call_who.currentText().split())
        if incident is None:
            return
        if not who:
            self.feedback.setText("⚠ Whom did you call? Fill in Who.")
            theme.set_state(self.feedback, "refused")
            self.call_who.setFocus()
            return
        action = self.call_action.currentText()
        answered = self._answered_at()
        note = self.call_note.text().strip()
        text = f"{action} {who}"
        text += f", answered {local(answered)}" if answered else ""
        text += f" — {note}" if note else ""
        data = {
            "who": who,
            "action": action.lower(),
            "answered_at": to_iso(answered) if answered else None,
            "note": note,
        }
        if self.attempt(
            self.feedback, lambda: self.incidents.record(incident.id, "call_logged", text, data)
        ):
            self.call_note.clear()
            self.answered_check.setChecked(False)
            self.feedback.setText(f"✓ Logged: {text}")

    def set_timer(self) -> None:
        incident = self.incident
        if incident is None:
            return
        minutes = self.timer_minutes.value()
        who, task = self.timer_who.text(), self.timer_task.text()
        if self.attempt(
            self.feedback,
            lambda: reminders.set_reminder(self.incidents, incident.id, who, task, minutes),
        ):
            self.timer_who.clear()
            self.timer_task.clear()
            self.feedback.setText(f"✓ Timer set: back to {who.strip()} in {minutes} min.")

    def checked_back(self) -> None:
        incident = self.incident
        if incident is None:
            return
        open_ = reminders.open_reminders(self.events)
        chosen = self._selected_timer()
        reminder = next((r for r in open_ if r.id == chosen), None)
        if reminder is None:  # nothing selected: the most urgent one
            reminder = open_[0] if open_ else None
        if reminder is not None:
            self.attempt(
                self.feedback, lambda: reminders.mark_done(self.incidents, incident.id, reminder)
            )
