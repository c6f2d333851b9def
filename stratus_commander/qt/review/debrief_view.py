"""A drill's debrief on screen: the score, each runbook clock met or missed, then the triage,
communication, escalation, evidence and what to practise next (``debrief.render``'s HTML).

:class:`DebriefView` shows a :class:`~stratus_commander.debrief.Debrief` (pure data, built off the
UI thread or before the cockpit's store closes); :class:`DebriefWindow` is it in a window of its
own (the cockpit opens one when a drill incident resolves or the drill window closes); the review
desk has it as a tab for any past drill (:class:`DebriefTab`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.debrief import Debrief
from stratus_commander.debrief.render import debrief_html
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import heading, local
from stratus_commander.qt.review.widgets import Table, mark_late, mark_urgent
from stratus_commander.timefmt import duration_notation

__all__ = ["DebriefTab", "DebriefView", "DebriefWindow"]

#: score → state the style sheet colours (as the clock rail's met / due soon / overdue)
_SCORE_STATES = ((90, "met"), (60, "soon"))


def _show(at: datetime) -> str:
    return local(at, seconds=True)


def _offset(delta: timedelta | None) -> str:
    return duration_notation(delta) if delta is not None else "—"


class DebriefView(QWidget):
    """One drill's debrief; empty until :meth:`show_debrief`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.debrief: Debrief | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = heading("Debrief", 16)
        self.title.setWordWrap(True)
        top.addWidget(self.title, 1)
        self.score = QLabel("—")
        self.score.setObjectName("debriefScore")
        self.score.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        font = self.score.font()
        font.setPointSize(26)
        font.setBold(True)
        self.score.setFont(font)
        top.addWidget(self.score)
        layout.addLayout(top)
        self.scenario = QLabel()
        self.scenario.setObjectName("evidence")
        self.scenario.setWordWrap(True)
        self.scenario.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.scenario)
        self.clocks = Table(["Clock", "Outcome", "How", "Due", "Done"], stretch=2, fit=True)
        layout.addWidget(self.clocks)
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        layout.addWidget(self.body, 1)

    def show_debrief(self, debrief: Debrief) -> None:
        self.debrief = debrief
        self.title.setText(f"Debrief {debrief.label}: {debrief.title}")
        self.score.setText(f"{debrief.score}/100")
        state = next((s for floor, s in _SCORE_STATES if debrief.score >= floor), "overdue")
        theme.set_state(self.score, state)
        scenario = debrief.scenario_title or debrief.scenario or "scenario not recorded"
        line = f"Scenario: {scenario}"
        if debrief.started_at is not None:
            line += f", started {_show(debrief.started_at)}"
            if debrief.speed != 1:
                line += f" at x{debrief.speed:g}"
        if debrief.scenario_problem:
            line += f" — {debrief.scenario_problem}"
        self.scenario.setText(line)
        rows = [
            [
                c.label,
                c.outcome.upper(),
                c.summary(),
                f"+{_offset(c.due_scenario)}",
                f"+{_offset(c.met_scenario)}" if c.met_at else "—",
            ]
            for c in debrief.clocks
        ]
        for clock, cells in zip(debrief.clocks, self.clocks.fill(rows), strict=True):
            if clock.outcome == "late":  # done after its deadline: the rail's LATE, not red
                mark_late(cells[:3])
            elif clock.outcome == "missed":
                mark_urgent(cells[:3])
        self.body.setHtml(debrief_html(debrief, _show, body_only=True))


class DebriefWindow(QMainWindow):
    """A drill's debrief in a window of its own."""

    closed = Signal()

    def __init__(self, debrief: Debrief, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = DebriefView()
        self.view.show_debrief(debrief)
        self.setCentralWidget(self.view)
        self.setWindowTitle(f"{debrief.label} — drill debrief ({debrief.score}/100)")
        self.resize(1000, 820)

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        self.closed.emit()


class DebriefTab(QWidget):
    """The review desk's Debrief tab (drills only): says it is loading until shown one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.loading = QLabel("Building the debrief…")
        self.loading.setObjectName("evidence")
        layout.addWidget(self.loading)
        self.view = DebriefView()
        self.view.setVisible(False)
        layout.addWidget(self.view, 1)

    def show_debrief(self, debrief: Debrief) -> None:
        self.loading.setVisible(False)
        self.view.setVisible(True)
        self.view.show_debrief(debrief)

    def failed(self, reason: str) -> None:
        self.loading.setText(f"No debrief: {reason}")
