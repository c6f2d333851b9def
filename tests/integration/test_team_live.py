"""Live team mode, Qt-free: an event another process commits reaches this process's listeners
through LISTEN/NOTIFY (the store's watcher and the incident follower), once each and in order."""

from __future__ import annotations

import os
import queue
import subprocess
import sys

import pytest

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.follow import Follower
from stratus_commander.store import open_store
from stratus_commander.timeline import Event
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

NOTICE_WAIT_S = 30  # a generous bound on a loaded machine; the benchmark measures the real figure


def _note_from_another_process(url: str, incident_id: int, text: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stratus_commander", "--db", url,
         "incidents", "note", str(incident_id), text],
        capture_output=True, text=True, env=os.environ.copy(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_second_cockpit_hears_of_an_event_another_process_appends(team_db: TeamDb) -> None:
    store = open_store(team_db.url)
    incidents = Incidents(store, SystemClock(), actor="commander")
    incident = incidents.declare("Payments failing", "Critical", ["Webhooks"])
    heard: list[tuple[Incident, Event]] = []
    incidents.subscribe(lambda i, e: heard.append((i, e)))
    follower = Follower(incidents)
    notices: queue.Queue[tuple[int | None, int]] = queue.Queue()
    stop = store.watch(lambda iid, seq: notices.put((iid, seq)))
    assert stop is not None
    try:
        incidents.note(incident.id, "our own note")  # told at once, and then noticed
        _note_from_another_process(team_db.url, incident.id, "rolled back deploy 4812")
        while not any(e.text == "rolled back deploy 4812" for _, e in heard):
            follower.catch_up(*notices.get(timeout=NOTICE_WAIT_S))
    finally:
        stop()
        follower.close()
        store.close()
    texts = [e.text for _, e in heard]
    assert texts == ["our own note", "rolled back deploy 4812"]  # once each, in order
    incident_after, event = heard[-1]
    assert event.seq == 3
    assert incident_after.event_count == 3


def test_a_sqlite_file_has_nothing_to_watch(tmp_path) -> None:
    with open_store(tmp_path / "solo.db") as store:
        assert store.watch(lambda iid, seq: None) is None
