import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.store import open_store


@pytest.fixture
def cli(tmp_path: Path):
    db = tmp_path / "incidents.db"
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, ["--db", str(db), *args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    run.db = db  # type: ignore[attr-defined]
    return run


def _declare(cli) -> int:
    code, out, _ = cli(
        "incidents",
        "declare",
        "--title",
        "Payment Processing API Down",
        "--impact",
        "Critical",
        "--services",
        "API,Webhooks",
        "--affected",
        "Stripe Connect API, Payment Intents",
        "--detected-at",
        "2026-11-27T09:58:00Z",
        "--json",
    )
    assert code == 0
    return int(json.loads(out)["id"])


def test_declare_note_status_resolve_show(cli) -> None:
    iid = _declare(cli)
    assert cli("incidents", "note", f"INC-{iid}", "Stripe status page is green")[0] == 0
    assert cli("incidents", "status", str(iid), "identified")[0] == 0
    code, out, _ = cli("incidents", "resolve", str(iid), "--text", "Rolled back deploy 4711")
    assert code == 0 and "resolved" in out
    code, out, _ = cli("incidents", "show", str(iid), "--json")
    shown = json.loads(out)
    assert shown["status"] == "resolved"
    assert shown["scope"] == ["API", "Webhooks"]
    assert shown["affected_services"] == ["Stripe Connect API", "Payment Intents"]
    assert shown["detected_at"] == "2026-11-27T09:58:00.000Z"
    clocks = {c["id"]: c for c in shown["clocks"]}
    assert set(clocks) == {"declare", "triage", "communicate", "next_update", "escalate", "pir"}
    assert clocks["pir"]["state"] in {"pending", "due soon"}
    assert [e["kind"] for e in shown["timeline"]] == [
        "declared",
        "note",
        "status_changed",
        "status_changed",
    ]
    code, out, _ = cli("incidents", "show", str(iid))
    assert "POST-INCIDENT REVIEW" in out and "Stripe status page is green" in out


def test_list_json_and_search(cli) -> None:
    iid = _declare(cli)
    cli("incidents", "note", str(iid), "PgBouncer restarted")
    code, out, _ = cli("incidents", "list", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [iid]
    code, out, _ = cli("incidents", "list", "--search", "pgbouncer")
    assert f"INC-{iid}" in out
    code, out, _ = cli("incidents", "list", "--search", "nothing-like-this")
    assert "No incidents" in out


def test_verify_reports_tampering_with_exit_1(cli) -> None:
    import sqlite3

    iid = _declare(cli)
    cli("incidents", "note", str(iid), "one")
    cli("incidents", "note", str(iid), "two")
    code, out, _ = cli("incidents", "verify", str(iid))
    assert code == 0 and "intact (3 events" in out
    conn = sqlite3.connect(cli.db)
    conn.execute("UPDATE events SET text = 'edited' WHERE seq = 2")
    conn.commit()
    conn.close()
    code, out, _ = cli("incidents", "verify", str(iid))
    assert code == 1
    assert "BROKEN at event 2" in out


def test_export_json_and_markdown(cli, tmp_path: Path) -> None:
    iid = _declare(cli)
    cli("incidents", "note", str(iid), "key sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdefghijkl leaked")
    code, out, _ = cli("incidents", "export", str(iid), "--format", "json")
    doc = json.loads(out)
    assert doc["integrity"]["verified"] is True
    assert doc["incident"]["title"] == "Payment Processing API Down"
    assert "sk_live_51HqLyjWDarjtT1zdp7dc" not in out
    target = tmp_path / "out" / "inc.md"
    target.parent.mkdir()  # a missing directory is refused (test_odd_input.py)
    code, _, err = cli("incidents", "export", str(iid), "--format", "md", "-o", str(target))
    assert code == 0 and str(target) in err
    text = target.read_text()
    assert text.startswith(f"# INC-{iid}: Payment Processing API Down")
    assert "## Timeline" in text and "Hash chain verified" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("incidents", "declare", "--title", "x", "--impact", "Huge"), "impact"),
        (
            (
                "incidents",
                "declare",
                "--title",
                "x",
                "--impact",
                "Minor",
                "--services",
                "Mainframe",
            ),
            "--services",
        ),
        (
            ("incidents", "declare", "--title", "x", "--impact", "Minor", "--detected-at", "9am"),
            "--detected-at",
        ),
        (("incidents", "note", "42", "hello"), "no incident INC-42"),
        (("incidents", "show", "forty-two"), "not an incident id"),
    ],
)
def test_bad_input_exits_2_naming_the_field(cli, args: tuple[str, ...], message: str) -> None:
    open_store(cli.db).close()  # reading commands refuse a missing database before the id
    code, _, err = cli(*args)
    assert code == 2
    assert message in err


def test_garbage_db_is_refused_and_untouched(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"my notes, not a database\n" * 50)
    result = CliRunner().invoke(main, ["--db", str(garbage), "incidents", "list"])
    assert result.exit_code == 2
    assert str(garbage) in result.stderr and "not an SQLite database" in result.stderr
    assert garbage.read_bytes() == b"my notes, not a database\n" * 50


def test_db_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("STRATUS_COMMANDER_DB", str(db))
    result = CliRunner().invoke(main, ["incidents", "declare", "--title", "x", "--impact", "Minor"])
    assert result.exit_code == 0
    assert db.exists()


def test_default_db_lives_in_the_user_data_dir(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["incidents", "declare", "--title", "x", "--impact", "Minor"])
    assert result.exit_code == 0
    assert (tmp_path / "home/.local/share/stratus-commander/incidents.db").exists()


def test_exports_are_readable_by_others_like_any_file(cli, tmp_path: Path) -> None:
    import os

    iid = _declare(cli)
    target = tmp_path / "inc.json"
    cli("incidents", "export", str(iid), "--format", "json", "-o", str(target))
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("0001-01-01T00:00:00Z", "not between 1970 and 8999"),
        ("1999-12-31T23:59:59Z", "before 2000"),
        ("2999-01-01T00:00:00Z", "in the future"),
    ],
)
def test_an_implausible_detection_time_is_refused_and_the_file_stays_usable(
    cli, when: str, says: str
) -> None:
    iid = _declare(cli)
    code, _, err = cli(
        "incidents", "declare", "--title", "X", "--impact", "Minor", "--detected-at", when
    )
    assert code == 2 and says in err and "--detected-at: " in err
    # No row half-written that later breaks reading, and nothing else written.
    code, out, _ = cli("incidents", "list", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [iid]


def test_a_key_in_the_title_is_redacted_and_verify_agrees_with_the_record(cli) -> None:
    key = "sk_live_51TitleKeyAbCdEfGhIjKlMn"
    code, out, _ = cli(
        "incidents", "declare", "--title", f"Stripe refuses {key}", "--impact", "Major",
        "--affected", f"Stripe ({key})", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["title"] == "Stripe refuses sk_live_[REDACTED]"
    code, out, _ = cli("incidents", "verify", "1")
    assert code == 0, out  # was: "record disagrees with it on: title, affected_services"
    wal = cli.db.with_name(cli.db.name + "-wal")
    assert key[8:].encode() not in cli.db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
