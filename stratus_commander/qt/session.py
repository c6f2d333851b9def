"""One run of the cockpit: the Qt parts (the bus, the window, the crash reporter) layered on a
Qt-free :class:`~stratus_commander.session.Session` (the store, the runbook, the incidents, the
live probes), started and closed in order. Imported by :mod:`stratus_commander.qt.app` once the
splash is on screen.

A team database opened from the library (Incident ▸ Open team database…) opens its incidents in
team cockpits of this app (:class:`CockpitApp` is the library's ``TeamCockpits``): one per URL,
each a :class:`CockpitApp` of its own over a session on that database, following it live as
``--db postgresql://`` does, and closed with this one.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction

from stratus_commander.errors import StratusError
from stratus_commander.logs import log_path
from stratus_commander.qt.application import ensure_app
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.cockpit.team_status import TeamServerStatus
from stratus_commander.qt.crash import CrashReporter
from stratus_commander.qt.tasks import Tasks
from stratus_commander.session import Session, scenario_choices
from stratus_commander.store import Store

if TYPE_CHECKING:  # probing (httpx, the probe kinds) loads once the window is up
    from stratus_commander.drill.scenario import Scenario
    from stratus_commander.live import LiveProbes
    from stratus_commander.probes.team import TeamProbes

__all__ = ["CockpitApp", "settle_heap"]

log = logging.getLogger(__name__)

HEAP_SETTLE_S = 5.0


def settle_heap() -> None:
    """Move everything alive after start-up out of the collector's sight (``gc.freeze``).

    The modules, Qt wrappers and pyqtgraph items of a running cockpit are a large, static heap;
    a full collection walked all of it and stalled the UI ~70 ms. Frozen, it takes a few ms.
    """
    gc.collect()
    gc.freeze()


def _team_settings(main: QSettings) -> QSettings:
    """A team cockpit's own window layout, in a file beside the main cockpit's: opening one does
    not put it exactly over the main window, and closing it does not move the main one's."""
    path = Path(main.fileName())
    return QSettings(str(path.with_name(f"team-{path.name}")), main.format())


class CockpitApp:
    """One run of the GUI: the bus and the cockpit window over a session, which it closes."""

    def __init__(
        self,
        session: Session,
        *,
        settings: QSettings,
        probe_note: str = "",
        drill_speed: float = 1.0,
    ) -> None:
        ensure_app()  # the loop must outlive any window closing (quitOnLastWindowClosed off)
        self.session = session
        self.drill_speed = drill_speed
        self.settings = settings
        self.incidents = session.incidents  # opens the store
        self.bus = Bus()
        self.bus.watch_incidents(self.incidents)
        self.bus.follow_team(self.incidents)  # team mode: other cockpits' events, live
        self.window = Cockpit(
            self.bus,
            self.incidents,
            session.runbook,
            session.clock,
            db_path=session.db_path,
            settings=self.settings,
            scenarios=scenario_choices,  # read when the welcome page is made
            probe_note=probe_note,
        )
        self.window.drill_requested.connect(self.start_drill)
        self.window.team_cockpits = self
        #: team cockpits opened from the library, by URL (see show_team_incident)
        self.team_apps: dict[str, CockpitApp] = {}
        self._team_runs = Tasks()
        self._teams_stop = asyncio.Event()  # set when this cockpit closes: they close too
        #: team mode: the team prober's samples, read back (until this cockpit probes itself)
        self.team_probes: TeamProbes | None = None
        if session.team:  # the team's prober writes the samples; this cockpit probes if asked
            self.probe_here = QAction("&Probe from this cockpit", self.window)
            self.probe_here.triggered.connect(self.start_probes)
            self.window.menus.incident.addAction(self.probe_here)
        link = session.team_link
        #: the red banner while the team server is away (None: a file database)
        self.team_status = (
            TeamServerStatus(
                self.window.banners,
                link,
                self.send_outbox,
                session.team_server_answers,
                self.window,
            )
            if link is not None
            else None
        )
        #: what a check left for after the first frame refused (:meth:`check_once_shown`)
        self.refused: StratusError | None = None
        #: unhandled exceptions: logged, and a dialog says what is saved (installed by run())
        self.crash = CrashReporter(
            self.window,
            session.db_path,
            self.incidents,
            lambda: self.window.incident_id,
            log_path=log_path(),
        )

    def send_outbox(self) -> None:
        """Send what waits for the team server; the incident shown is read from it again (its
        server number, if it was declared while away). A cockpit that started while the server
        was away, showing no incident, opens the last open one once it answers."""
        try:
            if not self.session.send_outbox():
                return
            if self.window.incident is not None:
                self.window.set_incident(self.incidents.get(self.window.incident.id))
            elif (incident := self.session.last_real_incident()) is not None:
                self.window.set_incident(incident, restore=True)
        except StratusError as exc:  # away again meanwhile: the banner says so; next check
            log.info("team server: %s", exc)

    # --- team cockpits opened from the library ----------------------------------------------------

    def show_team_incident(self, url: str, incident_id: int) -> bool:
        """The incident in the cockpit already open on ``url`` (this one, or one opened from
        the library), in front: True; else False."""
        app = self if self.session.team and self.session.db_path == url else self.team_apps.get(url)
        if app is None or not app.window.isVisible():
            return False
        app.window.open_incident(incident_id)
        app.window.bring_to_front()
        return True

    def open_team_cockpit(self, url: str, incident_id: int, store: Store) -> None:
        """A team cockpit on ``url`` over ``store`` (opened for it off the UI thread), showing
        the incident and following it live; it runs until it or this cockpit closes. Refused
        (:class:`StratusError`, nothing left running) when the incident is not there."""
        old = self.session
        session = Session(
            url,
            runbook=old.runbook,
            config_path=old.config_path,
            clock=old.clock,
            actor=old.actor,
            store=store,
        )
        try:
            asyncio.get_running_loop()  # the GUI's (qasync): what runs the cockpit
            session.incidents.get(incident_id)  # gone meanwhile: NotFound, before anything starts
            app = CockpitApp(
                session, settings=_team_settings(self.settings), probe_note=session.probe_note()
            )
        except BaseException:
            session.close()
            raise
        app.window.team_cockpits = self  # its own team libraries open through this app
        app.window.open_incident(incident_id)
        app.start_probes_unless_team()
        self.team_apps[url] = app
        app.window.closed.connect(lambda: self._team_closed(url, app))  # no longer to be shown
        task = self._team_runs.spawn(app.run(self._teams_stop))  # ends when this one closes
        assert task is not None  # a loop is running (checked above)
        task.add_done_callback(lambda _: self._team_closed(url, app))

    def _team_closed(self, url: str, app: CockpitApp) -> None:
        if self.team_apps.get(url) is app:
            del self.team_apps[url]

    @property
    def live(self) -> LiveProbes | None:
        return self.session.live

    def _current(self) -> int | None:
        return self.window.live_incident_id

    def start_probes(self) -> None:
        """Probe what the config lists (nothing to do without probes)."""
        live = self.session.live_probes(self._current)
        if live is not None:
            self._stop_team_probes()  # our own samples from now on, not read back twice
            self._attach(live, drill=False)
            if self.session.team:
                self.probe_here.setEnabled(False)

    def start_probes_unless_team(self) -> None:
        """Solo: probe at once (a child process). Team mode: show the team prober's samples
        (read back when it says it wrote some); this cockpit probes only when asked
        (Incident ▸ Probe from this cockpit)."""
        if not self.session.team:
            self.start_probes()
            return
        from stratus_commander.probes.team import TeamProbes

        team = TeamProbes(self.incidents.store, self.session.probe_specs, self.session.clock)
        if not team.specs:
            return  # no probes known yet: nothing to show
        self.team_probes = team
        self.bus.watch_probes(team)
        self.bus.on_team_samples(team.refresh)
        team.start()
        self.window.attach_live(team)  # type: ignore[arg-type]  # what the cockpit reads of it

    def _stop_team_probes(self) -> None:
        if self.team_probes is not None:
            self.bus.on_team_samples(None)
            self.team_probes.running = False
            self.team_probes = None

    def start_drill(self, scenario: Scenario | str, speed: float | None = None) -> None:
        """Start the simulator and probe it (a drill replaces any real probing)."""
        self._stop_team_probes()
        live = self.session.drill_probes(scenario, speed or self.drill_speed, self._current)
        self._attach(live, drill=True)

    def start_drill_once_shown(self, scenario: Scenario | str, title: str, speed: float) -> None:
        """The drill's cockpit first (marked DRILL, ``title``), then the scenario (a name is
        loaded now), the simulator and its probes: the first frame does not wait for them. A
        scenario refused then ends the run as :meth:`check_once_shown` says."""
        self.window.expect_drill(title, speed)
        self.check_once_shown(lambda: self.start_drill(scenario, speed))

    def check_once_shown(self, check: Callable[[], object]) -> None:
        """Run ``check`` just after the cockpit's first frame (what that frame does not need).
        Should it refuse (a :class:`StratusError`: a runbook template that does not parse, a
        scenario file that does not load), the cockpit closes in order and :meth:`run` raises
        the error, as the command would have before its window opened: said in plain words,
        exit 2."""
        self.window.first_frame.connect(lambda: self._check(check))

    def _check(self, check: Callable[[], object]) -> None:
        if self.refused is not None:
            return  # closing already
        try:
            check()
        except StratusError as exc:
            log.error("refused after the first frame: %s", exc)
            self.refused = exc
            self.window.close()

    def _attach(self, live: LiveProbes, *, drill: bool) -> None:
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
        log.info("cockpit open on %s", self.session.db_path)
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
            log.info("cockpit closed; everything it recorded is in %s", self.session.db_path)
            gc.unfreeze()  # the process (or the test session) collects normally again
        if self.refused is not None:
            raise self.refused
        debrief = self.window.debriefs.closing_window  # a drill closed: its debrief stays up
        if debrief is not None and debrief.isVisible() and not (stop and stop.is_set()):
            done = asyncio.Event()
            debrief.closed.connect(done.set)
            await done.wait()

    async def aclose(self) -> None:
        """Stop everything in order (the team cockpits opened from here first); the database
        closes last."""
        self._teams_stop.set()
        await asyncio.gather(*self._team_runs.pending(), return_exceptions=True)
        self.bus.stop_ticking()
        if self.team_status is not None:
            self.team_status.close()
        if self.window.isVisible():
            self.window.close()
        tasks = self.window.pending_tasks()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.bus.stop_following()
        try:
            await self.session.stop_probes()
        finally:
            self.crash.uninstall()  # before its dialog goes with the window
            self.window.deleteLater()
            self.session.close()
