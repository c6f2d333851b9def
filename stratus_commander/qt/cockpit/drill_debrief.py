"""The cockpit in a drill: what it records for the debrief, and when it opens the debrief.

- The drill run (scenario, when it started, speed) goes into the drill incident's declaration.
- Each tab the commander switches to is a ``viewed`` timeline event (only the debrief shows it).
- The debrief opens in a window of its own when a drill incident resolves, and when the drill's
  window closes with a drill incident whose debrief has not been shown (the app then waits
  for that window: ``closing_window``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from stratus_commander.errors import StratusError
from stratus_commander.incident import DrillRun, Incident, Incidents
from stratus_commander.qt.cockpit.notify import BannerArea
from stratus_commander.qt.cockpit.work_area import TABS
from stratus_commander.timeline import Event

if TYPE_CHECKING:  # the debrief (review, credits, the drill's scenarios) loads when first needed
    from stratus_commander.qt.review.debrief_view import DebriefWindow
    from stratus_commander.runbook import Runbook

__all__ = ["DrillDebriefs", "drill_run_now"]

log = logging.getLogger(__name__)


def drill_run_now(simulator: Any) -> DrillRun | None:
    """The running simulator's drill run: its scenario's name, and when scenario time 0 was
    (now less the scenario time elapsed, at its speed)."""
    if simulator is None:
        return None
    speed = float(simulator.clock.speed)
    elapsed: timedelta = simulator.elapsed()
    started = simulator.clock.clock.now() - elapsed / speed
    scenario = simulator.scenario
    return DrillRun(scenario.name, started, speed, source=scenario.source or None)


class DrillCockpit(Protocol):
    """What the instrumentation reads of its cockpit (the window imports this module)."""

    incident: Incident | None
    drill: bool
    live: Any  # the running probes (their simulator), or None
    incidents: Incidents
    runbook: Runbook
    banners: BannerArea


class DrillDebriefs:
    """A cockpit's drill instrumentation (see the module docstring)."""

    def __init__(self, window: DrillCockpit) -> None:
        self.window = window
        self.windows: dict[int, DebriefWindow] = {}
        self.closing_window: DebriefWindow | None = None

    def _drill_incident(self) -> Incident | None:
        incident = self.window.incident
        if not self.window.drill or incident is None or not incident.drill:
            return None
        return incident

    def drill_run(self) -> DrillRun | None:
        """What a drill incident declared now records (None outside a drill)."""
        live = self.window.live
        if not self.window.drill or live is None:
            return None
        return drill_run_now(live.simulator)

    def tab_shown(self, index: int) -> None:
        incident = self._drill_incident()
        if incident is None or not incident.is_open or not 0 <= index < len(TABS):
            return
        from stratus_commander.debrief import record_view

        try:
            record_view(self.window.incidents, incident.id, TABS[index])
        except StratusError as exc:  # attention is not worth an error dialog mid-drill
            log.warning("tab view not recorded: %s", exc)

    def on_event(self, incident: Incident, event: Event) -> None:
        resolved = event.kind == "status_changed" and event.data.get("to") == "resolved"
        if resolved and incident.drill and self.window.drill:
            self.open(incident.id)

    def at_close(self) -> None:
        incident = self._drill_incident()
        if incident is not None and incident.id not in self.windows:
            self.closing_window = self.open(incident.id)

    def open(self, incident_id: int) -> DebriefWindow | None:
        """Build and show the drill's debrief (the same window, refreshed, if it is open)."""
        from stratus_commander.debrief import build_debrief
        from stratus_commander.qt.review.debrief_view import DebriefWindow

        try:
            debrief = build_debrief(self.window.incidents, self.window.runbook, incident_id)
        except StratusError as exc:
            self.window.banners.show_banner("debrief", "soon", f"No debrief: {exc}")
            return None
        old = self.windows.get(incident_id)
        if old is not None and old.isVisible():
            old.view.show_debrief(debrief)
            old.raise_()
            return old
        shown = DebriefWindow(debrief)  # no parent: it outlives the drill's window
        self.windows[incident_id] = shown
        shown.show()
        return shown
