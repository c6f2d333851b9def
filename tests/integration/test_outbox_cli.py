"""The command line on a team database whose server is away: a recording command queues its
events in this machine's outbox (the cockpit's), says so and exits 0; a refused one queues nothing;
`outbox show` lists them, `outbox send` sends them once the server is back — in order, with their
own times, an incident declared meanwhile numbered by the server — with nothing lost and nothing
twice (a real PostgreSQL server, stopped and started)."""

from __future__ import annotations

import json

import pytest

from tests.cli_kit import Cli
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest


def waiting(cli: Cli) -> list[dict]:
    return json.loads(cli.ok("outbox", "show", "--json"))["waiting"]


def test_commands_queue_while_the_server_is_away_and_outbox_send_delivers_them(
    team_db: TeamDb,
) -> None:
    cli = Cli(team_db.url)  # type: ignore[arg-type]  # a URL, as --db takes it
    cli.ok("incidents", "declare", "--title", "Payment API down", "--impact", "Critical")
    cli.ok("incidents", "note", "1", "pool at 100 %")
    server = f"127.0.0.1:{team_db.server.port}/{team_db.name}"
    team_db.server.stop()
    try:
        code, out, err = cli("incidents", "note", "1", "server away: restarting the pooler")
        assert code == 0, err
        assert out.startswith("INC-1 (queued)  ")  # the event, as it will be sent
        assert f"{server} unreachable — queued 1 event in the outbox" in err
        assert "`stratus-commander outbox send`" in err
        cli.ok("incidents", "triage", "1", "internal", "--note", "our pooler")
        # Refused input queues nothing (and says why, exit 2, as always).
        assert "must not be empty" in cli.refused("incidents", "note", "1", "   ")
        assert "not an incident id" in cli.refused("incidents", "note", "INC-x", "text")
        # A new incident declared while away: a local number until the server gives one.
        code, out, err = cli(
            "incidents", "declare", "--title", "Checkout slow", "--impact", "Minor"
        )
        assert code == 0 and out.startswith("Declared INC-L1 "), err
        assert "INC-L1 gets its number from the server" in err
        cli.ok("incidents", "note", "L1", "declared from the command line")
        # A local number this machine never gave: refused, nothing queued.
        assert "no incident INC-L7 declared on this machine" in cli.refused(
            "incidents", "note", "L7", "typo"
        )
        queued = waiting(cli)
        assert [(e["incident"], e["kind"]) for e in queued] == [
            ("INC-1", "note"),
            ("INC-1", "decision"),
            ("INC-L1", "declared"),
            ("INC-L1", "note"),
        ]
        # Reading needs the server, and says so; sending waits for it (exit 1: still waiting).
        assert "reading needs the server" in cli.refused("incidents", "show", "1")
        code, _, err = cli("outbox", "send")
        assert code == 1 and "4 events still waiting: the server is unreachable" in err
        assert len(waiting(cli)) == 4
    finally:
        team_db.server.start()

    code, out, err = cli("outbox", "send")
    assert code == 0, err
    assert "Sent 4 events that waited in the outbox." in out
    assert "INC-L1 is INC-2 on the server." in out
    assert waiting(cli) == []
    assert "INC-L1 (declared while the server was away) is INC-2." in cli.ok("outbox", "show")
    assert "Nothing waits" in cli.ok("outbox", "send")

    first = cli.events(1)
    assert [(e["kind"], e["text"]) for e in first] == [
        ("declared", "Payment API down"),
        ("note", "pool at 100 %"),
        ("note", "server away: restarting the pooler"),
        ("decision", "Triage decision: internal — our pooler"),
    ]
    assert [(e["kind"], e["text"]) for e in cli.events(2)] == [
        ("declared", "Checkout slow"),
        ("note", "declared from the command line"),
    ]
    for iid in ("1", "2", "L1"):  # the local number names the server's incident from now on
        cli.ok("incidents", "verify", iid)
    assert "INC-2 " in cli.ok("incidents", "note", "L1", "after the flush")
    assert json.loads(cli.ok("incidents", "list", "--json"))[0]["label"] == "INC-2"
