"""The team server goes away mid-incident: the cockpit's actions wait in the local outbox, fsynced
before they are acknowledged, and reach the server in order, with their own times, once it is back
(a real PostgreSQL server, stopped and started; a replay SIGKILLed half way)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import SystemClock, to_iso
from stratus_commander.incident import Incidents
from stratus_commander.incident.outbox import LATE_FLAG, replay
from stratus_commander.insights import insights
from stratus_commander.paths import outbox_path
from stratus_commander.session import Access, Session
from stratus_commander.store import open_store
from stratus_commander.store.offline import OfflineStore
from stratus_commander.store.outbox import Outbox
from stratus_commander.timeline import Event
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

ROOT = Path(__file__).resolve().parents[2]


def verify_exit(url: str, incident_id: int) -> int:
    result = CliRunner().invoke(main, ["--db", url, "incidents", "verify", str(incident_id)])
    return result.exit_code


def kill_replay_after(url: str, outbox_file: Path, n: int) -> None:
    """Replay ``outbox_file`` in another process and SIGKILL it once the ``n``th entry's event
    is committed on the server, before the entry leaves the outbox."""
    marker = outbox_file.with_name("paused")
    args = [url, str(outbox_file), str(n), str(marker)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.outbox_replay", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        while not marker.exists():
            assert proc.poll() is None, "the replaying process ended before its pause"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def server_events(url: str, incident_id: int) -> list[Event]:
    with open_store(url) as store:
        return store.events(incident_id)


def test_actions_taken_while_the_server_is_down_reach_it_in_order_when_it_is_back(
    team_db: TeamDb,
) -> None:
    with Session(team_db.url, access=Access.COCKPIT) as session:
        incidents = session.incidents
        link = session.team_link
        assert link is not None and link.clear
        iid = incidents.declare("Payment API down", "Critical").id
        incidents.note(iid, "pool at 100 %")
        incidents.events(iid)  # the cockpit shows its timeline
        insights(incidents, session.runbook)  # and the library its insights
        team_db.server.stop()
        try:
            away = [
                incidents.note(iid, "server away: restarting the pooler"),
                incidents.decide(iid, "internal", "connection pool exhausted"),
                incidents.set_status(iid, "identified", "pooler misconfigured"),
            ]
            # Acknowledged: the cockpit says where they are and shows the incident as it is now.
            assert not link.reachable and link.waiting == 3
            assert f"127.0.0.1:{team_db.server.port}" in link.server
            assert incidents.get(iid).status == "identified"
            assert [e.text for e in incidents.events(iid)][-1].startswith("Status:")
            # The insights count it as the cockpit sees it now (the credits as read before).
            counted = insights(incidents, session.runbook)
            assert counted.months[0].incidents == (iid,)
            assert counted.months[0].clocks["triage"] == {"on_time": (iid,)}
            # On disk before they were acknowledged: another reader of the outbox file has them.
            with closing(Outbox(outbox_path(link.server))) as other:
                assert [e.text for e in other.entries()] == [e.text for e in away]
            assert not session.send_outbox()  # still away: they keep waiting
            assert link.waiting == 3
        finally:
            team_db.server.start()
        assert session.send_outbox()
        assert link.clear
        assert incidents.get(iid).status == "identified"  # read from the server again

    evs = server_events(team_db.url, iid)
    assert [e.kind for e in evs] == [
        "declared",
        "note",
        "note",
        "decision",
        "status_changed",
    ]
    assert [e.seq for e in evs] == [1, 2, 3, 4, 5]
    for sent, stored in zip(away, evs[2:], strict=True):
        assert stored.text == sent.text
        assert to_iso(stored.at) == to_iso(sent.at)  # the time it happened, not the replay's
        assert stored.data["outbox_id"]
        assert stored.data["entered_at"] >= to_iso(stored.at)  # when it reached the server
    assert verify_exit(team_db.url, iid) == 0
    with open_store(team_db.url) as store:
        assert Incidents(store, SystemClock()).verify_projection(iid) == []
    with closing(Outbox(outbox_path(team_db.url))) as outbox:
        assert outbox.count() == 0


def test_an_action_the_incident_can_no_longer_take_is_recorded_flagged_not_dropped(
    team_db: TeamDb,
) -> None:
    with Session(team_db.url, access=Access.COCKPIT) as session:
        incidents = session.incidents
        iid = incidents.declare("Webhooks failing", "Major").id
        incidents.get(iid)
        team_db.server.stop()
        try:
            incidents.set_status(iid, "identified")
            incidents.note(iid, "still looking")
        finally:
            team_db.server.start()
        # Meanwhile a teammate, on the server, resolved it.
        with open_store(team_db.url) as store:
            Incidents(store, SystemClock(), actor="deputy").resolve(iid, "fixed upstream")
        assert session.send_outbox()
        assert session.team_link is not None and session.team_link.clear

    evs = server_events(team_db.url, iid)
    assert [e.kind for e in evs] == ["declared", "status_changed", "note", "note"]
    late = evs[2]
    assert "is resolved now, not investigating" in late.data[LATE_FLAG]
    assert late.data["kind"] == "status_changed" and late.data["data"]["to"] == "identified"
    assert late.text.startswith("Taken while the team server was away, not applied")
    assert LATE_FLAG not in evs[3].data and evs[3].text == "still looking"
    with open_store(team_db.url) as store:
        incidents = Incidents(store, SystemClock())
        assert incidents.get(iid).status == "resolved"
        assert incidents.verify_projection(iid) == []
    assert verify_exit(team_db.url, iid) == 0


def test_a_replay_killed_half_way_is_finished_by_the_next_without_duplicates(
    team_db: TeamDb, tmp_path: Path
) -> None:
    clock = SystemClock()
    outbox_file = tmp_path / "outbox.db"
    with OfflineStore(open_store(team_db.url), Outbox(outbox_file), clock) as store:
        incidents = Incidents(store, clock)
        iid = incidents.declare("Database unreachable", "Critical").id
        incidents.get(iid)
        team_db.server.stop()
        try:
            texts = [f"offline note {i}" for i in range(5)]
            for text in texts:
                incidents.note(iid, text)
        finally:
            team_db.server.start()

    kill_replay_after(team_db.url, outbox_file, 2)  # the second committed, not yet removed

    with closing(Outbox(outbox_file)) as outbox:
        assert outbox.count() == 4  # the first left it; the second's event is on the server
    assert [e.text for e in server_events(team_db.url, iid)][1:] == texts[:2]

    with OfflineStore(open_store(team_db.url), Outbox(outbox_file), clock) as store:
        done = replay(store, clock)
        assert (done.already, done.appended, done.late) == (1, 3, [])
        assert store.link.clear
    evs = server_events(team_db.url, iid)
    assert [e.text for e in evs][1:] == texts
    ids = [e.data["outbox_id"] for e in evs[1:]]
    assert len(set(ids)) == 5
    assert verify_exit(team_db.url, iid) == 0


def test_a_replay_killed_after_creating_an_incident_declared_offline_creates_it_once(
    team_db: TeamDb, tmp_path: Path
) -> None:
    clock = SystemClock()
    outbox_file = tmp_path / "outbox.db"
    team_db.server.stop()
    try:
        store = OfflineStore.open(
            team_db.url, lambda: open_store(team_db.url), Outbox(outbox_file), clock
        )
        with store:
            assert not store.link.reachable
            incidents = Incidents(store, clock)
            local = incidents.declare("Declared while the server was down", "Critical").id
            texts = [f"offline note {i}" for i in range(3)]
            for text in texts:
                incidents.note(local, text)
    finally:
        team_db.server.start()

    kill_replay_after(team_db.url, outbox_file, 1)  # created on the server, not recorded here
    with open_store(team_db.url) as server:
        (row,) = server.incident_rows()
    with closing(Outbox(outbox_file)) as outbox:
        assert outbox.count() == 4 and outbox.server_id(local) is None

    with OfflineStore(open_store(team_db.url), Outbox(outbox_file), clock) as store:
        done = replay(store, clock)
        assert (done.already, done.appended, done.declared) == (1, 3, {local: row["id"]})
        assert store.link.clear
    with open_store(team_db.url) as server:
        assert len(server.incident_rows()) == 1  # created once
        evs = server.events(row["id"])
    assert [e.text for e in evs] == ["Declared while the server was down", *texts]
    assert verify_exit(team_db.url, row["id"]) == 0
