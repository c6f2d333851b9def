"""One run of the cockpit: the store, the bus, the window and the live probes, started and
closed in order. Imported by :mod:`stratus_commander.qt.app` once the splash is on screen.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

from stratus_commander.actors import current_person
from stratus_commander.clock import Clock, SystemClock
from stratus_commander.incident import Incident, Incidents
from stratus_commander.logs import log_path
from stratus_commander.qt.app import ensure_app
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.crash import CrashReporter
from stratus_commander.resources import resource_path
from stratus_commander.runbook import Runbook
from stratus_commander.store import open_store

if TYPE_CHECKING:  # probing (httpx, the probe kinds) loads once the window is up
    from stratus_commander.drill.scenario import Scenario
    from stratus_commander.live import LiveProbes
    from stratus_commander.probes.base import ProbeSpec

__all__ = ["CockpitApp", "last_real_incident", "probe_config", "settle_heap"]

log = logging.getLogger(__name__)

HEAP_SETTLE_S = 5.0


def settle_heap() -> None:
    """Move everything alive after start-up out of the collector's sight (``gc.freeze``).

    The modules, Qt wrappers and pyqtgraph items of a running cockpit are a large, static heap;
    a full collection walked all of it and stalled the UI ~70 ms. Frozen, it takes a few ms.
    """
    gc.collect()
    gc.freeze()


def scenario_choices() -> list[tuple[str, str]]:
    """(name, title) of each bundled drill, read without loading the simulator (start-up time)."""
    out = []
    for path in sorted(resource_path("drills").glob("*.toml")):
        try:
            title = str(tomllib.loads(path.read_text(encoding="utf-8")).get("title", path.stem))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # starting it will report the problem properly
        out.append((path.stem, title))
    return out


def last_real_incident(incidents: Incidents) -> Incident | None:
    """The newest open incident that is not a drill (a forgotten drill must not greet an outage)."""
    return next((i for i in incidents.list(open_only=True) if not i.drill), None)


class CockpitApp:
    """One run of the GUI: the store, the bus, the cockpit window and the live probes."""

    def __init__(
        self,
        db_path: Path,
        runbook: Runbook,
        *,
        specs: list[ProbeSpec] | None = None,
        probe_note: str = "",
        clock: Clock | None = None,
        settings: QSettings,
        drill_speed: float = 1.0,
    ) -> None:
        ensure_app()  # the loop must outlive any window closing (quitOnLastWindowClosed off)
        self.db_path = Path(db_path)
        self.clock = clock or SystemClock()
        # Probes run in their own process; a test that drives time keeps them on a thread, where
        # its fake clock reaches them.
        self.isolated = isinstance(self.clock, SystemClock)
        self.specs = specs or []
        self.drill_speed = drill_speed
        self.settings = settings
        self.store = open_store(self.db_path)
        self.incidents = Incidents(self.store, self.clock, actor=current_person())
        self.bus = Bus()
        self.bus.watch_incidents(self.incidents)
        self.window = Cockpit(
            self.bus,
            self.incidents,
            runbook,
            self.clock,
            db_path=self.db_path,
            settings=self.settings,
            scenarios=scenario_choices(),
            probe_note=probe_note,
        )
        self.window.drill_requested.connect(self.start_drill)
        #: unhandled exceptions: logged, and a dialog says what is saved (installed by run())
        self.crash = CrashReporter(
            self.window,
            self.db_path,
            self.incidents,
            lambda: self.window.incident_id,
            log_path=log_path(),
        )
        self.live: LiveProbes | None = None
        self._closing: list[asyncio.Future[None]] = []  # probes being replaced by a drill

    def _current(self) -> int | None:
        return self.window.live_incident_id

    def start_probes(self) -> None:
        """Probe what the config lists (nothing to do without probes)."""
        from stratus_commander.live import LiveProbes

        if self.specs:
            live = LiveProbes(
                self.specs,
                self.db_path,
                self.incidents,
                self._current,
                clock=self.clock,
                isolated=self.isolated,
            )
            self._attach(live, drill=False)

    def start_drill(self, scenario: Scenario | str, speed: float | None = None) -> None:
        """Start the simulator and probe it (a drill replaces any real probing)."""
        from stratus_commander.live import LiveProbes

        if self.live is not None:
            self._closing.append(asyncio.ensure_future(self.live.aclose()))
            self.live = None
        live = LiveProbes.drill(
            scenario,
            speed or self.drill_speed,
            self.db_path,
            self.incidents,
            self._current,
            clock=self.clock,
            simulator_clock=self.clock,  # one time for the runbook, the probes and the drill
            isolated=self.isolated,
        )
        self._attach(live, drill=True)

    def start_drill_once_shown(self, scenario: Scenario, speed: float) -> None:
        """The drill's cockpit first (marked DRILL), then the simulator and its probes: the
        first frame does not wait for them."""
        self.window.expect_drill(scenario.title, speed)
        self.window.first_frame.connect(lambda: self.start_drill(scenario, speed))

    def _attach(self, live: LiveProbes, *, drill: bool) -> None:
        self.live = live
        self.bus.watch_probes(live)
        live.start()
        self.window.attach_live(live, drill=drill)

    async def run(
        self, stop: asyncio.Event | None = None, shown: Callable[[], object] | None = None
    ) -> None:
        """Show the cockpit (then call ``shown``) and wait until it is closed or ``stop`` is set."""
        closed = asyncio.Event()
        self.window.closed.connect(closed.set)
        self.crash.install()
        log.info("cockpit open on %s", self.db_path)
        self.window.show()
        if shown is not None:
            shown()
        self.bus.start_ticking()
        # After the first checks (which import the probe kinds' libraries) the heap is settled.
        settling = asyncio.get_running_loop().call_later(HEAP_SETTLE_S, settle_heap)
        waits = [asyncio.ensure_future(closed.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            settling.cancel()
            for w in waits:
                w.cancel()
            await self.aclose()
            log.info("cockpit closed; everything it recorded is in %s", self.db_path)
            gc.unfreeze()  # the process (or the test session) collects normally again

    async def aclose(self) -> None:
        """Stop everything in order; the database closes last."""
        self.bus.stop_ticking()
        if self.window.isVisible():
            self.window.close()
        tasks = self.window.pending_tasks()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await asyncio.gather(*self._closing)
            if self.live is not None:
                await self.live.aclose()
        finally:
            self.live = None
            self._closing = []
            self.crash.uninstall()  # before its dialog goes with the window
            self.window.deleteLater()
            self.store.close()


def probe_config(config_path: Path) -> tuple[list[ProbeSpec], str]:
    """The probes the config lists, and what the welcome page says about them."""
    if not config_path.exists():
        return [], (
            f"No probe config at {config_path}: the triage panels show manual checks only. "
            "`stratus-commander config check` explains the format; `stratus-commander drill` "
            "rehearses with simulated probes."
        )
    from stratus_commander.config import load_config  # only with a config: pydantic models

    config = load_config(config_path)  # ConfigError (exit 2) before any window opens
    for warning in config.warnings:
        log.warning("%s", warning)
    return config.probes, f"Probing {len(config.probes)} target(s) from {config_path}."
