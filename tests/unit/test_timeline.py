import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.store import open_store

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


@pytest.fixture
def incidents(tmp_path: Path) -> Incidents:
    store = open_store(tmp_path / "incidents.db")
    yield Incidents(store, FakeClock(T0), actor="alice")
    store.close()


def _declare(inc: Incidents) -> int:
    incident = inc.declare("Payment Processing API Down", "Critical", ["API", "Webhooks"])
    for i in range(5):
        inc.clock.advance(seconds=30)  # type: ignore[attr-defined]
        inc.note(incident.id, f"note {i}")
    return incident.id


def test_events_chain_and_verify(incidents: Incidents) -> None:
    iid = _declare(incidents)
    evs = incidents.events(iid)
    assert [e.seq for e in evs] == [1, 2, 3, 4, 5, 6]
    assert evs[1].prev_hash == evs[0].hash
    assert all(e.computed_hash() == e.hash for e in evs)
    assert evs[0].actor == "alice" and evs[0].kind == "declared"
    assert incidents.verify(iid).ok
    assert incidents.verify_projection(iid) == []


def _raw(inc: Incidents) -> sqlite3.Connection:
    return inc.store.conn


def test_edited_event_is_reported_at_its_seq(incidents: Incidents) -> None:
    iid = _declare(incidents)
    _raw(incidents).execute(
        "UPDATE events SET text = 'nothing happened' WHERE incident_id = ? AND seq = 3", [iid]
    )
    result = incidents.verify(iid)
    assert not result.ok
    assert result.broken_at == 3
    assert "altered" in result.reason


def test_deleted_middle_event_is_reported(incidents: Incidents) -> None:
    iid = _declare(incidents)
    _raw(incidents).execute("DELETE FROM events WHERE incident_id = ? AND seq = 4", [iid])
    result = incidents.verify(iid)
    assert (result.ok, result.broken_at) == (False, 4)


def test_deleted_last_event_is_reported(incidents: Incidents) -> None:
    iid = _declare(incidents)
    _raw(incidents).execute("DELETE FROM events WHERE incident_id = ? AND seq = 6", [iid])
    result = incidents.verify(iid)
    assert not result.ok
    assert "6 events but 5 remain" in result.reason


def test_times_are_utc_milliseconds(incidents: Incidents) -> None:
    iid = _declare(incidents)
    row = _raw(incidents).execute("SELECT at FROM events WHERE incident_id = ? AND seq = 2", [iid])
    assert row.fetchone()[0] == "2026-11-27T14:30:30.000Z"


def test_secrets_never_reach_the_timeline(incidents: Incidents) -> None:
    iid = _declare(incidents)
    key = "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdefghijklmnopqrstu"
    incidents.note(iid, f"rotated key {key} after the leak")
    stored = _raw(incidents).execute("SELECT text FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert key not in stored[0]
    assert incidents.verify(iid).ok
