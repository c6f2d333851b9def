"""Team mode on a real PostgreSQL server: concurrent appends, the whole incident life cycle through
the command line, and the databases, URLs and servers that are refused."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import SystemClock, to_iso
from stratus_commander.errors import StoreError, StoreUnreachable
from stratus_commander.incident import Incidents
from stratus_commander.review import TEXT_SECTIONS
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store
from tests.integration.pg_server import _free_port
from tests.integration.pg_store import TEAM_PASSWORD, TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest


def cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = cli(db, *args)
    assert code == 0, (args, out, err)
    return out


# --- concurrency -------------------------------------------------------------------------------


def _append_notes(url: str, incident_id: int, who: str, n: int, start: object) -> None:
    """One cockpit appending ``n`` notes as fast as it can (a process of its own)."""
    with open_store(url) as store:
        incidents = Incidents(store, SystemClock(), actor=who)
        start.wait(timeout=60)  # type: ignore[attr-defined]
        for i in range(n):
            incidents.note(incident_id, f"{who} note {i}")


def test_two_processes_appending_at_once_keep_one_linear_chain(team_db: TeamDb) -> None:
    with open_store(team_db.url) as store:
        iid = Incidents(store, SystemClock()).declare("Payment API down", "Critical").id
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Event()
    workers = [
        spawn.Process(target=_append_notes, args=(team_db.url, iid, who, 500, start))
        for who in ("alice", "bob")
    ]
    for w in workers:
        w.start()
    start.set()
    for w in workers:
        w.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0]
    with open_store(team_db.url, readonly=True) as store:
        incidents = Incidents(store, SystemClock())
        events = incidents.events(iid)
        assert [e.seq for e in events] == list(range(1, 1002))
        for who in ("alice", "bob"):  # each one's notes, all there and in its own order
            mine = [e.text for e in events if e.actor == who]
            assert mine == [f"{who} note {i}" for i in range(500)]
        assert incidents.verify(iid).ok
        assert store.timeline_head(iid) == (1001, events[-1].hash)
    # The two interleaved: the lock serialised them, it did not run one after the other.
    actors = [e.actor for e in events[1:]]
    switches = sum(1 for a, b in itertools.pairwise(actors) if a != b)
    assert switches > 1
    assert ok(team_db.url, "incidents", "verify", str(iid)).count("intact") == 1


def test_a_connection_lost_during_an_append_is_the_server_gone_away(team_db: TeamDb) -> None:
    """The append's statement fails as the server going away (what queues a team cockpit's
    actions), there and then, and nothing of it stays."""
    with open_store(team_db.url) as store:
        incidents = Incidents(store, SystemClock(), actor="alice")
        iid = incidents.declare("Checkout down", "Critical", ["API"]).id
        raised: list[Exception] = []
        with pytest.raises(StoreUnreachable), store.write():
            assert store.incident_row(iid) is not None  # locked, head read
            with team_db.admin() as admin:
                pid = store.conn.raw.info.backend_pid  # type: ignore[attr-defined]
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            try:
                store.append_event(iid, datetime.now(UTC), "note", "alice", "never stored")
            except Exception as exc:
                raised.append(exc)  # as the cockpit's outbox sees it, inside the write
                raise
        assert [type(e) for e in raised] == [StoreUnreachable]
        store.reconnect()  # type: ignore[attr-defined]
        assert [e.kind for e in incidents.events(iid)] == ["declared"]
        incidents.note(iid, "stored")
        assert [e.seq for e in incidents.events(iid)] == [1, 2] and incidents.verify(iid).ok


# --- the life cycle through the command line ---------------------------------------------------


def test_the_whole_life_cycle_through_the_command_line(team_db: TeamDb, tmp_path: Path) -> None:
    db = team_db.url
    detected = datetime.now(UTC) - timedelta(minutes=40)
    declared = ("--title", "Payment Processing API Down", "--impact", "Critical",
                "--services", "API,Webhooks", "--affected", "Stripe Connect API")  # fmt: skip
    out = ok(db, "incidents", "declare", *declared, "--detected-at", to_iso(detected), "--json")
    iid = str(json.loads(out)["id"])
    ok(db, "incidents", "note", iid, "PgBouncer pool exhausted; key sk_live_51HqLyjWDarjtT1zdp7d")
    ok(db, "incidents", "status", iid, "identified", "--text", "Connection leak in deploy 4711")
    ok(db, "incidents", "resolve", iid, "--text", "Rolled back deploy 4711")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,name,monthly_fee,currency\nacme,Acme,499.00,USD\n")
    out = ok(db, "incidents", "credits", iid, "--accounts", str(accounts), "--json")
    assert json.loads(out)
    ok(db, "incidents", "credits", iid)  # the stored credits, read back
    code, _, err = cli(db, "incidents", "close", iid)
    assert code == 2 and "is empty" in err  # refused, each missing answer named
    sets = []
    for section in load_runbook().close.sections:
        for item in section.items:
            value = "Pool leak on the error path" if section.id in TEXT_SECTIONS else "not_needed"
            sets += ["--set", f"{section.id}.{item.id}={value}"]
    out = ok(db, "incidents", "close", iid, *sets, "--fix-applied", "Rolled back deploy 4711",
             "--learning", "triage.database.db-pool=Check the pool first")  # fmt: skip
    assert "Rolled back deploy 4711" in out
    ok(db, "incidents", "review", iid, "--answer", "what-happened=Pool leak",
       "--action", "immediate-fixes=Patch the leak", "--owner", "bob",
       "--lesson", "communicate=Say it early")  # fmt: skip
    review = json.loads(ok(db, "incidents", "review", iid, "--done", "1", "--json"))
    assert review["action_items"][0]["status"] == "done"
    shown = json.loads(ok(db, "incidents", "show", iid, "--json"))
    assert shown["status"] == "closed"
    assert "sk_live_51HqLyjWDarjtT1zdp7d" not in json.dumps(shown)
    assert f"INC-{iid}" in ok(db, "incidents", "list", "--search", "pgbounc")
    assert f"INC-{iid}" in ok(db, "incidents", "list", "--search", "leak error")  # close record
    assert "No incidents" in ok(db, "incidents", "list", "--search", "mainframe")
    assert "Check the pool first" in ok(db, "runbook", "learnings")
    doc = json.loads(ok(db, "incidents", "export", iid, "--format", "json"))
    assert doc["integrity"]["verified"] is True
    ok(db, "incidents", "export", iid, "--format", "md", "-o", str(tmp_path / "inc.md"))
    assert "Hash chain verified" in (tmp_path / "inc.md").read_text()
    code, out, _ = cli(db, "incidents", "verify", iid)
    assert code == 0 and "intact" in out
    with team_db.admin() as conn:  # every row of every table, the search words included
        stored = " ".join(
            str(row[0])
            for table in sorted(team_db.tables())
            for row in conn.execute(f'SELECT t::text FROM "{table}" t').fetchall()
        )
    assert "PgBouncer" in stored and "51hqlyjwdarjtt1zdp7d" not in stored.lower()
    # Tampering on the server is caught as it is in a file.
    with team_db.admin() as conn:
        conn.execute("UPDATE events SET text = 'edited' WHERE seq = 2")
    code, out, _ = cli(db, "incidents", "verify", iid)
    assert code == 1 and "BROKEN at event 2" in out


def test_a_reading_command_on_an_empty_database_says_so(team_db: TeamDb) -> None:
    code, _, err = cli(team_db.url, "incidents", "list")
    assert code == 2
    assert "no Stratus Commander database there yet" in err and team_db.url in err
    assert team_db.tables() == set()  # reading created nothing


def test_the_url_may_come_from_the_environment(
    team_db: TeamDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRATUS_COMMANDER_DB", team_db.url)
    result = CliRunner().invoke(main, ["incidents", "declare", "--title", "x", "--impact", "Minor"])
    assert result.exit_code == 0, result.output
    assert "stratus_commander_migrations" in team_db.tables()


def test_the_password_may_be_a_reference(team_db: TeamDb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("TEAM_DB_PASSWORD", TEAM_PASSWORD)
    with open_store(f"{team_db.url}?password=env:TEAM_DB_PASSWORD") as store:
        assert store.incident_rows() == []
    code, _, err = cli(team_db.url, "incidents", "declare", "--title", "x", "--impact", "Minor")
    assert code == 2 and "password" in err  # no password from anywhere: libpq says so
    assert "Traceback" not in err


# --- refusals ----------------------------------------------------------------------------------


def _dump(db: TeamDb) -> list[tuple[object, ...]]:
    with db.admin() as conn:
        return conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2"
        ).fetchall()


def test_a_database_of_another_application_is_refused_untouched(team_db: TeamDb) -> None:
    with psycopg.connect(team_db.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bookings (id int PRIMARY KEY, pilot text)")
        conn.execute("INSERT INTO bookings VALUES (1, 'amelia')")
    before = _dump(team_db)
    code, _, err = cli(team_db.url, "incidents", "declare", "--title", "x", "--impact", "Minor")
    assert code == 2 and "another application" in err and "Traceback" not in err
    with pytest.raises(StoreError, match="another application"):
        open_store(team_db.url)
    assert _dump(team_db) == before
    assert team_db.tables() == {"bookings"}
    with team_db.admin() as conn:
        assert conn.execute("SELECT * FROM bookings").fetchall() == [(1, "amelia")]


def test_a_newer_schema_is_refused_untouched(team_db: TeamDb) -> None:
    open_store(team_db.url).close()
    with team_db.admin() as conn:
        conn.execute("INSERT INTO stratus_commander_migrations (name) VALUES ('p999_future')")
    before = _dump(team_db)
    code, _, err = cli(team_db.url, "incidents", "declare", "--title", "x", "--impact", "Minor")
    assert code == 2 and "newer Stratus Commander" in err and "p999_future" in err
    code, _, err = cli(team_db.url, "incidents", "list")
    assert code == 2 and "newer Stratus Commander" in err
    assert _dump(team_db) == before
    with team_db.admin() as conn:
        assert conn.execute("SELECT count(*) FROM incidents").fetchone() == (0,)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://team:{pw}@127.0.0.1:{port}/incidents",
        "postgres://team@127.0.0.1:{port}/incidents?password={pw}",
    ],
)
def test_a_password_in_the_url_is_refused_and_never_shown(url: str, team_db: TeamDb) -> None:
    url = url.format(pw=TEAM_PASSWORD, port=team_db.server.port)
    code, out, err = cli(url, "incidents", "list")
    assert code == 2 and "password in the URL is refused" in err
    assert TEAM_PASSWORD not in out + err
    with pytest.raises(StoreError, match="password in the URL") as refused:
        open_store(url)
    assert TEAM_PASSWORD not in str(refused.value)


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    url = f"postgresql://team@127.0.0.1:{port}/incidents"
    code, out, err = cli(url, "incidents", "list")
    assert code == 2
    assert "cannot reach the PostgreSQL server" in err and f"127.0.0.1:{port}" in err
    assert "Traceback" not in out + err and "psycopg" not in err
    # Recording is not refused: it waits in the outbox (tests/integration/test_outbox_cli.py).
    code, out, err = cli(url, "incidents", "declare", "--title", "x", "--impact", "Minor")
    assert code == 0 and f"127.0.0.1:{port}/incidents unreachable — queued 1 event" in err
    assert "Traceback" not in out + err and "psycopg" not in err


def test_a_missing_database_on_the_server_is_named(team_db: TeamDb) -> None:
    url = f"postgresql://team@127.0.0.1:{team_db.server.port}/no_such_db"
    code, _, err = cli(url, "incidents", "list")
    assert code == 2 and '"no_such_db" does not exist' in err and "CREATE DATABASE" in err


def test_two_cockpits_adding_items_and_events_to_one_incident_both_succeed(
    team_db: TeamDb,
) -> None:
    """Each inserts a row that refers to the incident, then appends to its timeline: neither
    waits for ever nor is told to try again."""
    with open_store(team_db.url) as store:
        iid = Incidents(store, SystemClock()).declare("Payment API down", "Critical").id
    both_inserted = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def cockpit(who: str) -> None:
        try:
            with open_store(team_db.url) as store:
                incidents = Incidents(store, SystemClock(), actor=who)
                with store.write():
                    store.insert_action_item(
                        {"incident_id": iid, "category": "immediate-fixes", "text": who,
                         "status": "open", "created_at": to_iso(datetime.now(UTC))}
                    )  # fmt: skip
                    both_inserted.wait()
                    incidents.note(iid, f"{who} added an action item")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=cockpit, args=(who,)) for who in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    with open_store(team_db.url, readonly=True) as store:
        assert len(store.action_item_rows(iid)) == 2
        incidents = Incidents(store, SystemClock())
        assert [e.seq for e in incidents.events(iid)] == [1, 2, 3]
        assert incidents.verify(iid).ok
