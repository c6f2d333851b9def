"""The one adapter from the Qt-free core's plain callbacks to Qt signals.

Views connect to these signals; they never subscribe to the core directly, so every core event
reaches widgets on the GUI thread through one place.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from stratus_commander.incident import Incident, Incidents
from stratus_commander.timeline import Event


class Bus(QObject):
    #: (Incident after the event, Event) — every committed timeline event.
    incident_event = Signal(object, object)
    #: ProbeResult — every probe sample.
    probe_result = Signal(object)
    #: StateChange — a probe's displayed state flipped.
    probe_flip = Signal(object)
    #: once a second, for countdowns (driven by a QTimer; tests emit it by hand).
    tick = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    def start_ticking(self) -> None:
        self._timer.start()

    def stop_ticking(self) -> None:
        self._timer.stop()

    def watch_incidents(self, incidents: Incidents) -> None:
        incidents.subscribe(self._on_incident_event)

    def watch_engine(self, engine: object) -> None:
        """``engine`` is a ProbeEngine (duck-typed so tests can feed a fake)."""
        engine.on_result(self.probe_result.emit)  # type: ignore[attr-defined]
        engine.on_state_change(self.probe_flip.emit)  # type: ignore[attr-defined]

    def _on_incident_event(self, incident: Incident, event: Event) -> None:
        self.incident_event.emit(incident, event)
