"""The command line's conventions: --json where a script needs it, times in the local zone with
their offset (--utc), a header on the incident list, case-insensitive choices, shell completion
from the database and the runbook, and ``config init``."""

from __future__ import annotations

import json
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stratus_commander.cli import main
from stratus_commander.probes.kinds import KINDS
from stratus_commander.resources import resource_path

DETECTED = "2026-11-27T14:30:00Z"


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.db"
    result = invoke(
        "--db", str(path), "incidents", "declare", "--title", "Payments down", "--impact",
        "Major", "--detected-at", DETECTED, "--at", "2026-11-27T14:33Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return path


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local zone is India's: UTC+05:30 all year."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# ---------------------------------------------------------------- --json


def test_recording_commands_print_the_event_as_json(db: Path) -> None:
    for args, kind in (
        (("note", "1", "Stripe is green"), "note"),
        (("status", "1", "identified"), "status_changed"),
        (("resolve", "1", "--text", "rolled back"), "status_changed"),
    ):
        result = invoke("--db", str(db), "incidents", *args, "--json")
        assert result.exit_code == 0, result.stderr
        event = json.loads(result.stdout)
        assert (event["incident"], event["kind"]) == ("INC-1", kind)
        assert event["at"].endswith("Z") and len(event["hash"]) == 64
    assert event["data"] == {"from": "identified", "to": "resolved"}


def test_verify_json_and_its_exit_code(db: Path) -> None:
    invoke("--db", str(db), "incidents", "note", "1", "one")
    result = invoke("--db", str(db), "incidents", "verify", "1", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "incident": "INC-1",
        "ok": True,
        "events_checked": 2,
        "chain_intact": True,
        "broken_at": None,
        "reason": None,
        "record_disagrees_on": [],
    }
    conn = sqlite3.connect(db)
    conn.execute("UPDATE events SET text = 'edited' WHERE seq = 2")
    conn.commit()
    conn.close()
    result = invoke("--db", str(db), "incidents", "verify", "1", "--json")
    out = json.loads(result.stdout)
    assert result.exit_code == 1 and not out["ok"] and out["broken_at"] == 2


def test_runbook_check_json_lists_the_check_ids_tick_takes(db: Path) -> None:
    result = invoke("runbook", "check", "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["valid"] and out["name"] == "StratusConnect Incident Runbook"
    assert [c["id"] for c in out["clocks"]][:3] == ["declare", "triage", "communicate"]
    assert out["clocks"][4]["due_after"] == {"Minor": "1h", "Major": "15m", "Critical": "5m"}
    ids = [c["id"] for c in out["checks"]]
    assert len(ids) == len(set(ids)) > 30
    assert {"checklist": "Database issues", "id": "mitigation.database.restart-database",
            "text": "Restart database if necessary"} in out["checks"]  # fmt: skip
    for check in (ids[0], ids[-1]):
        result = invoke("--db", str(db), "incidents", "tick", "1", check)
        assert result.exit_code == 0, result.stderr


def test_check_json_of_a_file_that_does_not_validate(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("probes = 3\n")
    for group in ("config", "runbook"):
        result = invoke(group, "check", str(bad), "--json")
        assert result.exit_code == 2
        out = json.loads(result.stdout)
        assert out["valid"] is False and out["problems"]
        assert all(p.startswith(f"{bad}: ") for p in out["problems"])
        assert out["problems"][0] in result.stderr  # the text on stderr as without --json


# ---------------------------------------------------------------- times, the list, choices


def test_times_read_in_the_local_zone_with_the_offset_or_in_utc(db: Path, kolkata: None) -> None:
    listed = invoke("--db", str(db), "incidents", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "STATUS", "IMPACT", "DECLARED", "TITLE"]
    assert listed[1].split()[:5] == [
        "INC-1",
        "investigating",
        "Major",
        "2026-11-27",
        "20:03:00+05:30",
    ]
    assert (
        "2026-11-27 14:33:00+00:00" in invoke("--db", str(db), "--utc", "incidents", "list").stdout
    )
    shown = invoke("--db", str(db), "incidents", "show", "1").stdout
    assert "detected 2026-11-27 20:00:00+05:30, declared 2026-11-27 20:03:00+05:30" in shown
    result = invoke(
        "--db", str(db), "incidents", "note", "1", "x", "--at", "2026-11-27T20:10+05:30"
    )
    assert result.stdout.startswith("INC-1 #2  2026-11-27 20:10:00+05:30  note  ")
    invoke("--db", str(db), "incidents", "resolve", "1", "--at", "2026-11-27T16:10Z")
    review = invoke("--db", str(db), "incidents", "review", "1").stdout
    assert "Review due 2026-11-29 21:40:00+05:30: " in review  # 48 h after the resolution
    review = invoke("--db", str(db), "--utc", "incidents", "review", "1").stdout
    assert "Review due 2026-11-29 16:10:00+00:00: " in review
    # What the CLI shows, --at reads back.
    result = invoke(
        "--db", str(db), "incidents", "note", "1", "y", "--at", "2026-11-27 20:11:00+05:30"
    )
    assert (
        result.exit_code == 0
        and json.loads(invoke("--db", str(db), "incidents", "show", "1", "--json").stdout)[
            "timeline"
        ][-1]["at"]
        == "2026-11-27T14:41:00.000Z"
    )


def test_impact_is_a_case_insensitive_choice(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    for given in ("cRiTiCaL", "minor"):
        result = invoke(
            "--db", db, "incidents", "declare", "--title", "t", "--impact", given, "--json"
        )
        assert json.loads(result.stdout)["impact"] == given.capitalize()
    result = invoke("--db", db, "incidents", "declare", "--title", "t", "--impact", "severe")
    assert result.exit_code == 2
    assert "Invalid value for '--impact': 'severe' is not one of" in result.stderr


def test_the_cli_choices_are_the_domains() -> None:
    from stratus_commander.cli import milestones, record
    from stratus_commander.incident import CHANNELS, DECISIONS, ESCALATION_MEANS, OPEN_STATUSES
    from stratus_commander.runbook import IMPACTS

    assert record.IMPACT_CHOICES == IMPACTS
    assert (*OPEN_STATUSES, "resolved") == record.STATUS_CHOICES
    assert milestones.DECISION_CHOICES == DECISIONS
    assert tuple(milestones.CHANNEL_CHOICES.values()) == CHANNELS
    assert milestones.ESCALATION_CHOICES == ESCALATION_MEANS


# ---------------------------------------------------------------- shell completion


def complete(line: str) -> list[str]:
    """What bash would offer at the end of ``line`` (click's bash_complete protocol)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    result = CliRunner().invoke(
        main,
        [],
        prog_name="stratus-commander",
        env={
            "_STRATUS_COMMANDER_COMPLETE": "bash_complete",
            "COMP_WORDS": line,
            "COMP_CWORD": str(cword),
        },
    )
    assert result.exit_code == 0 and "Traceback" not in result.output
    return [row.split(",", 1)[1] for row in result.stdout.splitlines() if row]


def test_incident_ids_and_check_ids_complete(db: Path, tmp_path: Path) -> None:
    invoke("--db", str(db), "incidents", "declare", "--title", "Second", "--impact", "Minor")
    prefix = f"stratus-commander --db {db} incidents"
    assert complete(f"{prefix} tick ") == ["INC-2", "INC-1"]
    assert complete(f"{prefix} show 2") == ["2"]
    assert complete(f"{prefix} tick INC-1 mitigation.api.r") == [
        "mitigation.api.restart-app",
        "mitigation.api.roll-back",
    ]
    missing = tmp_path / "missing.db"
    assert complete(f"stratus-commander --db {missing} incidents note ") == []
    assert not missing.exists()  # completing never creates a database
    assert "_STRATUS_COMMANDER_COMPLETE=bash_source" in invoke("--help").stdout


# ---------------------------------------------------------------- config init


def test_config_init_writes_a_sample_with_every_probe_kind(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    result = invoke("config", "init", str(target))
    assert result.exit_code == 0 and f"Wrote {target}" in result.stdout
    assert target.read_text() == resource_path("config", "sample.toml").read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    result = invoke("config", "check", str(target), "--json")
    assert result.exit_code == 0, result.stderr
    assert {p["kind"] for p in json.loads(result.stdout)["probes"]} == set(KINDS)
    assert "env:" in result.stderr  # its secrets are references, unset here: warnings only


def test_config_init_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# my own config\n")
    result = invoke("config", "init", str(target))
    assert result.exit_code == 2
    assert f"Error: {target}: already exists; not overwritten" in result.stderr
    assert target.read_text() == "# my own config\n"
    link = tmp_path / "link.toml"
    link.symlink_to(tmp_path / "nowhere.toml")  # a dangling link is taken too
    assert invoke("config", "init", str(link)).exit_code == 2
    assert not (tmp_path / "nowhere.toml").exists()


def test_config_init_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "no" / "config.toml"
    result = invoke("config", "init", str(target))
    assert result.exit_code == 2 and "no such directory" in result.stderr
    assert not (tmp_path / "no").exists()
    result = invoke("config", "init", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.stderr


def test_config_init_by_default_writes_the_user_config(tmp_path: Path) -> None:
    result = invoke("config", "init")
    assert result.exit_code == 0, result.stderr
    written = tmp_path / "home/.config/stratus-commander/config.toml"
    assert written.exists()
    assert invoke("config", "check").exit_code == 0  # where `config check` looks by default
    assert invoke("config", "init").exit_code == 2
