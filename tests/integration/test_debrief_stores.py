"""A drill's debrief rebuilt from the database alone, on both backends: the drill run its
declaration recorded, the probe flips and the tab views (``viewed`` events)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.debrief import build_debrief, record_view
from stratus_commander.incident import DrillRun, Incidents, drill_run_of
from stratus_commander.review.records import load_records
from stratus_commander.runbook import load_runbook
from stratus_commander.store import Store, open_store
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def minute(n: float) -> datetime:
    return START + timedelta(minutes=n)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "incidents.db")
    db: TeamDb = request.getfixturevalue("team_db")
    return db.url


@pytest.fixture
def store(location: str) -> Iterator[Store]:
    opened = open_store(location)  # type: ignore[arg-type]
    yield opened
    opened.close()


def test_a_drill_debrief_is_rebuilt_from_the_database_alone(store: Store, location: str) -> None:
    clock = FakeClock(minute(2))
    inc = Incidents(store, clock, actor="alice")
    # The simulator flipped the probes (scenario time x1): Stripe down at 1m, back at 25m.
    store.add_flip("stripe-api", "stripe", "external", to_ms(minute(1)), "up", "down", "500")
    store.add_flip("api-health", "http", "api", to_ms(minute(1.25)), "up", "degraded", "")
    store.add_flip("stripe-api", "stripe", "external", to_ms(minute(25)), "down", "up", "")
    incident = inc.declare(
        "Payments failing",
        "Critical",
        detected_at=minute(1.5),  # typed later than the evidence
        drill_run=DrillRun("payment-processing-down", START),
    )
    assert incident.drill
    clock.set(minute(3))
    record_view(inc, incident.id, "triage")
    clock.set(minute(3.5))
    record_view(inc, incident.id, "evidence")
    record_view(inc, incident.id, "triage")  # a second look: the first one counts
    clock.set(minute(4))
    inc.decide(incident.id, "external")
    clock.set(minute(30))
    inc.resolve(incident.id)

    # Tab views are the debrief's alone: not in the ordinary timeline or the review's.
    assert "viewed" not in {e.kind for e in inc.events(incident.id)}
    assert "viewed" not in {e.kind for e in load_records(inc, incident.id).events}
    assert inc.verify(incident.id).ok

    reopened = open_store(location, readonly=True)  # type: ignore[arg-type]
    try:
        again = Incidents(reopened, FakeClock(minute(999)))
        run = drill_run_of(again.events(incident.id))
        assert run == DrillRun("payment-processing-down", START)
        debrief = build_debrief(again, load_runbook(), incident.id)
    finally:
        reopened.close()
    ev = debrief.evidence
    assert ev.first_failing_at == minute(1)
    assert [(f.probe, f.current, f.scenario) for f in ev.flips] == [
        ("stripe-api", "down", timedelta(minutes=1)),
        ("api-health", "degraded", timedelta(minutes=1.25)),
        ("stripe-api", "up", timedelta(minutes=25)),
    ]
    assert ev.first_views == {
        "triage": (minute(3), timedelta(minutes=3)),
        "evidence": (minute(3.5), timedelta(minutes=3.5)),
    }
    assert debrief.triage[0].matches is True
    declare = debrief.clock("declare")
    assert declare is not None and declare.anchor_at == minute(1)  # from the first failing flip
    assert declare.due_scenario == timedelta(minutes=6)
    assert debrief.clock("communicate").outcome == "missed"  # type: ignore[union-attr]
