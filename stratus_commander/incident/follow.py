"""Following the events other cockpits commit (team mode), announced as if they were our own.

The store's watcher (``Store.watch``) says "incident N has an event numbered S" on its own
thread; whoever owns the :class:`Incidents` hands that to :meth:`Follower.catch_up` on its own
thread (the GUI's bus does). The follower reads the events this process has not announced yet
and announces them through ``Incidents.announce``, in order and once each: our own events, told
at once when committed, come back as notices too and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from stratus_commander.incident.model import Incident, Incidents
from stratus_commander.timeline import Event


class Follower:
    """Announces to ``incidents``' listeners what other processes append."""

    def __init__(self, incidents: Incidents) -> None:
        self.incidents = incidents
        #: per incident, the highest seq its listeners have been told of
        self._told: dict[int, int] = {}
        self._unsubscribe = incidents.subscribe(self._saw)

    def close(self) -> None:
        self._unsubscribe()

    def _saw(self, incident: Incident, event: Event) -> None:
        if event.seq > self._told.get(incident.id, 0):
            self._told[incident.id] = event.seq

    def catch_up(self, incident_id: int | None, seq: int) -> list[Event]:
        """Announce what is new after a notice that ``incident_id`` has event ``seq`` (all the
        incidents already followed when ``incident_id`` is ``None``); returns what was told."""
        if incident_id is None:
            told: list[Event] = []
            for known, after in list(self._told.items()):
                told += self._catch_up(known, partial(_newer, after))
            return told
        if seq <= self._told.get(incident_id, 0):
            return []  # ours, or told already
        if incident_id in self._told:
            return self._catch_up(incident_id, partial(_newer, self._told[incident_id]))
        # First notice of an incident: what came before it was there when the views read it.
        return self._catch_up(incident_id, partial(_newer, seq - 1))

    def _catch_up(self, incident_id: int, new: Callable[[Event], bool]) -> list[Event]:
        events = [e for e in self.incidents.events(incident_id) if new(e)]
        if not events:
            return []
        incident = self.incidents.get(incident_id)  # as it is now, as live.py announces
        for event in events:
            if event.seq > self._told.get(incident_id, 0):  # a listener may have caught up
                self.incidents.announce(incident, event)
        return events


def _newer(seq: int, event: Event) -> bool:
    return event.seq > seq
