"""The review desk's header: the incident, the 48 h review deadline, the hash chain's verdict, the
export and complete buttons, and the line that says what an action did."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from stratus_commander import review as rv
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import accessible, feedback_label, heading, local
from stratus_commander.qt.review.widgets import Editable
from stratus_commander.timefmt import human_duration

__all__ = ["ReviewHeader"]

DEADLINE_WORDS = {
    "waiting": "not started: the incident is not resolved yet",
    "pending": "pending",
    "overdue": "OVERDUE",
    "done": "completed in time",
    "done late": "completed LATE",
}
#: The deadline line's style state (resources/styles/cockpit.qss) for each review state.
DEADLINE_STATES = {
    "waiting": "waiting",
    "pending": "pending",
    "overdue": "overdue",
    "done": "met",
    "done late": "met late",
}
DUE_SOON = timedelta(hours=4)


class ReviewHeader(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentHeader")
        grid = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = heading("Loading the review…", 16)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        top.addWidget(self.title, 1)
        self.drill_badge = QLabel("DRILL")
        self.drill_badge.setObjectName("drillStrip")
        self.drill_badge.setVisible(False)
        top.addWidget(self.drill_badge)
        self.export_button = QPushButton("&Export…")
        self.export_button.setToolTip("Markdown, self-contained HTML with graphs, or JSON")
        top.addWidget(self.export_button)
        self.complete_button = QPushButton("Co&mplete review")
        accessible(
            self.complete_button,
            "Complete review",
            "Record the post-incident review as complete: meets POST-INCIDENT REVIEW",
        )
        top.addWidget(self.complete_button)
        grid.addLayout(top)
        self.meta = QLabel()
        self.meta.setObjectName("incidentMeta")
        self.meta.setWordWrap(True)
        grid.addWidget(self.meta)
        states = QHBoxLayout()
        self.deadline_label = QLabel()
        self.deadline_label.setObjectName("deadline")
        self.deadline_label.setWordWrap(True)
        states.addWidget(self.deadline_label, 1)
        self.integrity_label = QLabel()
        self.integrity_label.setObjectName("reviewAlert")
        self.integrity_label.setWordWrap(True)
        states.addWidget(self.integrity_label, 1)
        grid.addLayout(states)
        self.feedback = feedback_label()
        self.feedback.setVisible(False)
        grid.addWidget(self.feedback)

    def show_review(self, review: rv.Review) -> None:
        i = review.incident
        self.title.setText(f"{i.label} · {i.title}")
        self.drill_badge.setVisible(i.drill)
        self.meta.setText(
            f"{i.impact} · {i.status} · detected {local(i.detected_at, date=True)} · "
            f"resolved {local(i.resolved_at, date=True) if i.resolved_at else '—'}"
            f" · closed {local(i.closed_at, date=True) if i.closed_at else '—'}"
        )
        self._show_deadline(review)
        self._show_integrity(review)

    def _show_deadline(self, review: rv.Review) -> None:
        state = review.deadline_state
        text = f"Post-incident review: {DEADLINE_WORDS[state]}"
        if review.deadline is not None:
            text += f" · due {local(review.deadline, date=True)}"
            left = review.deadline - review.now
            if state == "pending":
                text += f" ({_span(left)} left)"
            elif state == "overdue":
                text += f" ({_span(-left)} ago)"
        if review.incident.review_done_at is not None:
            text += f" · completed {local(review.incident.review_done_at, date=True)}"
        self.deadline_label.setText(text)
        near = state == "pending" and review.deadline and review.deadline - review.now < DUE_SOON
        theme.set_state(self.deadline_label, "due soon" if near else DEADLINE_STATES[state])

    def _show_integrity(self, review: rv.Review) -> None:
        chain = review.chain
        if chain.ok and not review.record_problems:
            text = f"✔ Hash chain verified: {chain.checked} events; stored records match it"
            state = "ok"
        elif not chain.ok:
            text = (
                f"✖ Hash chain BROKEN at event {chain.broken_at}: {chain.reason} "
                f"({chain.checked} events verified before it)"
            )
            state = "urgent"
        else:
            text = "✖ Hash chain verified, but " + "; ".join(review.record_problems)
            state = "urgent"
        self.integrity_label.setText(text)
        theme.set_state(self.integrity_label, state)

    def set_editable(self, can: Editable) -> None:
        self.complete_button.setEnabled(can.review_open)
        self.export_button.setEnabled(can.loaded)

    def say(self, message: str, state: str = "") -> None:
        """``state``: "" (done), "refused" (warning fill) or "failed" (urgent fill)."""
        self.feedback.setText(message)
        theme.set_state(self.feedback, state)
        self.feedback.setVisible(bool(message))


def _span(value: timedelta) -> str:
    """``1 h 03 min``; beyond two days ``30 d 2 h`` (nobody counts 722 hours)."""
    if value < timedelta(days=2):
        return human_duration(value)
    return f"{value.days}\u00a0d {value.seconds // 3600}\u00a0h"
