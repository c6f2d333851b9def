"""A drill recorded headless from the command line, in scenario minutes, and its debrief: each
runbook clock met or missed by how much, the triage decision against the scenario's expectation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli_kit import Cli

#: The drill started two hours ago: every scenario minute below is in the past.
START = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)


def minute(n: float) -> str:
    """Scenario minute ``n`` as an ISO time (the CLI's drills run at speed 1)."""
    return (START + timedelta(minutes=n)).isoformat()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "incidents.db")


def payment_drill(
    cli: Cli, scenario: str = "payment-processing-down", decision: str = "internal"
) -> None:
    cli.ok(
        "incidents", "declare", "--title", "Payments failing", "--impact", "critical",
        "--detected-at", minute(1), "--at", minute(2),
        "--drill", scenario, "--drill-started-at", minute(0),
    )  # fmt: skip
    cli.ok("incidents", "triage", "1", decision, "--at", minute(4))
    cli.ok("incidents", "update", "1", "--text", "Payments are delayed", "--at", minute(19))


def test_the_debrief_scores_a_drill_recorded_in_scenario_minutes(cli: Cli) -> None:
    payment_drill(cli)
    debrief = json.loads(cli.ok("incidents", "debrief", "1", "--json"))
    clocks = {c["clock"]: c for c in debrief["clocks"]}

    assert clocks["declare"]["outcome"] == "met"  # detected at 1, declared at 2: due at 6
    assert (clocks["declare"]["due_scenario"], clocks["declare"]["met_scenario"]) == ("6m", "2m")
    assert clocks["triage"]["outcome"] == "met"
    assert clocks["communicate"]["met"] is False
    assert clocks["communicate"]["outcome"] == "late"
    assert clocks["communicate"]["by_s"] == 120  # due at 17, sent at 19
    assert clocks["communicate"]["summary"].startswith("missed by 2")
    assert clocks["escalate"]["outcome"] == "missed"  # nobody was escalated to

    triage = debrief["triage"]
    assert (triage["decision"], triage["expected"], triage["matches"]) == (
        "internal",
        "external",
        False,
    )
    assert "status.stripe.com reports the API down" in triage["see"]
    assert debrief["scenario"]["name"] == "payment-processing-down"
    assert debrief["escalation"]["expected_who"] == ["CTO", "Head of Engineering"]
    assert debrief["communication"]["first_update_on_time"] is False
    assert debrief["communication"]["audience_right"] is True
    assert any(p.startswith("COMMUNICATE") for p in debrief["practise"])
    assert any("external was expected" in p for p in debrief["practise"])
    assert 0 < debrief["score"] < 100

    text = cli.ok("incidents", "debrief", "INC-1")
    assert "COMMUNICATE  missed by 2\u00a0min" in text
    assert "internal at +4m" in text and "expected external" in text


def test_a_drill_done_well_scores_full_marks(cli: Cli) -> None:
    cli.ok(
        "incidents", "declare", "--title", "Payments failing", "--impact", "critical",
        "--detected-at", minute(1), "--at", minute(2),
        "--drill", "payment-processing-down", "--drill-started-at", minute(0),
    )  # fmt: skip
    cli.ok("incidents", "triage", "1", "external", "--at", minute(4))
    cli.ok("incidents", "escalate", "1", "--to", "CTO,Head of Engineering", "--at", minute(5))
    cli.ok("incidents", "update", "1", "--text", "Payments are delayed", "--at", minute(10))
    cli.ok("incidents", "update", "1", "--text", "Still delayed", "--at", minute(35))
    cli.ok("incidents", "resolve", "1", "--at", minute(36))
    debrief = json.loads(cli.ok("incidents", "debrief", "1", "--json"))
    assert debrief["score"] == 100
    assert debrief["practise"] == []
    assert debrief["triage"]["matches"] is True
    assert debrief["communication"]["cadence_kept"] is True


def test_a_broken_cadence_and_a_wrong_impact_are_practise_items(cli: Cli) -> None:
    cli.ok(
        "incidents", "declare", "--title", "Payments failing", "--impact", "major",
        "--detected-at", minute(1), "--at", minute(2),
        "--drill", "payment-processing-down", "--drill-started-at", minute(0),
    )  # fmt: skip
    cli.ok("incidents", "update", "1", "--text", "Payments are delayed", "--at", minute(10))
    cli.ok("incidents", "resolve", "1", "--at", minute(50))
    debrief = json.loads(cli.ok("incidents", "debrief", "1", "--json"))
    comms = debrief["communication"]
    assert comms["cadence_kept"] is False and comms["gaps"][0]["over_by_s"] == 10 * 60
    assert comms["audience_right"] is False
    assert comms["audience_expected"] == "All users, brokers, operators"
    assert any("declared Major" in p for p in debrief["practise"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--drill", "payment-processing-down"], "--drill: needs --drill-started-at"),
        (["--drill-started-at", minute(0)], "--drill-started-at: given without --drill"),
        (["--drill", "no-such-drill", "--drill-started-at", minute(0)], "unknown drill scenario"),
        (
            ["--drill", "payment-processing-down", "--drill-started-at", minute(1.5)],
            "is after the detection",
        ),
    ],
)
def test_a_bad_drill_declaration_is_refused_and_nothing_written(
    cli: Cli, args: list[str], message: str
) -> None:
    code, _, err = cli(
        "incidents", "declare", "--title", "Payments failing", "--impact", "critical",
        "--detected-at", minute(1), "--at", minute(2), *args,
    )  # fmt: skip
    assert code == 2 and message in err
    assert not cli.db.exists() or "No incidents" in cli.ok("incidents", "list")


def test_only_a_drill_has_a_debrief(cli: Cli) -> None:
    cli.ok("incidents", "declare", "--title", "Real outage", "--impact", "minor")
    code, _, err = cli("incidents", "debrief", "1")
    assert code == 2 and "INC-1 is not a drill" in err


def test_a_drill_of_a_scenario_file_is_debriefed_as_run_whatever_became_of_the_file(
    cli: Cli, tmp_path: Path
) -> None:
    """The scenario is recorded with the drill: the file moved, or edited to expect something
    else, the debrief still reads the scenario that was run."""
    bundled = Path(__file__).parents[2] / "resources/drills/payment-processing-down.toml"
    mine = tmp_path / "my-payments.toml"
    mine.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    payment_drill(cli, str(mine), "external")
    mine.write_text(mine.read_text(encoding="utf-8").replace("external", "internal"))
    mine.rename(tmp_path / "moved.toml")

    debrief = json.loads(cli.ok("incidents", "debrief", "1", "--json"))
    assert debrief["scenario"]["name"] == str(mine)  # where it was run from
    assert debrief["triage"]["expected"] == "external" and debrief["triage"]["matches"] is True
    assert "cannot be read back" not in cli.ok("incidents", "debrief", "1")
