"""A whole incident recorded from the command line after the fact, with its real times (``--at``),
and every time the timeline cannot hold refused with exit 2, naming the rule, nothing written."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from stratus_commander.actors import current_person
from tests.cli_kit import CLOSE, Cli

#: The outage happened yesterday (UTC): every time is in the past, and a review completed now is
#: within 48 h of its resolution.
DAY: date = datetime.now(UTC).date() - timedelta(days=1)


def at(hhmm: str) -> str:
    return f"{DAY.isoformat()}T{hhmm}:00Z"


def shown(hhmm: str) -> str:
    """A time as ``--utc`` shows it."""
    return f"{DAY.isoformat()} {hhmm}:00+00:00"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "incidents.db")


def declare(cli: Cli) -> None:
    out = cli.ok(
        "incidents", "declare", "--title", "Payment Processing API Down", "--impact", "critical",
        "--services", "API,Webhooks", "--detected-at", at("14:30"), "--at", at("14:33"),
    )  # fmt: skip
    assert out.startswith(f"Declared INC-1 at {shown('14:33')} (detected {shown('14:30')})")


def test_the_paper_incident_entered_afterwards_reads_its_real_durations(
    cli: Cli, tmp_path: Path
) -> None:
    declare(cli)
    out = cli.ok("incidents", "escalate", "INC-1", "--to", "CTO", "--how", "paged",
                 "--at", at("14:36"))  # fmt: skip
    assert out.startswith(f"INC-1 #2  {shown('14:36')}  escalated  ")
    assert out.rstrip().endswith(": Escalated to CTO (paged)")
    out = cli.ok("incidents", "triage", "1", "internal", "--note", "pool exhausted",
                 "--at", at("14:40"))  # fmt: skip
    assert "Triage decision: internal — pool exhausted" in out
    cli.ok("incidents", "update", "1", "--text", "We are investigating payment failures.",
           "--channel", "status-page", "--at", at("14:45"))  # fmt: skip
    cli.ok("incidents", "tick", "1", "mitigation.database.pool-status", "--at", at("14:55"))
    cli.ok("incidents", "note", "1", "PgBouncer at 100 %", "--at", at("15:00"))
    cli.ok("incidents", "update", "1", "--text", "Cause found.", "--at", at("15:10"))
    cli.ok("incidents", "status", "1", "identified", "--at", at("15:20"))
    cli.ok("incidents", "update", "1", "--text", "Fix rolling out.", "--channel", "email",
           "--at", at("15:40"))  # fmt: skip
    cli.ok("incidents", "status", "1", "monitoring", "--at", at("15:50"))
    cli.ok("incidents", "update", "1", "--text", "Recovering.", "--at", at("16:05"))
    out = cli.ok("incidents", "resolve", "1", "--text", "Pool size raised", "--at", at("16:10"))
    assert out.startswith(f"INC-1 #12  {shown('16:10')}  status_changed  ")
    assert "Status: monitoring → resolved — Pool size raised" in out

    # Every event carries its real time, in the order entered, each signed by the person.
    timeline = cli.events()
    assert [e["at"][11:16] for e in timeline] == [
        "14:33", "14:36", "14:40", "14:45", "14:55", "15:00", "15:10", "15:20", "15:40",
        "15:50", "16:05", "16:10",
    ]  # fmt: skip
    assert {e["actor"] for e in timeline} == {current_person()}
    assert all("entered_at" in e["data"] for e in timeline)

    # The review: the real durations, to the minute, each target met, nothing out of order.
    review = json.loads(cli.ok("incidents", "review", "1", "--json"))
    minutes = {d["id"]: d["seconds"] / 60 for d in review["durations"] if d["seconds"]}
    assert minutes == {
        "declare": 3, "triage": 7, "first_update": 12, "escalate": 3, "mitigate": 77,
        "resolve": 100,
    }  # fmt: skip
    assert all(d["met"] for d in review["durations"] if d["target_seconds"] and d["seconds"])
    assert review["order_problems"] == []
    text = cli.ok("incidents", "review", "1")
    assert re.search(r"Time to triage +7\xa0min +target 10\xa0min +met", text)
    assert re.search(r"Time to first update +12\xa0min +target 15\xa0min +met", text)
    assert "IMPOSSIBLE" not in text

    # Close it at 16:40 and complete the review at 18:00, both entered now.
    close = tmp_path / "close.toml"
    close.write_text(CLOSE, encoding="utf-8")
    cli.ok("incidents", "close", "1", "--file", str(close), "--at", at("16:40"))
    deadline = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cli.ok(
        "incidents", "review", "1", "--affected-users", "1200", "--financial-impact", "USD 4,000",
        "--reputation", "Complaints from two brokers", "--meeting", deadline,
        "--answer", "what-happened=Pool exhausted", "--answer", "why=Connection leak",
        "--answer", "prevention=Pool alarm", "--action", "immediate=Fix the leak",
        "--owner", "bob", "--deadline", deadline,
    )  # fmt: skip
    cli.ok("incidents", "review", "1", "--complete", "--at", at("18:00"))
    closing = [
        (e["kind"], e["at"][11:16])
        for e in cli.events()
        if e["kind"] == "closed" or e["data"].get("completed")
    ]
    assert closing == [("closed", "16:40"), ("review", "18:00")]
    shown_json = json.loads(cli.ok("incidents", "show", "1", "--json"))
    pir = next(c for c in shown_json["clocks"] if c["id"] == "pir")
    assert pir["met_at"].startswith(f"{DAY.isoformat()}T18:00")

    # Every clock reads met, none late.
    shown_json = json.loads(cli.ok("incidents", "show", "1", "--json"))
    assert {c["id"]: (c["state"], c["met_late"]) for c in shown_json["clocks"]} == {
        clock: ("met", False)
        for clock in ("declare", "triage", "communicate", "next_update", "escalate", "pir")
    }
    text = cli.ok("incidents", "show", "1")
    clock_lines = text.split("Clocks:\n", 1)[1].split("Update cadence:")[0].splitlines()
    assert [line[25:35].strip() for line in clock_lines] == ["met"] * 6
    assert not any(line.endswith(" LATE") for line in clock_lines)
    # Updates at 14:45, 15:10, 15:40 and 16:05, resolved 16:10: every window kept.
    assert "Update cadence: 4 status updates; every 30\xa0min: 4 of 4 windows kept; " in text


def test_show_says_when_an_event_was_entered(cli: Cli) -> None:
    declare(cli)
    cli.ok("incidents", "note", "1", "Paper log, page 1", "--at", at("14:35"))
    timeline = cli.ok("incidents", "show", "1").split("Timeline:\n", 1)[1]
    assert re.search(
        re.escape(shown("14:35"))
        + r"  note +\S+: Paper log, page 1 \(entered \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00\)",
        timeline,
    )


def test_an_event_entered_later_with_an_earlier_time_is_no_impossible_order(cli: Cli) -> None:
    """A page of the paper log found late: its note goes in after events that happened after it.
    The timeline keeps the order of entry; the review does not call that a clock going back."""
    declare(cli)
    cli.ok("incidents", "triage", "1", "internal", "--at", at("14:40"))
    cli.ok("incidents", "update", "1", "--text", "Investigating.", "--at", at("14:45"))
    cli.ok("incidents", "note", "1", "Paper log, page 2: pool at 100 %", "--at", at("14:38"))
    assert [e["at"][11:16] for e in cli.events()] == ["14:33", "14:40", "14:45", "14:38"]
    review = json.loads(cli.ok("incidents", "review", "1", "--json"))
    assert review["order_problems"] == []
    assert "IMPOSSIBLE" not in cli.ok("incidents", "review", "1")


# ---------------------------------------------------------------- each rule, refused


@pytest.fixture
def running(cli: Cli) -> Cli:
    """Detected 14:30, declared 14:33, escalated 14:36, triaged 14:40, first update 14:45,
    a check ticked 15:00, identified 15:20."""
    declare(cli)
    cli.ok("incidents", "escalate", "1", "--to", "CTO", "--at", at("14:36"))
    cli.ok("incidents", "triage", "1", "external", "--at", at("14:40"))
    cli.ok("incidents", "update", "1", "--text", "Investigating.", "--at", at("14:45"))
    cli.ok("incidents", "tick", "1", "restart-database", "--at", at("15:00"))
    cli.ok("incidents", "status", "1", "identified", "--at", at("15:20"))
    return cli


@pytest.mark.parametrize(
    ("command", "time", "says"),
    [
        (("note", "1", "x"), "14:20",
         "the note at {t} is before the incident's detection at {14:30}"),
        (("resolve", "1"), "14:31", "the resolution at {t} is before the declaration at {14:33}"),
        (("resolve", "1"), "15:10",
         "the resolution at {t} is before the previous status change (to identified) at {15:20}"),
        (("status", "1", "monitoring"), "15:19",
         "the status change to monitoring at {t} is before the previous status change"),
        (("update", "1", "--text", "x"), "14:44",
         "the status update at {t} is before the previous status update at {14:45}"),
        (("triage", "1", "internal"), "14:39",
         "the triage decision at {t} is before the previous triage decision at {14:40}"),
        (("escalate", "1", "--to", "CEO"), "14:35",
         "the escalation at {t} is before the previous escalation at {14:36}"),
        (("untick", "1", "mitigation.database.restart-database"), "14:59",
         "the untick at {t} is before this check's previous tick at {15:00}"),
        (("tick", "1", "communicate.open-admin-panel"), "14:32",
         "the tick at {t} is before the declaration at {14:33}"),
    ],
)  # fmt: skip
def test_a_time_before_what_it_depends_on_is_refused_naming_the_rule(
    running: Cli, command: tuple[str, ...], time: str, says: str
) -> None:
    before = running.events()
    err = running.refused("incidents", *command, "--at", at(time))
    expected = re.sub(r"\{(\d\d:\d\d)\}", lambda m: shown(m[1]), says.replace("{t}", shown(time)))
    assert f"Error: --at: {expected}" in err
    assert running.events() == before  # nothing written


def test_close_and_review_times_are_checked_like_every_other(running: Cli, tmp_path: Path) -> None:
    close = tmp_path / "close.toml"
    close.write_text(CLOSE, encoding="utf-8")
    err = running.refused("incidents", "close", "1", "--file", str(close), "--draft",
                          "--at", at("16:40"))  # fmt: skip
    assert "Error: --at is when it was closed: a --draft closes nothing" in err
    assert "--at is when the review was completed" in running.refused(
        "incidents", "review", "1", "--at", at("16:40")
    )
    running.ok("incidents", "resolve", "1", "--at", at("16:10"))
    before = running.events()
    err = running.refused("incidents", "close", "1", "--file", str(close), "--at", at("16:00"))
    assert f"Error: --at: the close at {shown('16:00')} is before the resolution at " in err
    assert running.events() == before
    assert json.loads(running.ok("incidents", "show", "1", "--json"))["status"] == "resolved"


def test_a_time_in_the_future_is_refused(running: Cli) -> None:
    before = running.events()
    soon = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for command in (("note", "1", "x"), ("resolve", "1"), ("update", "1", "--text", "x")):
        err = running.refused("incidents", *command, "--at", soon)
        assert re.search(r"Error: --at: the \w[\w ]* at .* is in the future: it is now ", err)
    assert running.events() == before


def test_a_declaration_before_its_detection_is_refused_and_nothing_is_created(cli: Cli) -> None:
    err = cli.refused(
        "incidents", "declare", "--title", "x", "--impact", "Minor",
        "--detected-at", at("14:30"), "--at", at("14:29"),
    )  # fmt: skip
    assert f"Error: --at: the declaration at {shown('14:29')} is before the detection at " in err
    assert not cli.db.exists()  # the times are checked before the database is opened...
    cli.ok("incidents", "declare", "--title", "y", "--impact", "Minor")
    cli.refused("incidents", "declare", "--title", "x", "--impact", "Minor",
                "--detected-at", at("14:30"), "--at", at("14:29"))  # fmt: skip
    listed = json.loads(cli.ok("incidents", "list", "--json"))
    assert [i["title"] for i in listed] == ["y"]  # ...and by the domain before it is written


def test_a_detection_after_the_declaration_given_names_at(cli: Cli) -> None:
    err = cli.refused("incidents", "declare", "--title", "x", "--impact", "Minor",
                      "--detected-at", at("14:40"), "--at", at("14:33"))  # fmt: skip
    assert f"Error: --at: the declaration at {shown('14:33')} is before the detection at " in err
    assert not cli.db.exists()


# ---------------------------------------------------------------- odd input, no traceback


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("2026-11-27T14:30:00", "is not an ISO-8601 time with a zone"),
        ("14:30", "is not an ISO-8601 time with a zone"),
        ("garbage", "is not an ISO-8601 time with a zone"),
        ("", "is not an ISO-8601 time with a zone"),
        ("0001-01-01T00:00:00Z", "is not between 1970 and 8999"),
        ("9999-12-31T23:59:00-05:00", "is not an ISO-8601 time with a zone"),
        ("8999-01-01T00:00:00Z", "is in the future"),
        ("1999-12-31T23:59:59Z", "before the incident's detection"),
    ],
)
def test_odd_times_are_refused_naming_at(running: Cli, given: str, says: str) -> None:
    for command in (
        ("note", "1", "x"),
        ("triage", "1", "unknown"),
        ("tick", "1", "block-suspicious"),
    ):
        err = running.refused("incidents", *command, "--at", given)
        assert err.startswith("Error: --at: ") and says in err


def test_odd_times_on_declare_are_refused_before_anything_is_created(cli: Cli) -> None:
    for given in ("garbage", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2999-01-01T00:00Z"):
        err = cli.refused("incidents", "declare", "--title", "x", "--impact", "Minor",
                          "--at", given)  # fmt: skip
        assert err.startswith("Error: --at: ")
    assert not cli.db.exists()


def test_an_incident_that_does_not_exist(running: Cli) -> None:
    for command in (
        ("triage", "42", "internal"),
        ("update", "INC-42", "--text", "x"),
        ("escalate", "42", "--to", "CTO"),
        ("tick", "42", "block-suspicious"),
        ("untick", "42", "block-suspicious"),
        ("note", "42", "x", "--at", at("15:00")),
    ):
        assert "no incident INC-42" in running.refused("incidents", *command)
    assert "ID: not an incident id: 'forty-two'" in running.refused(
        "incidents", "triage", "forty-two", "internal"
    )


def test_checks_that_cannot_be_ticked(running: Cli) -> None:
    err = running.refused("incidents", "tick", "1", "no-such-check")
    assert (
        "CHECK: 'no-such-check' is not a check of the runbook (see `runbook check --json`)" in err
    )
    err = running.refused("incidents", "tick", "1", "restart")
    assert "did you mean mitigation.api.restart-app" in err
    err = running.refused("incidents", "tick", "1", "app-logs")
    assert "'app-logs' is in more than one checklist: say which of mitigation.api.app-logs" in err
    err = running.refused("incidents", "tick", "1", "triage.api.api-health-endpoint")
    assert "is answered by the api probes, not ticked by hand" in err
    out = running.ok("incidents", "tick", "1", "restart-database")
    assert "Already done: INC-1: “Restart database if necessary” was already ticked by " in out
    err = running.refused("incidents", "untick", "1", "block-suspicious")
    assert "is not ticked" in err
    before = running.events()
    running.ok("incidents", "untick", "1", "restart-database")
    running.ok("incidents", "tick", "1", "restart-database")  # ticked again: fine
    assert [e["kind"] for e in running.events()[len(before) :]] == [
        "check_unticked",
        "check_ticked",
    ]


def test_odd_milestone_values(running: Cli) -> None:
    assert "--text: must not be empty" in running.refused("incidents", "update", "1", "--text", " ")
    assert "Invalid value for '--channel'" in running.refused(
        "incidents", "update", "1", "--text", "x", "--channel", "fax"
    )
    assert "Missing option '--to'" in running.refused("incidents", "escalate", "1")
    assert "--to: whom?" in running.refused("incidents", "escalate", "1", "--to", ",")
    assert "Invalid value for '--how'" in running.refused(
        "incidents", "escalate", "1", "--to", "CTO", "--how", "shouted"
    )
    assert "'maybe' is not one of 'internal'" in running.refused(
        "incidents", "triage", "1", "maybe"
    )
    assert "--note: is not valid UTF-8" in running.refused(
        "incidents", "triage", "1", "internal", "--note", "\udcff"
    )


def test_a_closed_incident_takes_notes_but_no_milestones(running: Cli, tmp_path: Path) -> None:
    running.ok("incidents", "resolve", "1", "--at", at("16:10"))
    close = tmp_path / "close.toml"
    close.write_text(CLOSE, encoding="utf-8")
    running.ok("incidents", "close", "1", "--file", str(close))
    assert "INC-1 is closed" in running.refused("incidents", "triage", "1", "internal")
    assert "INC-1 is closed" in running.refused("incidents", "update", "1", "--text", "x")
    running.ok("incidents", "note", "1", "Found the paper log", "--at", at("16:20"))
