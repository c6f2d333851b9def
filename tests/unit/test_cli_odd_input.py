"""No traceback for any input: odd input exits 2 naming what is wrong; a bug exits 1 with one
line that points to the log, which holds the traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stratus_commander import logs
from stratus_commander.cli import main
from stratus_commander.errors import DomainRefused

TRACEBACK = "Traceback (most recent call last)"


@pytest.fixture(autouse=True)
def _no_handlers_left():
    yield
    logs.teardown_logging()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.db"
    code, _, err = cli(path, "incidents", "declare", "--title", "Payments", "--impact", "Major")
    assert code == 0, err
    return path


def invoke(*args: str, **kw: object) -> Result:
    # catch_exceptions=False: an exception escaping the CLI fails the test with its traceback.
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)  # type: ignore[arg-type]


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = invoke("--db", str(db), *args)
    return result.exit_code, result.stdout, result.stderr


def refused(db: Path, *args: str) -> str:
    code, _, err = cli(db, *args)
    assert code == 2, err
    assert TRACEBACK not in err
    return err


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "given", ["99999999999999999999999", "INC-9223372036854775808", "9" * 5000]
)
def test_an_id_beyond_sqlite_integers_is_refused_naming_id(db: Path, given: str) -> None:
    for command in (("note", given, "x"), ("show", given), ("export", given)):
        err = refused(db, "incidents", *command)
        assert "ID: " in err and "beyond the largest incident id" in err
        assert len(err) < 300  # a 5000-digit argument is not echoed back whole


def test_the_largest_id_is_asked_for_like_any_other(db: Path) -> None:
    assert "no incident INC-9223372036854775807" in refused(
        db, "incidents", "show", "9223372036854775807"
    )


def test_an_action_item_number_beyond_sqlite_integers_is_a_usage_error(db: Path) -> None:
    cli(db, "incidents", "resolve", "1")
    assert "--done" in refused(db, "incidents", "review", "1", "--done", "9" * 30)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--detected-at", "0026-11-27T09:58:00Z"),  # a typo of 2026: the review cannot work
        ("--detected-at", "0001-01-01T00:00:00+05:00"),  # before year 1 in UTC
        ("--detected-at", "9999-12-31T23:59:00-05:00"),  # after 9999 in UTC
    ],
)
def test_a_time_off_the_calendar_is_refused_naming_the_flag(
    tmp_path: Path, flag: str, value: str
) -> None:
    err = refused(tmp_path / "x.db", "incidents", "declare", "--title", "t", "--impact", "Minor",
                  flag, value)  # fmt: skip
    assert f"Error: {flag}: " in err


def test_review_times_off_the_calendar_are_refused(db: Path) -> None:
    cli(db, "incidents", "resolve", "1")
    err = refused(db, "incidents", "review", "1", "--meeting", "0001-01-01T00:00Z")
    assert "--meeting: " in err
    err = refused(
        db, "incidents", "credits", "1", "--accounts", "a.csv",
        "--maintenance", "0001-01-01T00:00:00Z/2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert "--maintenance: " in err


# ---------------------------------------------------------------- output paths


def test_export_into_a_missing_directory_names_the_path_and_why(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "x.md"
    err = refused(db, "incidents", "export", "1", "-o", str(target))
    assert f"{target}: cannot write: no such directory {target.parent}" in err
    assert not (tmp_path / "no").exists()  # nothing made on the way


def test_export_below_a_file_names_the_path(db: Path, tmp_path: Path) -> None:
    (tmp_path / "file.md").write_text("keep me")
    err = refused(db, "incidents", "export", "1", "-o", str(tmp_path / "file.md" / "x.md"))
    assert "file.md/x.md: cannot write" in err
    assert (tmp_path / "file.md").read_text() == "keep me"


def test_export_to_a_name_too_long_for_the_file_system(db: Path, tmp_path: Path) -> None:
    err = refused(db, "incidents", "export", "1", "-o", str(tmp_path / ("x" * 300 + ".md")))
    assert "cannot write: File name too long" in err


def test_credits_csv_into_a_missing_directory_is_refused_and_stores_nothing(
    db: Path, tmp_path: Path
) -> None:
    cli(db, "incidents", "resolve", "1")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,name,monthly_fee,currency\nacme,Acme,499.00,USD\n")
    target = tmp_path / "missing" / "credits.csv"
    err = refused(
        db, "incidents", "credits", "1", "--accounts", str(accounts), "--csv", str(target)
    )
    assert f"{target}: cannot write: no such directory" in err
    assert "has no credits yet" in refused(db, "incidents", "credits", "1")


def test_export_to_a_named_pipe_writes_into_it_and_leaves_it_a_pipe(
    db: Path, tmp_path: Path
) -> None:
    """``-o /dev/null`` or a pipe: renaming a file over it would replace the device or pipe
    for every program on the machine (as root, /dev/null itself)."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    # Opened for reading first, without waiting: the export can open it for writing at once.
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        code, _, err = cli(db, "incidents", "export", "1", "--format", "json", "-o", str(pipe))
        received = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert code == 0, err
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert b'"title": "Payments"' in received


def test_export_through_a_symbolic_link_keeps_the_link(db: Path, tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    link = tmp_path / "latest.md"
    link.symlink_to(tmp_path / "exports" / "INC-1.md")
    assert cli(db, "incidents", "export", "1", "-o", str(link))[0] == 0
    assert link.is_symlink()
    assert (tmp_path / "exports" / "INC-1.md").read_text().startswith("# INC-1: Payments")


# ---------------------------------------------------------------- odd text and files


def test_undecodable_bytes_in_arguments_are_refused_naming_the_field(db: Path) -> None:
    # Python hands argv bytes that are not UTF-8 over as lone surrogates (surrogateescape).
    assert "TEXT: is not valid UTF-8 text (byte \\xff" in refused(
        db, "incidents", "note", "1", "caf\udcff"
    )
    assert "--search: is not valid UTF-8 text" in refused(
        db, "incidents", "list", "--search", "\udcff"
    )
    err = refused(db, "incidents", "declare", "--title", "\udce9t\udce9", "--impact", "Minor")
    assert "--title: is not valid UTF-8 text (byte \\xe9" in err


def test_an_accounts_file_that_cannot_be_read_is_refused(db: Path, tmp_path: Path) -> None:
    cli(db, "incidents", "resolve", "1")
    err = refused(db, "incidents", "credits", "1", "--accounts", str(tmp_path / ("a" * 300)))
    assert "cannot read: File name too long" in err


def test_lone_surrogates_in_a_json_close_file_are_refused(db: Path, tmp_path: Path) -> None:
    cli(db, "incidents", "resolve", "1")
    close = tmp_path / "close.json"
    close.write_text('{"fix_applied": "rolled back \\ud800"}')
    err = refused(db, "incidents", "close", "1", "--file", str(close))
    assert "close.json: fix_applied: is not valid Unicode text (lone surrogate \\ud800" in err


# ---------------------------------------------------------------- the last resort


def test_an_unexpected_error_is_one_line_and_its_traceback_is_in_the_log(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("the bug\x1b[2J in line two\nof the message")

    monkeypatch.setattr("stratus_commander.incident.Incidents.note", broken)
    code, out, err = cli(db, "incidents", "note", "1", "hello")
    log = tmp_path / "home/.local/state/stratus-commander/log/stratus-commander.log"
    assert code == 1
    assert err.splitlines() == [
        "internal error: ZeroDivisionError: the bug\\x1b[2J in line two\\nof the message "
        f"(details in {log})"
    ]
    assert out == ""
    text = log.read_text()
    assert "ERROR stratus_commander.last_resort: internal error" in text
    assert TRACEBACK in text and "in incidents_note\n" in text
    assert 'in broken\n    raise ZeroDivisionError("the bug' in text


def test_the_last_resort_redacts_secrets_on_screen(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdefghijkl"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"stripe said no to {key}")

    monkeypatch.setattr("stratus_commander.incident.Incidents.note", broken)
    code, _, err = cli(db, "incidents", "note", "1", "hello")
    assert code == 1 and "internal error: RuntimeError: stripe said no to" in err
    assert key not in err


def test_a_deliberate_error_outside_run_domain_still_exits_2(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise DomainRefused("INC-1 is read-only today")

    # verify_projection is called outside run_domain: a refusal there is still a refusal.
    monkeypatch.setattr("stratus_commander.incident.Incidents.verify_projection", refuse)
    assert refused(db, "incidents", "verify", "1").strip() == "Error: INC-1 is read-only today"


def test_ctrl_c_keeps_clicks_behaviour(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("stratus_commander.incident.Incidents.note", interrupted)
    code, _, err = cli(db, "incidents", "note", "1", "hello")
    assert code == 1 and err.strip() == "Aborted!"
    assert "internal error" not in err


def test_usage_errors_stay_clicks(db: Path) -> None:
    code, _, err = cli(db, "incidents", "status", "1", "sideways")
    assert code == 2 and "Invalid value" in err and "internal error" not in err
