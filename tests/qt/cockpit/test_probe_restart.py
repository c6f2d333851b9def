"""The probe process killed mid-drill: the cockpit says when it comes back, it does, and probing
(and writing) resumes — without a restart reading as probes flipping."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.live import LiveProbes
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.runbook import Runbook
from tests.qt.conftest import ARun

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds the worker process through /proc"
)
SPEED = 20.0  # Stripe fails 3 s in and stays down for minutes: through the restart


def worker_pids() -> list[int]:
    """Our child processes running the probe worker (zombies excluded)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"probes.worker" in cmdline:
            pids.append(int(entry.name))
    return pids


def stored_samples(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])


async def until(condition: Callable[[], object], timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_a_killed_probe_process_comes_back_after_the_backoff_and_probing_resumes(
    qtbot, arun: ARun, incidents: Incidents, runbook: Runbook, clock: FakeClock, db_path: Path
) -> None:
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock, db_path=db_path)
    qtbot.addWidget(window)
    incident = incidents.declare("Payment Processing API Down", "Critical", drill=True)
    window.set_incident(incident)

    def flips(probe: str) -> list[object]:
        return [
            e.data.get("from")
            for e in incidents.events(incident.id, {"probe_flipped"})
            if e.data.get("probe") == probe
        ]

    said: dict[str, tuple[list[str], str]] = {}

    def look(when: str) -> None:
        bus.tick.emit()  # the cockpit's once-a-second refresh
        said[when] = (window.banners.texts(), window.probe_summary.text())

    async def drill() -> tuple[int, int]:
        # The real probe process; the fake clock times only its restarts.
        live = LiveProbes.drill(
            "payment-processing-down",
            SPEED,
            db_path,
            incidents,
            lambda: window.live_incident_id,
            clock=clock,
        )
        bus.watch_probes(live)
        live.start()
        window.attach_live(live, drill=True)
        try:
            await until(lambda: flips("stripe-api"))  # down, on the incident's timeline
            (first,) = worker_pids()
            os.kill(first, signal.SIGKILL)
            await until(lambda: live.restart is not None)
            look("killed")
            clock.advance(0.6)
            look("counting down")
            clock.advance(0.4)
            await until(lambda: live.restart is None)  # started again, and reporting
            look("back")
            before = stored_samples(db_path)
            await until(lambda: stored_samples(db_path) > before)  # its samples are written
            (second,) = worker_pids()
            os.kill(second, signal.SIGKILL)  # dies again soon after: twice as long to wait
            await until(lambda: live.restart is not None)
            look("killed again")
        finally:
            await live.aclose()
        return first, second

    first, second = arun(drill())
    assert first != second
    banners, status = said["killed"]
    assert banners == [
        "PROBES STOPPED — restarting in 1 s (attempt 1); the probe process exited (code -9). "
        "The panels show the last states seen until the probes report again."
    ]
    assert status == "Probes: STOPPED — restarting in 1 s (attempt 1)"
    assert said["counting down"][1] == "Probes: STOPPED — restarting in 1 s (attempt 1)"
    banners, status = said["back"]
    assert banners == [] and status.startswith("Probes: 8")
    assert said["killed again"][1] == "Probes: STOPPED — restarting in 2 s (attempt 2)"
    # The restarted processes knew stripe-api was down: no "first check -> down" of their own.
    assert len(flips("stripe-api")) == 1
