"""The one adapter from the Qt-free core's plain callbacks to Qt signals.

Views connect to these signals; they never subscribe to the core directly, so every core event
reaches widgets on the GUI thread through one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer, Signal

from stratus_commander.errors import StratusError
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.follow import Follower
from stratus_commander.timeline import Event

log = logging.getLogger(__name__)


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
    #: (incident id or None, seq) — another process committed an event (team mode); emitted on
    #: the store's watcher thread, delivered queued on the GUI thread.
    _remote = Signal(object, int)
    #: the team's prober committed samples or a flip (team mode), delivered as ``_remote`` is
    _samples = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self.batching = False
        self._follower: Follower | None = None
        self._stop_watching: Callable[[], None] | None = None
        self._remote.connect(self._on_remote)
        self._samples_listener: Callable[[], object] | None = None
        self._samples.connect(self._on_samples)

    def start_ticking(self) -> None:
        self._timer.start()

    def stop_ticking(self) -> None:
        self._timer.stop()

    def watch_incidents(self, incidents: Incidents) -> None:
        incidents.subscribe(self._on_incident_event)

    def follow_team(self, incidents: Incidents) -> bool:
        """Team mode: events other cockpits commit reach ``incident_event`` as our own do (see
        ``incident/follow.py``), and notices of the team's samples reach the listener
        :meth:`on_team_samples` sets. False for a database no one else writes to."""
        follower = Follower(incidents)
        stop = incidents.store.watch(self._remote.emit, self._samples.emit)
        if stop is None:
            follower.close()
            return False
        self._follower, self._stop_watching = follower, stop
        return True

    def stop_following(self) -> None:
        """Stop the watcher (before the store closes)."""
        stop, self._stop_watching = self._stop_watching, None
        if stop is not None:
            stop()
        if self._follower is not None:
            self._follower.close()
            self._follower = None

    def on_team_samples(self, listener: Callable[[], object] | None) -> None:
        """Call ``listener()`` on this thread when the team's prober wrote samples."""
        self._samples_listener = listener

    def _on_samples(self) -> None:
        if self._samples_listener is None:
            return
        try:
            self._samples_listener()
        except StratusError as exc:  # the server went away: the next notice catches up
            log.warning("live updates: cannot read the team's samples: %s", exc)

    def _on_remote(self, incident_id: int | None, seq: int) -> None:
        if self._follower is None:
            return
        try:
            self._follower.catch_up(incident_id, seq)
        except StratusError as exc:  # the server went away: the next notice catches up
            log.warning("live updates: cannot read INC-%s: %s", incident_id, exc)

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
