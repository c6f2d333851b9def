"""The clock rail: every runbook clock as a big tile, most urgent first, updated every tick.

Each tile says its state three ways — shape (○ ◐ ▲ ✓ ⧗), word (PENDING, DUE SOON, OVERDUE, MET,
LATE) and colour — and shows ``mm:ss`` left, or ``+mm:ss`` overdue. A clock met after its deadline
is LATE, never the green ✓: its digits say how late (``55:00 late``). Readings come from
:func:`stratus_commander.incident.deadlines.clocks` (stored times and the injected clock), so a
reopened
cockpit shows exactly what it showed before. Before a declaration only DECLARE runs, from the
first failing evidence (:meth:`ClockRail.set_detection`).

New warnings (due soon, overdue; once per clock and transition) are emitted as ``alerts``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from stratus_commander.clock import Clock
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.alerts import AlertTracker, by_urgency
from stratus_commander.incident.comms import format_time
from stratus_commander.incident.deadlines import (
    ClockReading,
    ClockState,
    clocks,
    declare_clock,
    reading,
)
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import shapes
from stratus_commander.qt.panel_kit import CockpitPanel
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import countdown, human_duration
from stratus_commander.timeline import Event

__all__ = ["ClockRail", "ClockTile"]

_STARTS_AT = {
    "detected": "starts at the first failing probe",
    "declared": "starts at declaration",
    "last_update": "starts at the first status update",
    "resolved": "starts at resolution",
}
ICON_SIZE = 26


def _time(dt: datetime) -> str:
    return format_time(dt, date=False)


class ClockTile(QFrame):
    """One clock: shape + label, big digits, state word, and when it is due or was met."""

    def __init__(self, clock_id: str, label: str, anchor: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.clock_id = clock_id
        self.anchor = anchor
        self.setObjectName("clockTile")
        self.setProperty("state", "waiting")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(170)
        self.icon = QLabel()
        self.icon.setFixedSize(ICON_SIZE, ICON_SIZE)
        self.label = QLabel(label)
        self.label.setObjectName("clockLabel")
        self.label.setWordWrap(True)
        self.digits = QLabel("--:--")
        self.digits.setObjectName("clockDigits")
        font = self.digits.font()
        font.setFamilies(["DejaVu Sans Mono", "Menlo", "Consolas", "monospace"])
        font.setStyleHint(font.StyleHint.Monospace)
        self.digits.setFont(font)
        self.state_word = QLabel()
        self.state_word.setObjectName("clockState")
        self.detail = QLabel()
        self.detail.setObjectName("clockDetail")
        self.detail.setWordWrap(True)
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.label, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 8, 10, 8)
        box.setSpacing(2)
        box.addLayout(top)
        box.addWidget(self.digits)
        box.addWidget(self.state_word)
        box.addWidget(self.detail)
        self._state: ClockState | None = None

    @property
    def state(self) -> ClockState | None:
        return self._state

    def show_reading(self, r: ClockReading, who: str = "") -> None:
        if r.state is not self._state:
            self._state = r.state
            labels = (self.label, self.digits, self.state_word, self.detail)
            theme.set_state(self, r.state.value, also=labels)
            self.refresh_icon()
        shape_word = shapes.CLOCK_SHAPE[r.state][1]
        _set(self.state_word, shape_word)
        _set(self.digits, self._digits(r))
        _set(self.detail, self._detail(r, who))
        self.setAccessibleName(f"{self.label.text()}: {shape_word}, {self.digits.text()}")

    def refresh_icon(self) -> None:
        if self._state is None:
            return
        shape = shapes.CLOCK_SHAPE[self._state][0]
        color = shapes.clock_colors(self._state)
        self.icon.setPixmap(shapes.shape_pixmap(shape, color, ICON_SIZE, self.devicePixelRatioF()))

    def _digits(self, r: ClockReading) -> str:
        if r.state is ClockState.MET and r.met_at is not None:
            # "11:26" alone would read as a countdown; done clocks say when, in words.
            return "done " + r.met_at.astimezone().strftime("%H:%M")
        if r.late_by is not None:
            return f"{_late(r.late_by)} late"
        return r.countdown()

    def _detail(self, r: ClockReading, who: str) -> str:
        if r.state is ClockState.WAITING or r.due_at is None:
            text = _STARTS_AT.get(self.anchor, "not started")
        elif r.state is ClockState.MET and r.met_at is not None and r.remaining is not None:
            text = f"met at {_time(r.met_at)} · {countdown(r.remaining)} to spare"
        elif r.state is ClockState.LATE and r.met_at is not None:
            days = r.met_at.date() != r.due_at.date()  # "done 01:32" alone hides 11 days
            done, due = (format_time(t, date=days) for t in (r.met_at, r.due_at))
            text = f"done {done}, was due {due}"
        elif r.state is ClockState.OVERDUE:
            text = f"was due {_time(r.due_at)}"
        elif r.state in (ClockState.MISSED, ClockState.NOT_NEEDED):
            text = f"was due {_time(r.due_at)} · stopped at resolution"
        else:
            text = f"due {_time(r.due_at)}"
        if who and r.state in (ClockState.PENDING, ClockState.DUE_SOON, ClockState.OVERDUE):
            text += f"\n→ {who}"
        return text


def _late(by: timedelta) -> str:
    """``55:00``, ``1:25:00``; beyond a day ``12 d 16 h`` (nobody reads 304:38:07)."""
    return countdown(by) if by < timedelta(days=1) else human_duration(by)


def _clock_fields(incident: Incident) -> Incident:
    return replace(incident, event_count=0, head_hash="")


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


class ClockRail(CockpitPanel):
    """All runbook clocks of the incident on screen (or DECLARE alone before one is declared)."""

    #: list[Alert] — warnings not raised before for this incident.
    alerts = Signal(list)

    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        self.detected_at: datetime | None = None
        self.readings: list[ClockReading] = []
        self._tracker = AlertTracker()
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 6, 8, 6)
        self._layout.setSpacing(8)
        self.tiles: dict[str, ClockTile] = {
            c.id: ClockTile(c.id, c.label, c.anchor, self) for c in runbook.clocks
        }
        self._order: list[str] = []
        bus.tick.connect(self.refresh)
        bus.incident_event.connect(self._on_event)
        self.refresh()

    def set_incident(self, incident: Incident | None) -> None:
        if incident is None or self.incident is None or incident.id != self.incident.id:
            self._tracker.reset()
        self.incident = incident
        self.refresh()

    def set_detection(self, detected_at: datetime | None) -> None:
        """Before a declaration: the first failing evidence starts the DECLARE clock."""
        self.detected_at = detected_at
        self.refresh()

    def order(self) -> list[str]:
        """Clock ids as shown, left to right."""
        return list(self._order)

    def _on_event(self, incident: Incident, event: Event) -> None:
        if self.incident is None or incident.id != self.incident.id:
            return
        before, self.incident = self.incident, incident
        # Most events (notes, flips, ticks) move no clock: the next tick is soon enough.
        if _clock_fields(before) != _clock_fields(incident):
            self.refresh()

    def _readings(self, now: datetime) -> list[ClockReading]:
        if self.incident is not None:
            return clocks(self.incident, self.runbook, now)
        out = []
        for c in self.runbook.clocks:
            if c.id == "declare" and self.detected_at is not None:
                out.append(declare_clock(self.runbook, self.detected_at, now))
            else:
                out.append(reading(c, None, None, c.due_after_for("Critical"), now))
        return out

    def refresh(self) -> None:
        now = self.clock.now()
        self.readings = self._readings(now)
        who = ""
        if self.incident is not None:
            who = ", ".join(self.runbook.escalation_for(self.incident.impact).who)
        for r in self.readings:
            self.tiles[r.id].show_reading(r, who if r.id == "escalate" else "")
        order = [r.id for r in by_urgency(self.readings)]
        if order != self._order:
            self._order = order
            for clock_id in order:
                self._layout.removeWidget(self.tiles[clock_id])
            for clock_id in order:
                self._layout.addWidget(self.tiles[clock_id])
        new = self._tracker.update(self.readings)
        if new:
            self.alerts.emit(new)

    def refresh_icons(self) -> None:
        """The palette changed: repaint the shapes in its colours."""
        for tile in self.tiles.values():
            tile.refresh_icon()
