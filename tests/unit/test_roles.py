"""Roles and handover as signed timeline events; who a command acts as (``--as``, the config's
``person``, the login); two responders doing the same thing get an answer, not a duplicate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.actors import current_person, person
from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.errors import AlreadyDone, DomainRefused, InputError
from stratus_commander.incident import Incidents
from stratus_commander.incident.roles import assign, hand_over, holders, parse_role
from stratus_commander.store import SqliteStore

NOW = datetime(2026, 11, 27, 14, 41, tzinfo=UTC)


@pytest.fixture
def store() -> SqliteStore:
    return SqliteStore.memory()


def as_(store: SqliteStore, name: str) -> Incidents:
    return Incidents(store, FakeClock(NOW), actor=name)


def test_the_commander_assigns_roles_and_hands_over_command(store: SqliteStore) -> None:
    alice = as_(store, "alice")
    iid = alice.declare("API down", "Critical").id
    assert holders(alice.events(iid)) == {"commander": "alice"}
    assign(alice, iid, "scribe", "bob")
    assign(alice, iid, "comms lead", "carol")
    assign(alice, iid, "Operations-Lead", "dave")
    event = hand_over(alice, iid, "erin")
    assert (event.kind, event.actor, event.text) == (
        "role_assigned",
        "alice",
        "Command handed over: alice → erin",
    )
    assert event.data == {
        "role": "commander",
        "person": "erin",
        "previous": "alice",
        "handover": True,
    }
    assert holders(alice.events(iid)) == {
        "commander": "erin",
        "scribe": "bob",
        "comms_lead": "carol",
        "operations_lead": "dave",
    }
    # Now alice is nobody: she may not assign; erin may.
    with pytest.raises(DomainRefused, match=r"only the incident commander \(erin\) assigns roles"):
        assign(alice, iid, "deputy", "frank")
    assign(as_(store, "erin"), iid, "deputy", "frank")
    # The deputy may take command (the commander's laptop died); not hand it to someone else.
    with pytest.raises(DomainRefused, match="you are frank"):
        hand_over(as_(store, "frank"), iid, "bob")
    hand_over(as_(store, "frank"), iid, "frank")
    assert holders(alice.events(iid))["commander"] == "frank"
    assert alice.verify(iid).ok


def test_roles_and_people_are_checked(store: SqliteStore) -> None:
    alice = as_(store, "alice")
    iid = alice.declare("API down", "Critical").id
    with pytest.raises(
        InputError, match=r"^ROLE: 'janitor' is not a role \(choose from commander, "
    ):
        assign(alice, iid, "janitor", "bob")
    with pytest.raises(InputError, match=r"^PERSON: must not be empty"):
        assign(alice, iid, "scribe", "  ")
    assert parse_role("IC") == "commander" and parse_role("comms_lead") == "comms_lead"
    assign(alice, iid, "scribe", "bob")
    with pytest.raises(AlreadyDone) as again:
        assign(alice, iid, "scribe", "bob")
    assert str(again.value) == (
        "INC-1: bob was already made the scribe by the incident commander (alice) at "
        "2026-11-27T14:41:00.000Z"
    )
    assert len(alice.events(iid, {"role_assigned"})) == 1


def test_a_second_tick_or_decision_is_answered_with_who_did_it_first(store: SqliteStore) -> None:
    from stratus_commander.incident.checklists import find_check, set_tick
    from stratus_commander.runbook import load_runbook

    alice = as_(store, "alice")
    iid = alice.declare("API down", "Critical").id
    assign(alice, iid, "scribe", "bob")
    bob, carol = as_(store, "bob"), as_(store, "carol")
    check = find_check(load_runbook(), "communicate.open-admin-panel")
    set_tick(bob, iid, check.group, check.item, True)
    with pytest.raises(AlreadyDone, match=r"“Go to admin panel” was already ticked by the scribe"):
        set_tick(carol, iid, check.group, check.item, True)
    # Triage: both looked at "no decision yet"; the second is told, whatever they chose.
    bob.decide(iid, "internal", seen=None)
    with pytest.raises(AlreadyDone) as answer:
        carol.decide(iid, "external", seen=None)
    assert answer.value.describe(lambda at: at.strftime("%H:%M")) == (
        "INC-1: triage was already decided: internal by the scribe (bob) at 14:41"
    )
    # A change made knowingly (having seen "internal") is recorded.
    carol.decide(iid, "external", seen="internal")
    assert alice.get(iid).triage_decision == "external"
    assert [e.actor for e in alice.events(iid, {"decision", "check_ticked"})] == [
        "bob",
        "bob",
        "carol",
    ]


def test_who_acts(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert person(None, config) == current_person()  # no file
    config.write_text('person = "  Alice  Smith "\n', encoding="utf-8")
    assert person(None, config) == "Alice Smith"
    assert person("bob", config) == "bob"


def _cli(db: Path, config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["--utc", "--db", str(db), "--config", str(config), *args], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_signs_with_as_or_the_config_person(tmp_path: Path) -> None:
    db, config = tmp_path / "team.db", tmp_path / "config.toml"
    config.write_text('person = "alice"\n', encoding="utf-8")
    assert (
        _cli(db, config, "incidents", "declare", "--title", "API down", "--impact", "Major")[0] == 0
    )
    code, out, _ = _cli(db, config, "incidents", "assign", "1", "scribe", "bob")
    assert code == 0 and "role_assigned  alice: Scribe: bob" in out
    code, _, err = _cli(db, config, "--as", "bob", "incidents", "assign", "1", "deputy", "bob")
    assert code == 2
    assert "Error: INC-1: only the incident commander (alice) assigns roles; you are bob" in err
    code, out, _ = _cli(db, config, "--as", "bob", "incidents", "note", "1", "Logs pulled")
    assert code == 0 and "note  bob: Logs pulled" in out
    code, out, _ = _cli(db, config, "incidents", "handover", "1", "--to", "bob")
    assert code == 0 and "Command handed over: alice → bob" in out
    code, out, _ = _cli(db, config, "--as", "carol", "incidents", "assign", "1", "scribe", "bob")
    assert code == 2
    code, out, _ = _cli(db, config, "incidents", "roles", "1", "--json")
    assert json.loads(out)["roles"] == {
        "commander": "bob",
        "deputy": None,
        "scribe": "bob",
        "comms_lead": None,
        "operations_lead": None,
    }
    # Signatures are in the chain and in exports.
    code, out, _ = _cli(db, config, "incidents", "show", "1", "--json")
    assert [e["actor"] for e in json.loads(out)["timeline"]] == ["alice", "alice", "bob", "alice"]
    assert _cli(db, config, "incidents", "verify", "1")[0] == 0
    code, _, err = _cli(db, config, "--as", " ", "incidents", "list")
    assert code == 2 and "--as" in err
    config.write_text("person = 3\n", encoding="utf-8")
    code, _, err = _cli(db, config, "config", "check", str(config))
    assert code == 2 and "person: must be a name on one line" in err


def test_a_forged_signature_breaks_the_chain(store: SqliteStore) -> None:
    alice = as_(store, "alice")
    iid = alice.declare("API down", "Critical").id
    assign(alice, iid, "scribe", "bob")
    as_(store, "bob").note(iid, "Rolled back")
    store.conn.execute("UPDATE events SET actor = 'alice' WHERE seq = 3")
    check = alice.verify(iid)
    assert not check.ok and check.broken_at == 3 and "altered" in check.reason
