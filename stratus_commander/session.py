"""One run's wiring, Qt-free: the store, the runbook, the incidents, who acts, the clock, the
probe config and the live probes, each built once, when first asked for.

    with Session(db_path, access=Access.READ, runbook_path=None) as session:
        incident = session.incidents.get(1)          # opens the store (read-only here)
        clocks(incident, session.runbook, session.clock.now())

The command line opens one per command; the cockpit (:mod:`stratus_commander.qt.session`)
layers its bus and windows on one, as FeelUOwn's ``GuiApp`` does on its Qt-free ``App``.
Parts are made in the order the caller asks for them, so a command that never needs the runbook
is never refused for it, and an error names the first thing that is wrong, as it would without
the session. ``await stop_probes()`` stops the live probes; ``close()`` (or leaving the ``with``
block) closes the store. Deliberate errors are :class:`~stratus_commander.errors.StratusError`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from stratus_commander.actors import current_person
from stratus_commander.clock import Clock, SystemClock
from stratus_commander.errors import StoreError, StoreUnreachable
from stratus_commander.incident import Incident, Incidents
from stratus_commander.paths import outbox_path
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import Location, Store, as_location, is_postgres_url, open_store

if TYPE_CHECKING:  # probing (pydantic, httpx, the probe kinds) loads only when asked for
    from stratus_commander.drill.scenario import Scenario
    from stratus_commander.incident.outbox import Replayed
    from stratus_commander.live import LiveProbes
    from stratus_commander.probes.config import Config
    from stratus_commander.probes.spec import ProbeSpec
    from stratus_commander.store.offline import TeamLink

__all__ = ["Access", "Session", "drill_heading", "scenario_choices"]

log = logging.getLogger(__name__)


class Access(enum.Enum):
    """How the store is opened: what the run will do with it."""

    #: A reading command: nothing is written or created (a mistyped path is an error, not an
    #: empty history), and a read-only file works.
    READ = "read"
    #: A recording command: the file is created when missing, and refused when read-only or its
    #: timeline is damaged (checked up front: a one-off writer reads it all anyway).
    RECORD = "record"
    #: The cockpit: created when missing; damage is met, and reported, as it is read.
    COCKPIT = "cockpit"


class Session:
    """The parts of one run, built once and closed in order (the store last)."""

    def __init__(
        self,
        db_path: Path | str,
        *,
        access: Access = Access.COCKPIT,
        runbook_path: Path | None = None,
        runbook: Runbook | None = None,
        config_path: Path | None = None,
        clock: Clock | None = None,
        actor: str | None = None,
        store: Store | None = None,
    ) -> None:
        """``runbook``: one already loaded (else ``runbook_path`` is, when first needed; None:
        the bundled one). ``config_path`` None: no probe config. ``actor``: who signs what this
        run records (default: the signed-in user). ``db_path``: the database's location, a file
        or a ``postgresql://`` URL (kept as text). ``store``: the database already open there,
        as ``access`` would open it (the GUI connects to a team server off its UI thread); the
        session closes it."""
        self.db_path: Location = as_location(db_path)
        self._opened = store
        self.access = access
        self.runbook_path = runbook_path
        self.config_path = config_path
        self.clock = clock or SystemClock()
        self.actor = actor or current_person()
        if runbook is not None:
            self.runbook = runbook  # fills the cached property
        #: the live probes (or the drill's), once started
        self.live: LiveProbes | None = None
        #: team database: what opening it sent of the outbox an earlier run left waiting
        self.replayed: Replayed | None = None
        self._closing: list[asyncio.Future[None]] = []  # probes being replaced by a drill

    # --- the parts ----------------------------------------------------------------------------

    @cached_property
    def store(self) -> Store:
        if self._opened is not None and self.access is not Access.COCKPIT:
            return self._opened
        if self.access is Access.READ:
            try:
                return open_store(self.db_path, create=False, readonly=True)
            except StoreUnreachable as exc:  # nothing to read offline: say what there is
                raise StoreUnreachable(
                    f"{exc.message}; reading needs the server (`stratus-commander outbox show` "
                    "lists what waits on this machine for it)",
                    where=exc.where,
                ) from exc
        check = self.access is Access.RECORD
        if not isinstance(self.db_path, str):
            return (
                self._opened if self._opened is not None else open_store(self.db_path, check=check)
            )
        # A team database: the cockpit and the recording commands work on without its server
        # (their actions queue in the local outbox), even when it is away from the start.
        from stratus_commander.incident.outbox import replay
        from stratus_commander.store.offline import OfflineStore
        from stratus_commander.store.outbox import Outbox
        from stratus_commander.store.postgres.url import parse_url

        url = self.db_path
        first = [self._opened]  # opened off the UI thread (the GUI): the first connection

        def opener() -> Store:  # and each reconnection, anew
            if first[0] is not None:
                opened, first[0] = first[0], None
                return opened
            return open_store(url, check=check)

        outbox = Outbox(outbox_path(parse_url(url).shown))
        store = OfflineStore.open(url, opener, outbox, self.clock, guess=check)
        try:
            self.replayed = replay(store, self.clock)  # what an earlier run left goes first
        except StoreError as exc:  # the server refused (a lock held too long): it waits
            log.warning("the team outbox waits: %s", exc)
            store.link.problem = str(exc)
        return store

    @property
    def team_link(self) -> TeamLink | None:
        """The team server's state as the cockpit shows it (None: not a team database)."""
        store = self.__dict__.get("store")
        return getattr(store, "link", None)

    def team_server_answers(self) -> bool:
        """Whether the team server takes a connection now (False: not a team database). Safe
        from another thread: the cockpit asks there while the server is away."""
        store = self.__dict__.get("store")
        answers = getattr(store, "server_answers", None)
        return bool(answers()) if answers is not None else False

    def send_outbox(self) -> bool:
        """Look after the team server (the cockpit calls this every few seconds): while all is
        well, notice that it went away (one cheap read); else send what waits in the outbox
        once it answers again. Whether anything changed: sent, or the server back."""
        from stratus_commander.incident.outbox import replay
        from stratus_commander.store.offline import OfflineStore

        store = self.__dict__.get("store")
        if not isinstance(store, OfflineStore):
            return False
        if store.link.clear:
            store.ping()
            return False
        away = not store.link.reachable
        done = replay(store, self.clock)
        return bool(done.sent or done.set_aside or (away and store.link.reachable))

    @cached_property
    def incidents(self) -> Incidents:
        return Incidents(self.store, self.clock, actor=self.actor)

    @cached_property
    def runbook(self) -> Runbook:
        return load_runbook(self.runbook_path)

    @cached_property
    def config(self) -> Config | None:
        """The probe config, validated (else :class:`ConfigError`); None without a file."""
        if self.config_path is None or not self.config_path.exists():
            return None
        from stratus_commander.probes.config import (
            load_config,  # pydantic models: only with a config
        )

        config = load_config(self.config_path)
        for warning in config.warnings:
            log.warning("%s", warning)
        return config

    @property
    def probe_specs(self) -> list[ProbeSpec]:
        return self.config.probes if self.config is not None else []

    @property
    def team(self) -> bool:
        """Team mode (a PostgreSQL database): the team's one prober (``probe --record``) writes
        the samples; a cockpit starts probes of its own only when asked."""
        return is_postgres_url(self.db_path)

    def probe_note(self) -> str:
        """What the welcome page says about probing."""
        if self.team:
            return (
                "Team mode: the team's prober (`stratus-commander probe --record`) writes the "
                "probe samples and flips; Incident ▸ Probe from this cockpit starts this "
                "cockpit's own."
            )
        if self.config is None:
            return (
                f"No probe config at {self.config_path}: the triage panels show manual checks "
                "only. `stratus-commander config check` explains the format; "
                "`stratus-commander drill` rehearses with simulated probes."
            )
        return f"Probing {len(self.config.probes)} target(s) from {self.config_path}."

    def last_real_incident(self) -> Incident | None:
        """The newest open incident that is not a drill (a forgotten drill must not greet an
        outage)."""
        return next((i for i in self.incidents.list(open_only=True) if not i.drill), None)

    # --- live probes --------------------------------------------------------------------------

    @property
    def isolated(self) -> bool:
        """Probes run in their own process; a test that drives time keeps them on a thread,
        where its fake clock reaches them."""
        return isinstance(self.clock, SystemClock)

    def live_probes(self, current: Callable[[], int | None]) -> LiveProbes | None:
        """Live probes of what the config lists, not yet started (None: nothing to probe).
        ``current``: the incident their flips belong to."""
        if not self.probe_specs:
            return None
        from stratus_commander.live import LiveProbes

        self._stop_live()
        self.live = LiveProbes(
            self.probe_specs,
            self.db_path,
            self.incidents,
            current,
            clock=self.clock,
            isolated=self.isolated,
            retention=self.config.retention if self.config is not None else None,
        )
        return self.live

    def drill_probes(
        self, scenario: Scenario | str, speed: float, current: Callable[[], int | None]
    ) -> LiveProbes:
        """The drill's simulator, started, and its probes, not yet: they replace any probing
        (which starts closing now)."""
        from stratus_commander.live import LiveProbes

        self._stop_live()
        self.live = LiveProbes.drill(
            scenario,
            speed,
            self.db_path,
            self.incidents,
            current,
            clock=self.clock,
            simulator_clock=self.clock,  # one time for the runbook, the probes and the drill
            isolated=self.isolated,
        )
        return self.live

    def _stop_live(self) -> None:
        if self.live is not None:  # on the running loop; aclose() waits for it
            self._closing.append(asyncio.ensure_future(self.live.aclose()))
            self.live = None

    # --- lifetime -----------------------------------------------------------------------------

    async def stop_probes(self) -> None:
        """Stop the live probes, and any being replaced: they write what they saw."""
        try:
            await asyncio.gather(*self._closing)
            if self.live is not None:
                await self.live.aclose()
        finally:
            self.live = None
            self._closing = []

    def close(self) -> None:
        """Close the store, if it was opened (closing it again does nothing)."""
        if "store" in self.__dict__:  # the cached property: never opened, nothing to close
            self.store.close()
        elif self._opened is not None:  # handed in, never used
            self._opened.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def scenario_choices() -> list[tuple[str, str]]:
    """(name, title) of each bundled drill, read without loading the simulator (start-up time)."""
    from stratus_commander.drill.files import available_scenarios, scenario_file, scenario_title

    return [(name, scenario_title(scenario_file(name))) for name in available_scenarios()]


def drill_heading(scenario: str) -> tuple[Scenario | str, str]:
    """What ``drill SCENARIO`` plays, and its title, before its cockpit's first frame.

    A bundled drill stays a name: its title is read without loading it (the simulator loads it
    when it starts; the test suite loads every bundled one). An unknown name is an
    :class:`~stratus_commander.errors.InputError` listing the bundled ones. A scenario file of
    the commander's is loaded, and so checked, now.
    """
    from stratus_commander.drill.files import is_scenario_file, scenario_file, scenario_title

    if is_scenario_file(scenario):
        from stratus_commander.drill.scenario import load_scenario

        loaded = load_scenario(scenario)
        return loaded, loaded.title
    return scenario, scenario_title(scenario_file(scenario))
