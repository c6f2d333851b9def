"""Team mode on a real PostgreSQL server: two responders (processes) doing the same thing at once
get one event and an answer, never a duplicate; roles and signatures through the command line."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from stratus_commander.clock import SystemClock
from stratus_commander.errors import AlreadyDone
from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import runbook_checks, set_tick
from stratus_commander.incident.roles import assign
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest


def _tick_everything(url: str, iid: int, who: str, start: Any, results: Any) -> None:
    """One responder ticking every check of the runbook, and deciding triage, as fast as it can
    (a process of its own); reports (won, answered)."""
    checks = list(runbook_checks(load_runbook()).values())
    won = answered = 0
    with open_store(url) as store:
        incidents = Incidents(store, SystemClock(), actor=who)
        start.wait(timeout=60)
        for check in checks:
            try:
                set_tick(incidents, iid, check.group, check.item, True)
                won += 1
            except AlreadyDone as answer:
                assert "was already ticked by " in str(answer)
                answered += 1
        try:
            incidents.decide(iid, "internal" if who == "alice" else "external", seen=None)
            won += 1
        except AlreadyDone as answer:
            assert "triage was already decided" in str(answer)
            answered += 1
    results.put((who, won, answered))


def test_two_processes_ticking_the_same_checks_record_each_once(team_db: TeamDb) -> None:
    with open_store(team_db.url) as store:
        incidents = Incidents(store, SystemClock(), actor="alice")
        iid = incidents.declare("Payment API down", "Critical").id
        assign(incidents, iid, "scribe", "bob")
    n = len(runbook_checks(load_runbook())) + 1  # and the triage decision
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Event(), spawn.Queue()
    workers = [
        spawn.Process(target=_tick_everything, args=(team_db.url, iid, who, start, results))
        for who in ("alice", "bob")
    ]
    for w in workers:
        w.start()
    start.set()
    outcomes = [results.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert all(won + answered == n for _, won, answered in outcomes)
    assert sum(won for _, won, _ in outcomes) == n  # every check once, one decision
    with open_store(team_db.url, readonly=True) as store:
        incidents = Incidents(store, SystemClock())
        ticks = incidents.events(iid, {"check_ticked"})
        assert len(ticks) == n - 1
        assert len({(e.data["group"], e.data["item"]) for e in ticks}) == n - 1
        assert len(incidents.events(iid, {"decision"})) == 1
        assert incidents.verify(iid).ok
