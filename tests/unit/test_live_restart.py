"""A probe process that dies is started again after a backoff, by the injected clock.

The process is a stand-in here (it dies when told), but for SIGTERM's grace, which needs a real
one; tests/qt/cockpit/test_probe_restart.py kills a real one mid-drill."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.live import Backoff, LiveProbes, Restart
from stratus_commander.probes.base import Outcome, ProbeResult, ProbeState
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.probes.worker import Setup
from stratus_commander.store import open_store

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


def test_the_backoff_doubles_up_to_a_minute_and_starts_over_after_a_good_run() -> None:
    backoff = Backoff()
    assert [backoff.delay(n).total_seconds() for n in range(1, 10)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
        60,
    ]
    assert backoff.next_attempt(3, timedelta(seconds=5)) == 4
    assert backoff.next_attempt(3, None) == 4  # never started
    assert backoff.next_attempt(3, timedelta(seconds=backoff.healthy_s)) == 1


class FakeProcess:
    """Stands in for the probe process: records its setup, reports and dies when told."""

    made: ClassVar[list[FakeProcess]] = []
    refuse: str | None = None  # the next start fails with this OSError

    def __init__(
        self, setup: Setup, report: Callable[[Any], None], died: Callable[[str], None]
    ) -> None:
        if FakeProcess.refuse is not None:
            reason, FakeProcess.refuse = FakeProcess.refuse, None
            raise OSError(reason)
        self.setup = setup
        self.report = report
        self.died = died
        self.stopped = False
        FakeProcess.made.append(self)

    def follow_incident(self, incident_id: int | None) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def fake_process(monkeypatch: pytest.MonkeyPatch) -> type[FakeProcess]:
    FakeProcess.made = []
    monkeypatch.setattr("stratus_commander.live._InProcess", FakeProcess)
    # The owner's periodic look happens once at start; the test calls it when it wants it.
    monkeypatch.setattr("stratus_commander.live.SYNC_INTERVAL_S", 3600.0)
    return FakeProcess


def down(at: datetime) -> ProbeState:
    result = ProbeResult("api", "http", "api", Outcome.DOWN, 12.0, "HTTP 500", at)
    return ProbeState(Outcome.DOWN, at, result)


def test_a_dead_probe_process_is_started_again_with_backoff(
    tmp_path: Path, fake_process: type[FakeProcess]
) -> None:
    clock = FakeClock(T0)
    store = open_store(tmp_path / "incidents.db")
    incidents = Incidents(store, clock)
    spec = ProbeSpec(id="api", kind="http", check="api")
    made = fake_process.made

    async def heard() -> None:  # the handover delivers on the next turn of the loop
        await asyncio.sleep(0)

    async def run() -> None:
        live = LiveProbes([spec], tmp_path / "incidents.db", incidents, lambda: None, clock=clock)
        live.start()
        try:
            assert len(made) == 1 and made[0].setup.known == {}
            made[0].report(down(clock.now()))
            await heard()
            assert live.problem is None and live.restart is None

            clock.advance(10)
            made[0].died("the probe process exited (code -9)")
            await heard()
            assert live.problem == "the probe process exited (code -9)"
            assert live.restart == Restart(1, clock.now() + timedelta(seconds=1))

            clock.advance(0.999)
            await live._restart_if_due()
            assert len(made) == 1, "not before its time"
            clock.advance(0.001)
            await live._restart_if_due()
            assert made[0].stopped and len(made) == 2  # the dead one reaped, a new one started
            assert live.restart == Restart(1, None)  # started, not heard from yet
            assert live.problem is not None
            # It is told what was shown, so its first results are not flips of their own.
            assert made[1].setup.known == {"api": Outcome.DOWN}

            # Dying again at once: twice as long to wait, each time, up to a minute.
            delays = []
            for attempt in range(2, 10):
                made[-1].died("the probe process exited (code 1)")
                await heard()
                assert live.restart is not None and live.restart.attempt == attempt
                assert live.restart.at is not None
                delays.append((live.restart.at - clock.now()).total_seconds())
                clock.set(live.restart.at)
                await live._restart_if_due()
            assert delays == [2, 4, 8, 16, 32, 60, 60, 60]

            made[-1].report(down(clock.now()))  # running again
            await heard()
            assert live.problem is None and live.restart is None

            clock.advance(30)  # a short run: the count goes on
            made[-1].died("the probe process exited (code -9)")
            await heard()
            assert live.restart == Restart(10, clock.now() + timedelta(seconds=60))
            clock.advance(60)
            await live._restart_if_due()
            made[-1].report(down(clock.now()))
            await heard()

            clock.advance(Backoff().healthy_s)  # a good run: the count starts over
            made[-1].died("the probe process exited (code -9)")
            await heard()
            assert live.restart == Restart(1, clock.now() + timedelta(seconds=1))

            fake_process.refuse = "[Errno 24] Too many open files"  # cannot even start
            clock.advance(1)
            await live._restart_if_due()
            await heard()
            assert live.problem == (
                "the probe process could not start ([Errno 24] Too many open files)"
            )
            assert live.restart == Restart(2, clock.now() + timedelta(seconds=2))
            clock.advance(2)
            await live._restart_if_due()
            assert live.restart == Restart(2, None) and len(made) == 12
        finally:
            await live.aclose()
        assert made[-1].stopped
        assert live.restart == Restart(2, None)  # nothing pending fires after closing

    asyncio.run(run())
    store.close()


def test_a_probe_process_that_cannot_start_at_all_is_retried(
    tmp_path: Path, fake_process: type[FakeProcess]
) -> None:
    clock = FakeClock(T0)
    store = open_store(tmp_path / "incidents.db")
    incidents = Incidents(store, clock)
    spec = ProbeSpec(id="api", kind="http", check="api")

    async def run() -> None:
        fake_process.refuse = "[Errno 2] No such file or directory: 'python'"
        live = LiveProbes([spec], tmp_path / "incidents.db", incidents, lambda: None, clock=clock)
        live.start()  # does not raise: the cockpit keeps its clocks, checks and comms
        try:
            await asyncio.sleep(0)
            assert live.restart == Restart(1, T0 + timedelta(seconds=1))
            clock.advance(1)
            await live._restart_if_due()
            assert len(fake_process.made) == 1
        finally:
            await live.aclose()

    asyncio.run(run())
    store.close()


def test_a_restarted_worker_flips_only_what_changed_since_it_was_last_seen(tmp_path: Path) -> None:
    from stratus_commander.probes.base import StateChange
    from stratus_commander.probes.worker import ProbeWorker

    specs = [ProbeSpec(id=p, kind="http", check="api") for p in ("api", "stripe")]
    known = {"api": Outcome.DOWN, "stripe": Outcome.DOWN}
    emitted: list[Any] = []
    worker = ProbeWorker(Setup(specs, tmp_path / "incidents.db", known=known), emitted.append)

    def first(probe: str, outcome: Outcome) -> StateChange:
        return StateChange(probe, "http", "api", None, outcome, T0, "")

    worker._on_change(first("api", Outcome.DOWN))  # down before, down now: no flip
    worker._on_change(first("stripe", Outcome.UP))  # down before, up now: down -> up
    worker._on_change(StateChange("stripe", "http", "api", Outcome.UP, Outcome.DOWN, T0, ""))
    assert [(c.probe, c.previous, c.current) for c in emitted] == [
        ("stripe", Outcome.DOWN, Outcome.UP),
        ("stripe", Outcome.UP, Outcome.DOWN),
    ]
    assert [c for c, _ in worker.recorder._flips] == emitted  # what is written, too
    asyncio.run(worker.aclose())


def _wait_until_it_catches_sigterm(pid: int) -> None:
    """Until the child's SIGTERM handler is installed (Linux: the SigCgt mask in /proc)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(
            next(ln for ln in status.splitlines() if ln.startswith("SigCgt:")).split()[1], 16
        )
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.05)
    pytest.fail("the probe process never installed its SIGTERM handler")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("closing", [False, True], ids=["alone", "with-the-cockpit"])
def test_a_sigterm_to_the_probe_process_is_a_death_unless_the_cockpit_is_closing_too(
    tmp_path: Path, closing: bool
) -> None:
    """A real probe process. ``kill -TERM`` to it alone: probing has stopped, it is restarted.
    A logout signals the whole group: the child says "stopped" before the cockpit's own handler
    asks it to stop, and that is no death (no restart, no error in the log)."""
    from stratus_commander.live import SIGTERM_GRACE_S, _InProcess

    deaths: list[str] = []
    died = threading.Event()

    def on_death(why: str) -> None:
        deaths.append(why)
        died.set()

    child = _InProcess(Setup([], tmp_path / "incidents.db"), lambda _: None, on_death)
    try:
        _wait_until_it_catches_sigterm(child._proc.pid)
        child._proc.send_signal(signal.SIGTERM)
        if closing:
            time.sleep(SIGTERM_GRACE_S / 3)  # our own SIGTERM handler starts closing the cockpit
            asyncio.run(child.stop())
            assert deaths == []
        else:
            assert died.wait(SIGTERM_GRACE_S + 30)
            assert deaths == ["the probe process stopped (SIGTERM)"]
            asyncio.run(child.stop())  # as the restart reaps it
    finally:
        child._proc.kill()
        child._proc.wait()
