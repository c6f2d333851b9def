"""Soak: about a minute of a drill at 60x through the whole cockpit, as `drill` runs it.

No crash, no Qt warning (pytest-qt fails the test on one), memory that stops growing, and every
sample on disk. The hour-long version is tests/bench/soak_drill.py.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

import pytest

from stratus_commander.qt.app import open_settings
from stratus_commander.qt.session import CockpitApp
from stratus_commander.runbook import load_runbook
from stratus_commander.session import Session
from stratus_commander.store import open_store

SOAK_S = 50.0
pytestmark = pytest.mark.slow


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.timeout(180)
def test_a_minute_of_drill_at_high_speed(qtbot, arun, db_path, app_style) -> None:
    seen: dict[str, float] = {}

    async def soak() -> None:
        app = CockpitApp(
            Session(db_path, runbook=load_runbook()), drill_speed=60, settings=open_settings()
        )
        app.start_drill("payment-processing-down", 60)
        stop = asyncio.Event()

        async def commander() -> None:
            window = app.window
            start = time.monotonic()
            await asyncio.sleep(5)  # Stripe fails at scenario minute 1
            incident = app.incidents.declare("Stripe down", "Critical", drill=True)
            window.set_incident(incident)
            step = 0
            while time.monotonic() - start < SOAK_S:
                step += 1
                window.show_tab(step % 5)  # the graphs are on screen every fifth second
                if step == 10:
                    window.set_theme("dark")
                    seen["warm_mb"] = rss_mb()
                if step % 7 == 0:
                    app.incidents.note(incident.id, f"soak note {step}")
                await asyncio.sleep(1)
            seen["end_mb"] = rss_mb()
            assert app.live is not None
            seen["scenario_s"] = app.live.simulator.elapsed().total_seconds()
            stop.set()

        driver = asyncio.ensure_future(commander())
        await app.run(stop)
        await driver

    arun(soak())
    store = open_store(db_path)  # the app closed its own; what it wrote is on disk
    try:
        samples = store.query("SELECT count(*) AS n FROM samples")[0]["n"]
        flips = store.query("SELECT count(*) AS n FROM events WHERE kind = 'probe_flipped'")
    finally:
        store.close()
    # 8 probes at the 1 s floor for ~50 s: hundreds of samples, all written before the exit.
    assert samples > 8 * (SOAK_S - 10)
    assert flips[0]["n"] >= 3  # Stripe down and back, during the incident
    assert seen["scenario_s"] > timedelta(minutes=36).total_seconds()  # past its last step
    growth = seen["end_mb"] - seen["warm_mb"]
    assert growth < 30, f"RSS grew {growth:.1f} MB in {SOAK_S - 10:.0f} s"
