"""Two responders (processes) doing the same thing at once get one event and an answer, never a
duplicate (on a real PostgreSQL server and on a file); moving an incident between a solo file and
the team's server and back, with ``verify`` passing on both sides."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import SystemClock, to_iso
from stratus_commander.errors import AlreadyDone
from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import runbook_checks, set_tick
from stratus_commander.incident.roles import assign
from stratus_commander.review import TEXT_SECTIONS
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database both responders use: a file, or the team's server."""
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return str(request.getfixturevalue("team_db").url)


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


def test_two_processes_ticking_the_same_checks_record_each_once(location: str) -> None:
    with open_store(location) as store:
        incidents = Incidents(store, SystemClock(), actor="alice")
        iid = incidents.declare("Payment API down", "Critical").id
        assign(incidents, iid, "scribe", "bob")
    n = len(runbook_checks(load_runbook())) + 1  # and the triage decision
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Event(), spawn.Queue()
    workers = [
        spawn.Process(target=_tick_everything, args=(location, iid, who, start, results))
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
    with open_store(location, readonly=True) as store:
        incidents = Incidents(store, SystemClock())
        ticks = incidents.events(iid, {"check_ticked"})
        assert len(ticks) == n - 1
        assert len({(e.data["group"], e.data["item"]) for e in ticks}) == n - 1
        assert len(incidents.events(iid, {"decision"})) == 1
        assert incidents.verify(iid).ok


# --- moving incidents: push a solo file to the team, pull it back for offline review ----------


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = cli(*args)
    assert code == 0, (args, out, err)
    return out


@pytest.mark.postgres
def test_push_and_pull_round_trip_with_verify_on_both_sides(
    team_db: TeamDb, tmp_path: Path
) -> None:
    solo, url = str(tmp_path / "solo.db"), team_db.url
    detected = datetime.now(UTC) - timedelta(minutes=40)
    ok("--db", url, "incidents", "declare", "--title", "Earlier team incident", "--impact", "Minor")
    declared = ("--title", "Webhooks failing", "--impact", "Major", "--services", "Webhooks")
    ok("--db", solo, "--as", "alice", "incidents", "declare", *declared,
       "--detected-at", to_iso(detected))  # fmt: skip
    ok("--db", solo, "--as", "alice", "incidents", "assign", "1", "scribe", "bob")
    ok("--db", solo, "--as", "bob", "incidents", "note", "1", "Stripe says 500s from us")
    ok("--db", solo, "--as", "alice", "incidents", "triage", "1", "internal")
    ok("--db", solo, "--as", "alice", "incidents", "resolve", "1", "--text", "Rolled back")
    sets = []
    for section in load_runbook().close.sections:
        for item in section.items:
            value = "Signing secret rotated" if section.id in TEXT_SECTIONS else "not_needed"
            sets += ["--set", f"{section.id}.{item.id}={value}"]
    ok("--db", solo, "--as", "alice", "incidents", "close", "1", *sets,
       "--fix-applied", "Rolled back", "--learning", "communicate=Say it early")  # fmt: skip
    ok("--db", solo, "--as", "alice", "incidents", "review", "1",
       "--action", "immediate-fixes=Alert on secret age", "--owner", "bob")  # fmt: skip
    original = json.loads(ok("--db", solo, "incidents", "show", "1", "--json"))
    old_head = original["head_hash"]

    out = ok("--db", solo, "--as", "alice", "incidents", "push", "1", "--to", url)
    assert out.startswith(f"Pushed INC-1 as INC-2 in {url}: ")
    assert "the close record and review, 1 action item(s), 1 lesson(s)" in out
    assert "Not copied: probe samples and flips" in out
    assert "intact" in ok("--db", url, "incidents", "verify", "2")
    pushed = json.loads(ok("--db", url, "incidents", "show", "2", "--json"))
    # Every event with its time, kind, signature and text; then one `imported` event.
    keep = ("at", "kind", "actor", "text", "data")
    assert [{k: e[k] for k in keep} for e in pushed["timeline"][:-1]] == [
        {k: e[k] for k in keep} for e in original["timeline"]
    ]
    imported = pushed["timeline"][-1]
    assert (imported["kind"], imported["actor"]) == ("imported", "alice")
    assert imported["data"]["source_head_hash"] == old_head
    assert imported["data"]["source_event_count"] == len(original["timeline"])
    assert pushed["status"] == "closed" and pushed["triage_decision"] == "internal"
    review = json.loads(ok("--db", url, "incidents", "review", "2", "--json"))
    assert [a["text"] for a in review["action_items"]] == ["Alert on secret age"]
    assert "INC-2" in ok("--db", url, "incidents", "list", "--search", "secret rotated")
    assert "Say it early" in ok("--db", url, "runbook", "learnings")

    code, _, err = cli("--db", solo, "incidents", "push", "1", "--to", solo)
    assert code == 2 and "is the database the incident is in (--db)" in err
    # Pushed again: refused, nothing written.
    code, _, err = cli("--db", solo, "incidents", "push", "1", "--to", url)
    assert code == 2 and f"{url} already holds INC-1 as INC-2" in err
    assert "INC-3" not in ok("--db", url, "incidents", "list")

    # Pulled into a new file for offline review: same id, same hashes, one more event.
    local = tmp_path / "review.db"
    out = ok("--as", "carol", "incidents", "pull", "2", "--from", url, "--to", str(local))
    assert out.startswith(f"Pulled INC-2 as INC-2 in {local}: ")
    assert "intact" in ok("--db", str(local), "incidents", "verify", "2")
    pulled = json.loads(ok("--db", str(local), "incidents", "show", "2", "--json"))
    assert [e["hash"] for e in pulled["timeline"][:-1]] == [e["hash"] for e in pushed["timeline"]]
    assert pulled["timeline"][-1]["data"]["source_head_hash"] == pushed["head_hash"]
    assert pulled["timeline"][-1]["actor"] == "carol"
    assert "Alert on secret age" in ok("--db", str(local), "incidents", "review", "2")
    # Pushed back where it came from, even with a note added offline: refused, no second INC-2.
    ok("--db", str(local), "incidents", "note", "2", "read on the train")
    code, _, err = cli("--db", str(local), "incidents", "push", "2", "--to", url)
    assert code == 2 and f"INC-2 is a copy of INC-2 in {url}: it is there already" in err
    assert "the 1 event(s) added to this copy since are not copied" in err
    assert "INC-3" not in ok("--db", url, "incidents", "list")
    # Into a file that exists, or of an incident the server does not hold: refused, no file.
    code, _, err = cli("incidents", "pull", "2", "--from", url, "--to", str(local))
    assert code == 2 and "already exists; not overwritten" in err
    code, _, err = cli("incidents", "pull", "9", "--from", url, "--to", str(tmp_path / "x.db"))
    assert code == 2 and "no incident INC-9" in err and not (tmp_path / "x.db").exists()
