"""Live probing for the cockpit: the probes at work elsewhere, their reports delivered here.

    live = LiveProbes(config.probes, db_path, incidents, current_incident=lambda: cockpit_id)
    live = LiveProbes.drill("payment-processing-down", 1.0, db_path, incidents, current)
    live.on_result(show_sample); live.on_state_change(show_flip)
    live.start()            # from the event loop that owns the window (qasync in the GUI)
    ...
    await live.aclose()     # stops the probes, writes what they saw, stops the drill

The probes (:class:`~stratus_commander.probes.worker.ProbeWorker`: the engine and the recorder)
run in a child process: 200 checks a second cost most of a CPU core (TLS, JSON, the Stripe
SDK), and on a thread of this process they still starved the UI thread of the GIL. The recorder
writes samples, flips and the flips' ``probe_flipped`` timeline events there, on its own
connection, so the UI thread never waits for SQLite while the probes are busy either. Tests that
drive time with a fake clock pass ``isolated=False``: the same worker then runs on a thread.

Everything the owner hears comes through one queue, in order, on the owner's loop: results,
flips, and the recorder's committed timeline events (announced through ``incidents``, as if the
owner had written them, with the incident as it is by then: a commander's action may have come
in between). Which incident flips belong to is read from ``current_incident`` on the
owner's loop after each incident event, whenever reports arrive and a few times a second, and
passed to the worker.

A worker process that dies (killed, crashed, stopped by a signal meant for it alone) is started
again after a backoff (:class:`Backoff`: 1 s, 2 s, 4 s ... at most 60 s; a process that had run
well for a while starts the count over). Meanwhile :attr:`LiveProbes.problem` says why it stopped
and :attr:`LiveProbes.restart` when the next attempt is due, by the injected clock; both clear
once the new process reports. It is told the last states seen, so a restart is not mistaken for
probes flipping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from stratus_commander.clock import Clock, SystemClock
from stratus_commander.drill import Simulator, drill_secrets, probe_config_toml
from stratus_commander.drill.scenario import Scenario
from stratus_commander.incident import Incident, Incidents
from stratus_commander.probes.base import FAILING, ProbeResult, ProbeState, StateChange
from stratus_commander.probes.config import parse_config
from stratus_commander.probes.feed import ProbeFeed
from stratus_commander.probes.retention import RetentionSettings
from stratus_commander.probes.worker import (
    ProbeWorker,
    Report,
    Setup,
    read_frame,
    write_frame,
)
from stratus_commander.store import as_location

if TYPE_CHECKING:  # pydantic loads with a config's validation, not the first frame
    from stratus_commander.probes.spec import ProbeSpec

__all__ = ["Backoff", "LiveProbes", "Restart"]

log = logging.getLogger(__name__)

SYNC_INTERVAL_S = 0.25  # how soon a newly shown incident starts collecting flips, at worst
STOP_TIMEOUT_S = 15.0
#: A probe process stopped by SIGTERM (or SIGHUP) waits this long for us to ask it to stop before
#: it counts as dead: a logout, ``kill -TERM -PGID`` or a closed terminal signals the whole group,
#: and the child, quicker to finish, says so before our own handler has started closing the
#: cockpit.
SIGTERM_GRACE_S = 3.0

_T = TypeVar("_T")


class _Handover:
    """Reports from another thread, delivered in order on the owner's loop.

    One wake-up of the owner's loop carries everything queued since the last one, so a burst
    of reports (a flip storm) costs the owner one callback, not one per report.
    """

    def __init__(self, owner: asyncio.AbstractEventLoop, deliver: Callable[[list[Any]], None]):
        self._owner = owner
        self._deliver = deliver
        self._items: deque[Any] = deque()
        self._lock = threading.Lock()
        self._wake_pending = False
        self.open = True

    def put(self, item: object) -> None:
        with self._lock:
            if not self.open:
                return
            self._items.append(item)
            wake, self._wake_pending = not self._wake_pending, True
        if wake:
            with contextlib.suppress(RuntimeError):  # the owner's loop closed: nobody to tell
                self._owner.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        """On the owner's loop: deliver everything queued so far."""
        with self._lock:
            self._wake_pending = False
            items = list(self._items)
            self._items.clear()
        if items and self.open:
            self._deliver(items)

    def close(self) -> None:
        """Deliver nothing more (what the probes see while shutting down is not evidence)."""
        with self._lock:
            self.open = False
            self._items.clear()


@dataclass(frozen=True)
class _Died:
    reason: str


@dataclass(frozen=True)
class Backoff:
    """How soon a probe process that died is started again.

    ``first_s`` after the first death, doubling with each death that follows a short run, at
    most ``cap_s``; a process that ran ``healthy_s`` or more before dying starts the count over.
    """

    first_s: float = 1.0
    cap_s: float = 60.0
    healthy_s: float = 120.0

    def delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.first_s * 2.0 ** max(attempt - 1, 0), self.cap_s))

    def next_attempt(self, attempt: int, ran: timedelta | None) -> int:
        """The attempt after ``attempt`` for a process that ran ``ran`` (``None``: never ran)."""
        if ran is not None and ran >= timedelta(seconds=self.healthy_s):
            return 1
        return attempt + 1


@dataclass(frozen=True)
class Restart:
    """The probe process is down; attempt ``attempt`` starts it at ``at`` (``None``: started,
    not heard from yet)."""

    attempt: int
    at: datetime | None = field(default=None)


class _OnThread:
    """The worker on a thread with its own loop (tests with a fake clock)."""

    def __init__(self, setup: Setup, report: Callable[[Report], None], clock: Clock) -> None:
        self.worker = ProbeWorker(setup, report, clock)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="probes", daemon=True)
        self._thread.start()
        self._task: asyncio.Task[None] | None = None  # on the thread's loop

    def start(self) -> None:
        def create() -> None:
            self._task = self._loop.create_task(self.worker.run())

        self._loop.call_soon_threadsafe(create)

    async def run_once(self) -> list[ProbeResult]:
        return await self._on_thread(self.worker.run_once())

    def follow_incident(self, incident_id: int | None) -> None:
        self._loop.call_soon_threadsafe(self.worker.follow_incident, incident_id)

    async def stop(self) -> None:
        async def stop_there() -> None:
            self.worker.listening = False
            if self._task is not None:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            await self.worker.aclose()

        try:
            await self._on_thread(stop_there())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    async def _on_thread(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))


class _InProcess:
    """The worker in a child process, probing from the moment it has read its setup; reports
    arrive as pickled frames on its stdout, read by a thread of ours."""

    def __init__(
        self, setup: Setup, report: Callable[[Report], None], died: Callable[[str], None]
    ) -> None:
        self._report = report
        self._died = died
        self._stopped = threading.Event()
        self._stopping = threading.Event()  # we asked it to stop (else a stop is a death)
        self._proc = subprocess.Popen(
            # Not ``-m``: as __main__ the module's classes would not be the ones pickles name.
            [sys.executable, "-c", "from stratus_commander.probes.worker import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._commands: IO[bytes] = self._proc.stdin
        reports = self._proc.stdout
        self._reader = threading.Thread(
            target=self._read, args=(reports,), name="probe reports", daemon=True
        )
        self._reader.start()
        self._send(setup)

    def follow_incident(self, incident_id: int | None) -> None:
        self._send(("incident", incident_id))

    async def stop(self) -> None:
        self._stopping.set()
        self._send(("stop",))
        if not await asyncio.to_thread(self._stopped.wait, STOP_TIMEOUT_S):
            log.error("the probe process did not stop in %.0f s; killing it", STOP_TIMEOUT_S)
            self._proc.kill()
        await asyncio.to_thread(self._proc.wait)
        await asyncio.to_thread(self._reader.join)
        with contextlib.suppress(OSError):
            self._commands.close()

    def _send(self, message: object) -> None:
        with contextlib.suppress(OSError):  # it died: the reader says so
            write_frame(self._commands, message)

    def _read(self, reports: IO[bytes]) -> None:
        try:
            while True:
                message = read_frame(reports)
                if message is None:  # gone without saying it stopped
                    self._died(f"the probe process exited (code {self._proc.wait()})")
                    return
                if message[0] == "stopped":
                    grace = SIGTERM_GRACE_S if message[1] in ("SIGTERM", "SIGHUP") else 0.0
                    if not self._stopping.wait(grace):  # a SIGTERM meant for it alone
                        self._died(f"the probe process stopped ({message[1]})")
                    return
                if message[0] == "log":  # its log records go to our handlers (one log file)
                    logging.getLogger(message[1].name).handle(message[1])
                    continue
                self._report(message[1])
        finally:
            self._stopped.set()
            reports.close()


class LiveProbes(ProbeFeed):
    """Everything that runs while the cockpit watches: started and closed as one."""

    def __init__(
        self,
        specs: Iterable[ProbeSpec],
        db_path: Path | str,
        incidents: Incidents,
        current_incident: Callable[[], int | None],
        *,
        simulator: Simulator | None = None,
        secrets: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        isolated: bool = True,
        max_concurrency: int = 50,
        batch_interval_s: float = 1.0,
        backoff: Backoff | None = None,
        retention: RetentionSettings | None = None,
    ) -> None:
        super().__init__(specs)
        ids = [s.id for s in self._specs]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate probe ids in {ids}")
        self.incidents = incidents
        self.current_incident = current_incident
        self.simulator = simulator
        #: why the probes stopped by themselves, if they did (the cockpit says so)
        self.problem: str | None = None
        #: while the probe process is down: when it starts again, and which attempt that is
        self.restart: Restart | None = None
        self.backoff = backoff or Backoff()
        self._setup = Setup(
            list(self._specs),
            as_location(db_path),
            dict(secrets or {}),
            batch_interval_s=batch_interval_s,
            max_concurrency=max_concurrency,
            retention=retention,
        )
        self._clock = clock or SystemClock()  # the probes' (on a thread) and the restarts'
        self._isolated = isolated
        self._started_at: datetime | None = None  # of the probe process, for the backoff
        self._attempt = 0  # restarts since the probe process last ran well
        self._handover: _Handover | None = None
        self._runner: _OnThread | _InProcess | None = None
        self._following: int | None = None
        self._syncing: asyncio.Task[None] | None = None
        self._unfollow: Callable[[], None] = lambda: None

    @classmethod
    def drill(
        cls,
        scenario: Scenario | str,
        speed: float,
        db_path: Path | str,
        incidents: Incidents,
        current_incident: Callable[[], int | None],
        *,
        clock: Clock | None = None,
        simulator_clock: Clock | None = None,
        isolated: bool = True,
        backoff: Backoff | None = None,
    ) -> LiveProbes:
        """Start the simulator on 127.0.0.1 and probe it with the drill's probe config.

        The config holds only ``env:`` references (as a real one does); they resolve to
        :func:`drill_secrets` inside the probes, so nothing is written to the environment.
        """
        simulator = Simulator(scenario, speed=speed, clock=simulator_clock)
        base_url = simulator.start()
        try:
            config = parse_config(probe_config_toml(base_url, speed), source="drill probe config")
            return cls(
                config.probes,
                db_path,
                incidents,
                current_incident,
                simulator=simulator,
                secrets=drill_secrets(),
                clock=clock,
                isolated=isolated,
                backoff=backoff,
            )
        except BaseException:
            simulator.stop()
            raise

    # --- what the owner reads and hears ------------------------------------------------------

    # --- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start probing on schedule (from the owner's running loop)."""
        if self._runner is not None or self._syncing is not None:
            raise RuntimeError("already started")
        handover = self._hand_over_here()
        if self._isolated:
            self._spawn(handover)
        else:
            self._runner = self._on_thread(handover)
            self._runner.start()
        self._syncing = asyncio.ensure_future(self._keep_following())
        # A declaration (or a status change) is followed at once: the window shows the new
        # incident right after the event, so look once this turn of the loop is over.
        loop = asyncio.get_running_loop()
        self._unfollow = self.incidents.subscribe(lambda *_: loop.call_soon(self._follow))

    async def run_once(self) -> list[ProbeResult]:
        """Run every probe once now and write what it saw; returns once the owner has heard.

        Not isolated only (tests step a fake clock between rounds), and not once started.
        """
        if self._isolated or self._syncing is not None:
            raise RuntimeError("run_once needs LiveProbes(isolated=False), not started")
        if not isinstance(self._runner, _OnThread):
            self._runner = self._on_thread(self._hand_over_here())
        self._follow()
        results = await self._runner.run_once()
        assert self._handover is not None
        self._handover.drain()
        return results

    async def aclose(self) -> None:
        """Stop probing, write what was seen, stop the simulator.

        The owner stops hearing first: whatever the probes see while things shut down (a
        simulator that stopped answering) is not evidence.
        """
        if self._handover is not None:
            self._handover.close()
        self._unfollow()
        if self._syncing is not None:
            self._syncing.cancel()
            await asyncio.gather(self._syncing, return_exceptions=True)
        try:
            if self._runner is not None:
                await self._runner.stop()
        finally:
            self._runner = None
            if self.simulator is not None:
                self.simulator.stop()

    def _spawn(self, handover: _Handover) -> None:
        """Start the probe process (a failure is reported like a death: it is retried)."""
        self._started_at = self._clock.now()
        setup = replace(
            self._setup_now(),
            known={probe: state.outcome for probe, state in self._states.items()},
            log_level=logging.getLogger().getEffectiveLevel(),
        )
        try:
            self._runner = _InProcess(setup, handover.put, lambda why: handover.put(_Died(why)))
        except OSError as exc:  # the cockpit still runs (manual checks, comms, clocks)
            self._runner = None
            handover.put(_Died(f"the probe process could not start ({exc})"))

    def _died(self, reason: str) -> None:
        """The probe process is gone: say why, and when it starts again."""
        self.problem = reason
        now = self._clock.now()
        ran = now - self._started_at if self._runner is not None and self._started_at else None
        attempt = self._attempt = self.backoff.next_attempt(self._attempt, ran)
        self.restart = Restart(attempt, now + self.backoff.delay(attempt))
        delay = self.backoff.delay(attempt).total_seconds()
        log.error("%s; starting it again in %g s (attempt %d)", reason, delay, attempt)

    async def _restart_if_due(self) -> None:
        restart = self.restart
        if restart is None or restart.at is None or self._clock.now() < restart.at:
            return
        assert self._handover is not None
        self.restart = Restart(restart.attempt)  # started, not heard from yet
        if self._runner is not None:  # dead: reap it, close its pipes
            await self._runner.stop()
        log.info("starting the probe process again (attempt %d)", restart.attempt)
        self._spawn(self._handover)

    def _running_again(self) -> None:
        if self.restart is not None and self.restart.at is None:
            log.info("the probe process is running again (attempt %d)", self.restart.attempt)
            self.problem = None
            self.restart = None

    def _hand_over_here(self) -> _Handover:
        self._handover = _Handover(asyncio.get_running_loop(), self._deliver)
        return self._handover

    def _on_thread(self, handover: _Handover) -> _OnThread:
        return _OnThread(self._setup_now(), handover.put, self._clock)

    def _setup_now(self) -> Setup:
        self._following = self.current_incident()
        return replace(self._setup, incident_id=self._following)

    def _follow(self) -> None:
        """Tell the worker which incident flips belong to, if that changed."""
        current = self.current_incident()
        if current != self._following and self._runner is not None:
            self._following = current
            self._runner.follow_incident(current)

    async def _keep_following(self) -> None:
        while True:
            self._follow()
            await self._restart_if_due()
            await asyncio.sleep(SYNC_INTERVAL_S)

    def _deliver(self, items: list[Any]) -> None:
        self._follow()
        with self._batch():
            self._deliver_each(items)

    def _deliver_each(self, items: list[Any]) -> None:
        # The worker's events are announced with the incident as it is now, read once a batch:
        # the projection it sent may predate a commander's action announced since.
        current: dict[int, Incident] = {}
        for item in items:
            calls: list[Callable[[], object]]
            if isinstance(item, _Died):
                self._died(item.reason)
                continue
            self._running_again()  # a report: the process is up (all a dead one said came first)
            if isinstance(item, ProbeState):
                self._states[item.probe] = item
                calls = [partial(listener, item.last) for listener in self._result_listeners]
            elif isinstance(item, StateChange):
                if item.current in FAILING and self.first_failure is None:
                    self.first_failure = item
                calls = [partial(listener, item) for listener in self._change_listeners]
            else:
                event = item[1]
                if event.incident_id not in current:
                    current[event.incident_id] = self.incidents.get(event.incident_id)
                calls = [partial(self.incidents.announce, current[event.incident_id], event)]
            for call in calls:
                try:
                    call()
                except Exception:  # one broken view must not silence the others
                    log.exception("delivering %r failed", item)
