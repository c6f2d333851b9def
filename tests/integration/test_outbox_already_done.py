"""Two responders doing the same thing while one of them is cut off from the team server: the
check ticked, or the triage decided, by a teammate on the server meanwhile is not recorded twice
when the outbox is sent; the queued action is kept as a flagged note naming who was first and
when, and the chain verifies (a real PostgreSQL server, stopped and started)."""

from __future__ import annotations

import json

import pytest

from stratus_commander.clock import SystemClock, to_iso
from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import runbook_checks, set_tick, ticked
from stratus_commander.incident.outbox import LATE_FLAG
from stratus_commander.incident.roles import assign
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store
from tests.cli_kit import Cli
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

CHECK = "mitigation.database.restart-database"


def test_a_tick_and_a_decision_a_teammate_made_meanwhile_are_flagged_not_duplicated(
    team_db: TeamDb,
) -> None:
    cli = Cli(team_db.url)  # type: ignore[arg-type]  # a URL, as --db takes it
    check = runbook_checks(load_runbook())[CHECK]
    cli.ok("--as", "alice", "incidents", "declare", "--title", "DB down", "--impact", "Critical")
    with open_store(team_db.url) as store:
        assign(Incidents(store, SystemClock(), actor="alice"), 1, "scribe", "bob")

    team_db.server.stop()
    try:  # alice's laptop is cut off: her command line queues
        for args in (("tick", "1", CHECK), ("triage", "1", "internal")):
            code, _, err = cli("--as", "alice", "incidents", *args)
            assert code == 0 and "queued 1 event in the outbox" in err, err
    finally:
        team_db.server.start()

    with open_store(team_db.url) as store:  # bob, on the server, does the same first
        bob = Incidents(store, SystemClock(), actor="bob")
        by_bob = [
            set_tick(bob, 1, check.group, check.item, True),
            bob.decide(1, "internal", "pool exhausted"),
        ]

    code, out, err = cli("--as", "alice", "outbox", "send")
    assert code == 0, err
    assert "2 recorded as flagged notes" in out

    with open_store(team_db.url) as store:
        incidents = Incidents(store, SystemClock())
        evs = incidents.events(1)
        assert incidents.verify_projection(1) == []
        assert incidents.get(1).triage_decision == "internal"
    assert [e.kind for e in evs] == [
        "declared",
        "role_assigned",
        "check_ticked",
        "decision",
        "note",
        "note",
    ]
    assert [e.seq for e in evs] == list(range(1, 7))
    assert list(ticked(evs, check.group)) == [check.item.id]  # ticked once, bob's
    for late, first, kind in zip(evs[4:], by_bob, ("check_ticked", "decision"), strict=True):
        assert late.actor == "alice" and late.data["kind"] == kind
        assert late.text.startswith("Taken while the team server was away, not applied")
        assert f"by the scribe (bob) at {to_iso(first.at)}" in late.data[LATE_FLAG]
        assert late.data["first"] == {
            "by": "the scribe (bob)",
            "at": to_iso(first.at),
            "seq": first.seq,
        }
    assert "was already ticked by the scribe (bob)" in evs[4].text
    assert "triage was already decided: internal by the scribe (bob)" in evs[5].text
    cli.ok("incidents", "verify", "1")
    assert json.loads(cli.ok("outbox", "show", "--json"))["waiting"] == []
