"""Live probes as the cockpit runs them: the worker in its own process against the drill
simulator, its reports delivered on the owner's loop, its writes on disk, and its death noticed."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.live import LiveProbes
from stratus_commander.probes.base import ProbeResult, StateChange
from stratus_commander.store import open_store
from stratus_commander.timeline import Event

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds the worker process through /proc"
)
SPEED = 120.0  # Stripe fails at scenario minute 1: half a second in


def worker_pids() -> list[int]:
    """Our child processes running the probe worker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == os.getpid() and b"probes.worker" in cmdline:
            pids.append(int(entry.name))
    return pids


async def wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_the_worker_process_reports_on_the_owner_loop_and_writes_the_record(
    tmp_path: Path,
) -> None:
    db = tmp_path / "incidents.db"
    store = open_store(db)
    incidents = Incidents(store, SystemClock(), actor="dana")
    incident = incidents.declare("Stripe API failing (drill)", "Critical", drill=True)
    owner = threading.get_ident()
    results: list[tuple[int, ProbeResult]] = []
    flips: list[tuple[int, StateChange]] = []
    announced: list[tuple[int, Event]] = []
    incidents.subscribe(lambda _inc, event: announced.append((threading.get_ident(), event)))

    async def run() -> list[int]:
        live = LiveProbes.drill(
            "payment-processing-down", SPEED, db, incidents, lambda: incident.id
        )
        live.on_result(lambda r: results.append((threading.get_ident(), r)))
        live.on_state_change(lambda c: flips.append((threading.get_ident(), c)))
        live.start()
        try:
            running = worker_pids()
            await wait_for(
                lambda: any(
                    e.kind == "probe_flipped" and e.data["probe"] == "stripe-api"
                    for _, e in announced
                )
            )
        finally:
            await live.aclose()
        assert live.first_failure is not None  # the detection evidence
        assert live.states["stripe-api"].outcome.value == "down"
        return running

    running = asyncio.run(run())
    assert len(running) == 1, "one worker process while probing"
    assert worker_pids() == [], "and none once closed"
    assert {who for who, _ in results + flips + announced} == {owner}
    assert {r.probe for _, r in results} >= {"api-health", "stripe-api", "supabase"}
    # Written by the worker: every sample the owner heard of, the flips, the timeline events
    # (signed by the probes, not by the commander, chained after the declaration).
    samples = store.query("SELECT count(*) AS n FROM samples")[0]["n"]
    assert samples >= len(results)
    assert store.query("SELECT count(*) AS n FROM flips")[0]["n"] >= len(flips)
    on_disk = incidents.events(incident.id, {"probe_flipped"})
    heard = [e.seq for _, e in announced if e.kind == "probe_flipped"]
    assert heard and [e.seq for e in on_disk][: len(heard)] == heard  # heard once on disk
    assert all(e.actor == "probe" for e in on_disk)
    assert incidents.verify(incident.id).ok
    store.close()


def test_a_worker_that_dies_is_reported_not_silent(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    store = open_store(db)
    incidents = Incidents(store, SystemClock())

    async def run() -> str | None:
        live = LiveProbes.drill("payment-processing-down", SPEED, db, incidents, lambda: None)
        heard: list[ProbeResult] = []
        live.on_result(heard.append)
        live.start()
        try:
            await wait_for(lambda: bool(heard))  # it works...
            (pid,) = worker_pids()
            os.kill(pid, signal.SIGKILL)  # ... until it is killed
            await wait_for(lambda: live.problem is not None)
        finally:
            await live.aclose()  # still closes cleanly: the simulator stops, nothing hangs
        return live.problem

    problem = asyncio.run(run())
    assert problem == f"the probe process exited (code {-signal.SIGKILL})"
    store.close()


def test_a_worker_that_cannot_start_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "incidents.db")
    incidents = Incidents(store, SystemClock())
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-such-python"))

    async def run() -> str | None:
        live = LiveProbes.drill(
            "payment-processing-down", SPEED, tmp_path / "incidents.db", incidents, lambda: None
        )
        live.start()  # does not raise: the cockpit keeps its clocks, checks and comms
        await wait_for(lambda: live.problem is not None, timeout_s=5)
        await live.aclose()
        return live.problem

    problem = asyncio.run(run())
    assert problem is not None and problem.startswith("the probe process could not start")
    store.close()


def test_the_workers_events_are_announced_with_the_incident_as_it_is_now(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "incidents.db")
    incidents = Incidents(store, SystemClock())
    incident = incidents.declare("API down", "Critical")
    heard: list[str] = []
    incidents.subscribe(lambda now, event: heard.append(f"{event.kind}: {now.status}"))
    worker_side = Incidents(store, SystemClock())  # as the worker writes, on its connection
    flip = worker_side.record(incident.id, "probe_flipped", "api-health: up → down")
    sent_with = worker_side.get(incident.id)  # the projection the worker sends: investigating
    incidents.set_status(incident.id, "identified")  # the commander, before the flip arrives
    live = LiveProbes([], tmp_path / "incidents.db", incidents, lambda: incident.id)
    live._deliver([(sent_with, flip)])  # what the handover does with the worker's report
    assert heard == ["status_changed: identified", "probe_flipped: identified"]  # not stale
    store.close()


def test_flips_follow_a_declaration_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stratus_commander.live.SYNC_INTERVAL_S", 3600.0)  # no polling to help
    store = open_store(tmp_path / "incidents.db")
    incidents = Incidents(store, SystemClock())
    shown: list[int] = []  # the window's incident: set just after the declaration returns

    async def run() -> int | None:
        live = LiveProbes(
            [],
            tmp_path / "incidents.db",
            incidents,
            lambda: shown[-1] if shown else None,
            isolated=False,
        )
        live.start()
        await asyncio.sleep(0.1)  # the first poll has happened: nothing shown yet
        shown.append(incidents.declare("API down", "Critical").id)
        worker = live._runner.worker  # type: ignore[union-attr]
        await wait_for(lambda: worker._incident_id is not None, timeout_s=3)
        await live.aclose()
        return worker._incident_id

    assert asyncio.run(run()) == 1
    store.close()
