"""Communicate: the runbook's messages written for the commander, copied, and marked sent.

The preview is regenerated from the incident (and the clock, for "next update") until the
commander edits it; an edit is kept per template until it is sent or regenerated. Copying converts
the preview's plain text to the chosen format; "Mark sent" records a ``message_sent`` event, which
meets the first-update milestone and restarts NEXT UPDATE.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incidents, checklists, comms
from stratus_commander.incident.deadlines import ClockState, clocks
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.panel_kit import (
    LATE_MARK,
    Checklist,
    IncidentPanel,
    accessible,
    bold,
    buddy,
    feedback_label,
    heading,
    local,
)
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import countdown
from stratus_commander.timeline import Event

CHANNELS = {
    "status_page": "Status page",
    "slack": "Slack",
    "email": "Email",
    "sms": "SMS",
    "other": "Other",
}
STATUS_PAGE_GROUP = "status_page"


class CommsPanel(IncidentPanel):
    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        self._generated = ""  # what the preview would say untouched
        self._edits: dict[str, str] = {}  # template → the commander's edited text
        self._auto_template = True  # follow the incident until the commander picks one
        self._last_format: comms.Format = "plain"
        self._showing = ""  # template whose text is in the preview

        self.stack = QStackedWidget()
        self.stack.addWidget(self._empty_page())
        self.stack.addWidget(self._main_page())
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        bus.tick.connect(self._on_tick)
        self.set_incident(None)

    # --- layout -------------------------------------------------------------------------------

    def _empty_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(
            QLabel("No incident open. Declare one and its status messages are written here.")
        )
        grid = QGridLayout()
        grid.addWidget(bold(QLabel("Who is told, by impact")), 0, 0, 1, 2)
        for row, (impact, who) in enumerate(self.runbook.comms.audience.items(), 1):
            grid.addWidget(bold(QLabel(impact)), row, 0)
            grid.addWidget(QLabel(who), row, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        layout.addStretch(1)
        return page

    def _main_page(self) -> QWidget:
        page = QWidget()
        columns = QHBoxLayout(page)

        left = QVBoxLayout()
        self.due_label = QLabel()
        self.due_label.setObjectName("deadline")
        left.addWidget(self.due_label)

        picker = QHBoxLayout()
        self.template_combo = QComboBox()
        for name in self.runbook.comms.templates:
            self.template_combo.addItem(comms.TEMPLATE_LABELS.get(name, name.title()), name)
        self.template_combo.activated.connect(self._template_picked)
        accessible(
            self.template_combo, "Template", "The runbook template the update is written from"
        )
        picker.addWidget(buddy("&Template:", self.template_combo))
        picker.addWidget(self.template_combo, 1)
        self.regenerate_button = QPushButton("&Regenerate")
        self.regenerate_button.setToolTip("Discard your edits and write the message afresh")
        self.regenerate_button.clicked.connect(self._regenerate)
        picker.addWidget(self.regenerate_button)
        left.addLayout(picker)

        self.preview = QPlainTextEdit()
        self.preview.setTabChangesFocus(True)
        self.preview.setMinimumHeight(180)
        self.preview.textChanged.connect(self._text_changed)
        accessible(
            self.preview,
            "Status update",
            "The message, filled from the incident: edit it, copy it, send it",
        )
        left.addWidget(self.preview, 1)
        self.edited_label = QLabel()
        self.edited_label.setObjectName("editNote")
        left.addWidget(self.edited_label)

        copy_row = QHBoxLayout()
        self.copy_buttons: dict[comms.Format, QPushButton] = {}
        buttons: tuple[tuple[comms.Format, str], ...] = (
            ("plain", "Copy &plain text"),
            ("markdown", "Copy &Markdown"),
            ("slack", "Copy for S&lack"),
        )
        for fmt, text in buttons:
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, f=fmt: self.copy(f))
            accessible(button, "", f"Copy the message to the clipboard, formatted for {fmt}")
            copy_row.addWidget(button)
            self.copy_buttons[fmt] = button
        copy_row.addStretch(1)
        left.addLayout(copy_row)

        sent_row = QHBoxLayout()
        self.channel_combo = QComboBox()
        for channel, label in CHANNELS.items():
            self.channel_combo.addItem(label, channel)
        sent_row.addWidget(buddy("Sent &via:", self.channel_combo))
        sent_row.addWidget(self.channel_combo)
        self.mark_sent_button = QPushButton("Mark &sent")
        self.mark_sent_button.setObjectName("markSent")  # bold: the step that meets the clock
        self.mark_sent_button.clicked.connect(self.mark_sent)
        accessible(
            self.mark_sent_button,
            "Mark sent",
            "Record that this update was sent: meets COMMUNICATE, restarts NEXT UPDATE",
        )
        accessible(self.channel_combo, "Sent via", "Where the update was sent")
        sent_row.addWidget(self.mark_sent_button)
        sent_row.addStretch(1)
        left.addLayout(sent_row)
        self.feedback = feedback_label()
        left.addWidget(self.feedback)
        columns.addLayout(left, 3)

        right = QVBoxLayout()
        right.addWidget(heading("Who to tell", 12))
        self.audience_label = QLabel()
        self.audience_label.setWordWrap(True)
        right.addWidget(self.audience_label)
        right.addSpacing(8)
        right.addWidget(heading("Status page", 12))
        self.status_page = Checklist()
        self.status_page.set_items(self.runbook.comms.status_page_steps)
        accessible(
            self.status_page,
            "Status page steps",
            "The runbook's status page steps: Space ticks the selected one",
        )
        self.status_page.toggled.connect(self._status_page_toggled)
        right.addWidget(self.status_page, 1)
        columns.addLayout(right, 2)
        return page

    # --- state --------------------------------------------------------------------------------

    def incident_changed(self) -> None:
        self._edits.clear()
        self._auto_template = True
        self._showing = ""
        self.feedback.clear()
        theme.set_state(self.feedback, "")

    def event_added(self, event: Event) -> None:
        if event.kind == "status_changed":
            self._auto_template = True  # resolved: the resolved message is what is needed now

    def refresh(self) -> None:
        incident = self.incident
        self.stack.setCurrentIndex(0 if incident is None else 1)
        if incident is None:
            return
        self.audience_label.setText(
            f"<b>{incident.impact}:</b>"
            f" {html.escape(comms.audience(self.runbook, incident.impact))}"
        )
        self.status_page.show_ticks(checklists.ticked(self.events, STATUS_PAGE_GROUP))
        for widget in (self.status_page, self.mark_sent_button, self.channel_combo):
            widget.setEnabled(self.writable)
        self.preview.setReadOnly(not self.writable)  # a closed incident's message: to read, copy
        if self._auto_template:
            index = self.template_combo.findData(comms.default_template(incident))
            self.template_combo.setCurrentIndex(max(index, 0))
        self._show_message()
        self._show_due()

    def _on_tick(self) -> None:
        if self.incident is not None:
            self._show_message()  # "next update" moves with the clock until the first update
            self._show_due()

    @property
    def template(self) -> str:
        return str(self.template_combo.currentData())

    @property
    def edited(self) -> bool:
        return self.template in self._edits

    def _render(self) -> str:
        assert self.incident is not None
        try:
            return comms.render(self.runbook, self.template, self.incident, self.clock.now())
        except StratusError as exc:  # a runbook template the sandbox refused
            return f"[The runbook's template cannot be filled in: {exc}]"

    def _show_message(self) -> None:
        template = self.template
        self._generated = self._render()
        wanted = self._edits.get(template, self._generated)
        if template != self._showing or wanted != self.preview.toPlainText():
            self._showing = template
            self.preview.blockSignals(True)
            self.preview.setPlainText(wanted)
            self.preview.blockSignals(False)
        if self.edited:
            self.edited_label.setText("✎ Edited by you — no longer updated automatically.")
            theme.set_state(self.edited_label, "edited")
        else:
            self.edited_label.setText("Written from the incident; edit freely before copying.")
            theme.set_state(self.edited_label, "")

    def _show_due(self) -> None:
        assert self.incident is not None
        readings = {r.id: r for r in clocks(self.incident, self.runbook, self.clock.now())}
        first = self.incident.first_update_at is None
        reading = readings["communicate" if first else "next_update"]
        what = "First status update" if first else "Next status update"
        if reading.done or reading.due_at is None:
            sent = self.incident.last_update_at
            text = "✓ Incident resolved: no further updates scheduled."
            text += f" Last update sent {local(sent)}." if sent else ""
            state = "met"
            if reading.late_by is not None and reading.due_at is not None:
                text = (
                    f"{LATE_MARK} Incident resolved LATE for the update cadence: the next "
                    f"update was due {local(reading.due_at)}, {countdown(reading.late_by)} "
                    "before resolution."
                )
                state = "met late"
        elif reading.state == ClockState.OVERDUE:
            text = (
                f"⚠ {what} OVERDUE by {reading.countdown()[1:]} (was due {local(reading.due_at)})"
            )
            state = "overdue"
        elif reading.state == ClockState.DUE_SOON:
            text = f"⏰ {what} due in {reading.countdown()} — by {local(reading.due_at)}"
            state = "due soon"
        else:
            text = f"{what} due by {local(reading.due_at)} — in {reading.countdown()}"
            state = "pending"
        self.due_label.setText(text)
        theme.set_state(self.due_label, state)

    # --- actions ------------------------------------------------------------------------------

    def _template_picked(self) -> None:
        self._auto_template = False
        self._show_message()

    def _text_changed(self) -> None:
        text = self.preview.toPlainText()
        if text == self._generated:
            self._edits.pop(self.template, None)
        else:
            self._edits[self.template] = text
        self._show_message()

    def _regenerate(self) -> None:
        self._edits.pop(self.template, None)
        if self.incident is not None:
            self._show_message()

    def text(self, fmt: comms.Format = "plain") -> str:
        """The preview in ``fmt`` (what a copy puts on the clipboard)."""
        return comms.convert(self.preview.toPlainText(), fmt)

    def copy(self, fmt: comms.Format) -> None:
        QGuiApplication.clipboard().setText(self.text(fmt))
        self._last_format = fmt
        theme.set_state(self.feedback, "")
        self.feedback.setText(
            f"Copied as {comms.FORMAT_LABELS[fmt]}. Paste it, then press Mark sent (Alt+S)."
        )

    def mark_sent(self) -> None:
        incident = self.incident
        text = self.text("plain")
        if incident is None:
            return
        if not text:
            self.feedback.setText("⚠ The message is empty: nothing to mark as sent.")
            theme.set_state(self.feedback, "refused")
            return
        channel = str(self.channel_combo.currentData())
        sent_template, fmt = self.template, self._last_format
        if self.attempt(
            self.feedback,
            lambda: self.incidents.send_update(incident.id, text, channel, sent_template, fmt),
        ):
            self._edits.pop(sent_template, None)
            self._auto_template = True
            self.refresh()
            self.feedback.setText(
                f"✓ Sent via {CHANNELS[channel]} at {local(self.clock.now())}: recorded on the"
                " timeline; next update clock restarted."
            )

    def _status_page_toggled(self, item_id: str, on: bool) -> None:
        incident = self.incident
        step = next(s for s in self.runbook.comms.status_page_steps if s.id == item_id)
        if incident is not None:
            self.attempt(
                self.feedback,
                lambda: checklists.set_tick(
                    self.incidents, incident.id, STATUS_PAGE_GROUP, step, on, "status page"
                ),
            )
        self.refresh()
