"""The real probes, through the real engine, against the drill simulator over loopback HTTP.

Every scenario must drive the outcome it promises for every probe at every checkpoint, and the
triage hint it promises. A drill run with realistic-looking keys must leave no key in the database
file, its WAL, or an export.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.drill import (
    Simulator,
    available_scenarios,
    drill_secrets,
    load_scenario,
    probe_config_toml,
)
from stratus_commander.export import render
from stratus_commander.incident import Incidents
from stratus_commander.probes.base import ProbeState
from stratus_commander.probes.config import parse_config
from stratus_commander.probes.engine import ProbeEngine, make_client
from stratus_commander.probes.recorder import Recorder
from stratus_commander.probes.triage import group_evidence, hint
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store

SPEED = 60.0


@pytest.fixture(autouse=True)
def _drill_keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    keys = drill_secrets()
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    return keys


@pytest.mark.parametrize("name", available_scenarios())
def test_scenario_drives_the_expected_outcomes(name: str) -> None:
    scenario = load_scenario(name)
    clock = FakeClock(datetime.now(UTC))

    async def play() -> list[str]:
        mismatches = []
        with Simulator(scenario, speed=SPEED, clock=clock) as sim:
            config = parse_config(probe_config_toml(sim.base_url, SPEED))
            async with make_client() as client:
                engine = ProbeEngine(config.probes, client, clock=clock)
                for expect in scenario.expect:
                    sim.advance_to(expect.at)
                    results = await engine.run_once()
                    wanted = expect.outcomes()
                    for r in results:
                        if r.outcome not in wanted[r.probe]:
                            mismatches.append(
                                f"@{expect.at} {r.probe}: {r.outcome.value}, expected "
                                f"{sorted(o.value for o in wanted[r.probe])} ({r.detail})"
                            )
                    decided = hint(
                        group_evidence([ProbeState(r.outcome, r.at, r) for r in results])
                    )
                    if decided.decision != (expect.triage or "unknown"):
                        mismatches.append(
                            f"@{expect.at} triage {decided.decision}, expected {expect.triage}: "
                            f"{decided.reason}"
                        )
                await engine.aclose()
        return mismatches

    assert asyncio.run(play()) == []


def test_no_key_reaches_the_database_wal_or_exports(
    tmp_path: Path, _drill_keys: dict[str, str]
) -> None:
    db = tmp_path / "incidents.db"
    store = open_store(db)
    clock = FakeClock(datetime.now(UTC))
    incidents = Incidents(store, clock)
    incident = incidents.declare("Payment processing down (drill)", "Critical", drill=True)
    scenario = load_scenario("payment-processing-down")
    recorder = Recorder(db, incidents, current_incident=lambda: incident.id)

    async def play() -> None:
        with Simulator(scenario, speed=SPEED, clock=clock) as sim:
            config = parse_config(probe_config_toml(sim.base_url, SPEED))
            async with make_client() as client:
                engine = ProbeEngine(config.probes, client, clock=clock)
                recorder.attach(engine)
                for expect in scenario.expect:
                    sim.advance_to(expect.at)
                    for _ in range(3):  # enough to flip states onto the timeline
                        await engine.run_once()
                await engine.aclose()
        await recorder.aclose()

    asyncio.run(play())
    # The commander pastes a key into a note by mistake, too.
    incidents.note(incident.id, f"tried key {_drill_keys['STRATUS_DRILL_STRIPE_KEY']} by hand")
    assert incidents.events(incident.id, {"probe_flipped"}), "the drill produced no flips"
    runbook = load_runbook()
    exports = [render(incidents, runbook, incident.id, fmt).encode() for fmt in ("json", "md")]
    wal = Path(str(db) + "-wal")
    blobs = {"db": db.read_bytes(), "wal": wal.read_bytes() if wal.exists() else b""}
    store.close()
    blobs.update({f"export{i}": e for i, e in enumerate(exports)})
    assert sum(len(b) for b in blobs.values()) > 10_000
    for where, blob in blobs.items():
        for name, key in _drill_keys.items():
            assert key.encode() not in blob, f"{name} found in {where}"
