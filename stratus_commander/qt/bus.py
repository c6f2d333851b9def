"""The one adapter from the Qt-free core's plain callbacks to Qt signals.

Views connect to these signals; they never subscribe to the core directly, so every core event
reaches widgets on the GUI thread through one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
    #: the end of a batch of probe reports (see :meth:`batch`).
    batch_done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self.batching = False

    def start_ticking(self) -> None:
        self._timer.start()

    def stop_ticking(self) -> None:
        self._timer.stop()

    def watch_incidents(self, incidents: Incidents) -> None:
        incidents.subscribe(self._on_incident_event)

    def watch_probes(self, probes: object) -> None:
        """``probes`` is a LiveProbes (duck-typed so tests can feed a fake); it calls back on
        this thread's loop, so the signals are emitted on the GUI thread."""
        probes.on_result(self.probe_result.emit)  # type: ignore[attr-defined]
        probes.on_state_change(self.probe_flip.emit)  # type: ignore[attr-defined]
        probes.deliver_within(self.batch)  # type: ignore[attr-defined]

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Signals emitted inside are one batch: views may redraw once, on ``batch_done``."""
        self.batching = True
        try:
            yield
        finally:
            self.batching = False
            self.batch_done.emit()

    def _on_incident_event(self, incident: Incident, event: Event) -> None:
        self.incident_event.emit(incident, event)
