"""No terminal trickery: text with control or bidi characters is refused on the way in (naming
the field), and text stored before that (older versions, edited files) is printed escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.credits import accounts as cr_accounts
from stratus_commander.credits import uptime as cr_uptime
from stratus_commander.errors import InputError
from stratus_commander.incident import Incidents, reminders
from stratus_commander.incident import model as incident
from stratus_commander.review import actions as review_actions
from stratus_commander.review import close as review_close
from stratus_commander.review import learnings
from stratus_commander.review import pir as review_pir
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import SqliteStore

ESC = "\x1b[2J\x1b]0;pwned\x07"  # clear the screen, retitle the window
RLO = "\u202e"  # right-to-left override: "invoice\u202egpj.exe" reads as "invoiceexe.jpg"
# What a terminal obeys instead of showing; line feeds are asserted on separately.
OBEYED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def declare(db: Path, *extra: str) -> None:
    code, _, err = cli(db, "incidents", "declare", "--title", "Payments down", "--impact",
                       "Major", *extra)  # fmt: skip
    assert code == 0, err


def close_file(runbook: Runbook, path: Path, root_cause: str = "Pool leak") -> Path:
    lines = ['fix_applied = "Rolled back"']
    for section in runbook.close.sections:
        lines.append(f"[{section.id}]")
        for item in section.items:
            value = "written" if section.id in rv.TEXT_SECTIONS else "not_needed"
            lines.append(f"{item.id} = {json.dumps(value)}")
    path.write_text("\n".join(lines).replace('"written"', json.dumps(root_cause), 1))
    return path


# ---------------------------------------------------------------- refused on the way in


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("declare", "--title", f"Pay{ESC}ments", "--impact", "Major"), "--title"),
        (("declare", "--title", f"invoice{RLO}gpj.exe", "--impact", "Major"), "--title"),
        (("declare", "--title", "two\nlines", "--impact", "Major"), "--title"),
        (("declare", "--title", "x", "--impact", "Major", "--affected", f"Stripe{ESC}"),
         "--affected"),
        (("declare", "--title", "x", "--impact", "Major", "--services", f"API{RLO}"), "--services"),
        (("note", "1", "ok\n\x1b[1A\x1b[2Kforged line"), "TEXT"),
        (("note", "1", "a\u2067b"), "TEXT"),
        (("note", "1", "carriage\rreturn"), "TEXT"),
        (("status", "1", "identified", "--text", f"found{ESC}"), "--text"),
        (("resolve", "1", "--text", f"fixed{RLO}"), "--text"),
    ],
)  # fmt: skip
def test_incident_text_with_control_characters_is_refused_naming_the_field(
    tmp_path: Path, args: tuple[str, ...], field: str
) -> None:
    db = tmp_path / "x.db"
    declare(db)
    code, _, err = cli(db, "incidents", *args)
    assert code == 2
    assert err.startswith(f"Error: {field}: ")
    assert not OBEYED.search(err)  # the refusal quotes it escaped
    code, out, _ = cli(db, "incidents", "show", "1", "--json")
    shown = json.loads(out)
    assert [e["kind"] for e in shown["timeline"]] == ["declared"]
    assert [i["id"] for i in json.loads(cli(db, "incidents", "list", "--json")[1])] == [1]


def test_notes_keep_their_lines_and_tabs(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    declare(db)
    note = "Checked:\n\t- Stripe green\r\n\t- DB pool full"
    assert cli(db, "incidents", "note", "1", note)[0] == 0
    note = json.loads(cli(db, "incidents", "show", "1", "--json")[1])["timeline"][-1]["text"]
    assert note == "Checked:\n\t- Stripe green\n\t- DB pool full"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("review", "1", "--financial-impact", f"£2k{ESC}"), "--financial-impact"),
        (("review", "1", "--reputation", f"bad{RLO}"), "--reputation"),
        (("review", "1", "--answer", f"why=pool{ESC}"), "answers.why"),
        (("review", "1", "--action", f"immediate-fixes=fix{ESC}", "--owner", "al"), "--action"),
        (("review", "1", "--action", "immediate-fixes=fix", "--owner", f"al{RLO}"), "--owner"),
        (("review", "1", "--lesson", f"declare=sooner{ESC}"), "lesson"),
        (("close", "1", "--set", f"root_cause_analysis.identify-root-cause=a{ESC}"),
         "options: root_cause_analysis.identify-root-cause"),
        (("close", "1", "--fix-applied", f"rolled back{RLO}"), "options: fix_applied"),
        (("close", "1", "--learning", f"declare=x{ESC}"), "options: learnings[0].text"),
    ],
)  # fmt: skip
def test_review_and_close_text_is_refused_naming_the_field(
    tmp_path: Path, args: tuple[str, ...], field: str
) -> None:
    db = tmp_path / "x.db"
    declare(db)
    cli(db, "incidents", "resolve", "1")
    code, _, err = cli(db, "incidents", *args)
    assert code == 2
    assert err.startswith(f"Error: {field}: ")
    review = json.loads(cli(db, "incidents", "review", "1", "--json")[1])
    assert review["action_items"] == [] and review["impact"]["financial_impact"] == ""


def test_a_close_file_with_control_characters_is_refused_naming_file_and_key(
    tmp_path: Path, runbook: Runbook
) -> None:
    db = tmp_path / "x.db"
    declare(db)
    cli(db, "incidents", "resolve", "1")
    path = close_file(runbook, tmp_path / "close.toml", root_cause="Pool\u001b[2J leak")
    path.write_text(path.read_text().replace("\x1b", "\\u001b"))  # TOML's own escape
    code, _, err = cli(db, "incidents", "close", "1", "--file", str(path))
    assert code == 2
    assert "close.toml: root_cause_analysis." in err and "control character \\x1b" in err
    assert json.loads(cli(db, "incidents", "show", "1", "--json")[1])["status"] == "resolved"


def test_an_accounts_csv_with_control_characters_is_refused_naming_the_cell(
    tmp_path: Path,
) -> None:
    db = tmp_path / "x.db"
    declare(db)
    cli(db, "incidents", "resolve", "1")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"account_id,name,monthly_fee,currency\nacme,Acme{ESC},499.00,USD\n")
    code, _, err = cli(db, "incidents", "credits", "1", "--accounts", str(accounts))
    assert code == 2
    assert f"{accounts}:2:2: name: contains the control character \\x1b" in err


# ---------------------------------------------------------------- the domain refuses for the GUI


@pytest.fixture
def inc() -> Incidents:
    return Incidents(SqliteStore.memory(), FakeClock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)))


def test_every_domain_function_refuses_control_characters(inc: Incidents, runbook: Runbook) -> None:
    iid = inc.declare("Payments down", "Major").id
    calls = {
        "who": lambda: reminders.set_reminder(inc, iid, f"Al{ESC}", "check pool", 10),
        "task": lambda: reminders.set_reminder(inc, iid, "Al", f"check{RLO}", 10),
        "reason": lambda: inc.decide(iid, "internal", f"own checks{ESC}"),
        "status": lambda: inc.set_status(iid, f"identified{ESC}"),
        "step": lambda: learnings.add_learning(inc, runbook, iid, f"declare{ESC}", "x"),
    }
    for field, call in calls.items():
        with pytest.raises(InputError) as caught:
            call()
        assert caught.value.where == field
    assert [e.kind for e in inc.events(iid)] == ["declared"]


def test_a_close_record_built_by_a_form_is_checked_too(inc: Incidents, runbook: Runbook) -> None:
    """The close dialog builds a CloseRecord itself, without close_record_from_mapping."""
    iid = inc.declare("Payments down", "Major").id
    inc.resolve(iid)
    record = rv.CloseRecord(
        answers={"root_cause_analysis.identify-root-cause": f"pool{ESC}"}, fix_applied="x"
    )
    for action in (rv.save_close_draft, rv.close_incident):
        with pytest.raises(InputError) as caught:
            action(inc, runbook, iid, record)
        assert caught.value.where == "root_cause_analysis.identify-root-cause"
    record = rv.CloseRecord(fix_applied="x", learnings=(("declare", f"sooner{RLO}"),))
    with pytest.raises(InputError, match=r"^learnings\[0\]\.text: "):
        rv.save_close_draft(inc, runbook, iid, record)
    item = rv.add_action_item(inc, runbook, iid, "monitoring", "Alert on 5xx", "alice")
    with pytest.raises(InputError, match=r"^owner: "):
        rv.update_action_item(inc, item.id, owner=f"bob{ESC}")
    with pytest.raises(InputError, match=r"^maintenance reason: "):
        cr.maintenance_window(
            datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), f"db{ESC}"
        )


# ---------------------------------------------------------------- stored text is shown escaped


@pytest.fixture
def old_db(tmp_path: Path, runbook: Runbook) -> Iterator[Path]:
    """A database written by a version without the checks: control and bidi characters in the
    title, the affected services, a note, a lesson, an action item's owner, an account name."""
    db = tmp_path / "old.db"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"account_id,name,monthly_fee,currency\nacme,Acme{ESC},499.00,USD\n")
    with pytest.MonkeyPatch.context() as old:
        # Every module that checks text on the way in (where the text is checked, not its package).
        for module in (
            incident,
            reminders,
            cr_uptime,
            learnings,
            review_close,
            review_pir,
            review_actions,
        ):
            for name in ("one_line", "multi_line"):
                old.setattr(module, name, lambda text, field: text, raising=False)
        old.setattr(incident, "each_one_line", lambda values, field: tuple(values), raising=False)
        old.setattr(cr_accounts, "text_problem", lambda text, multiline=False: None, raising=False)
        declare(db, "--title", f"Payments{ESC} down {RLO}gpj.exe", "--affected", f"Stripe{ESC}")
        # (the second --title wins: click keeps the last value of a repeated option)
        for args in (
            ("note", "1", f"line one\n\x1b[1A\x1b[2Kforged{RLO}"),
            ("resolve", "1"),
            ("review", "1", "--lesson", f"declare=sooner{ESC}",
             "--action", "monitoring=Alert on 5xx", "--owner", f"al{RLO}ice"),
            ("credits", "1", "--accounts", str(accounts)),
        ):  # fmt: skip
            code, _, err = cli(db, "incidents", *args)
            assert code == 0, err
    yield db


def assert_shown_escaped(out: str) -> None:
    assert not OBEYED.search(out), repr(OBEYED.search(out))


def test_list_and_show_print_stored_control_characters_escaped(old_db: Path) -> None:
    code, out, _ = cli(old_db, "incidents", "list")
    assert code == 0
    assert_shown_escaped(out)
    assert "Payments\\x1b[2J\\x1b]0;pwned\\x07 down \\u202egpj.exe" in out
    code, out, _ = cli(old_db, "incidents", "show", "1")
    assert_shown_escaped(out)
    assert "INC-1  Payments\\x1b[2J" in out and "affected Stripe\\x1b[2J" in out
    assert "line one\n      \\x1b[1A\\x1b[2Kforged\\u202e" in out  # its own lines, indented


def test_json_keeps_the_stored_values_with_escapes(old_db: Path) -> None:
    for args in (("incidents", "show", "1", "--json"), ("incidents", "review", "1", "--json"),
                 ("incidents", "credits", "1", "--json"), ("runbook", "learnings", "--json"),
                 ("incidents", "export", "1", "--format", "json")):  # fmt: skip
        code, out, _ = cli(old_db, *args)
        assert code == 0
        assert_shown_escaped(out.replace("\n", ""))
        assert "\\u202e" in out or "\\u001b" in out, args
    shown = json.loads(cli(old_db, "incidents", "show", "1", "--json")[1])
    assert shown["title"] == f"Payments{ESC} down {RLO}gpj.exe"  # the same value, escaped


def test_review_learnings_credits_and_exports_print_escaped(old_db: Path) -> None:
    outputs = {
        "review": cli(old_db, "incidents", "review", "1")[1],
        "learnings": cli(old_db, "runbook", "learnings")[1],
        "credits": cli(old_db, "incidents", "credits", "1")[1],
        "markdown": cli(old_db, "incidents", "export", "1")[1],
        "html": cli(old_db, "incidents", "export", "1", "--format", "html")[1],
    }
    for name, out in outputs.items():
        assert out, name
        assert_shown_escaped(out)
    assert "al\\u202eice" in outputs["review"]
    assert "sooner\\x1b[2J" in outputs["learnings"]
    assert "Acme\\x1b[2J" in outputs["credits"]


def test_an_old_close_draft_is_refused_at_close_naming_the_field(
    old_db: Path, tmp_path: Path, runbook: Runbook
) -> None:
    with pytest.MonkeyPatch.context() as old:
        old.setattr(review_close, "multi_line", lambda text, field: text)
        path = close_file(runbook, tmp_path / "close.toml", root_cause=f"Pool{RLO} leak")
        assert cli(old_db, "incidents", "close", "1", "--file", str(path), "--draft")[0] == 0
    code, _, err = cli(old_db, "incidents", "close", "1")
    assert code == 2 and "Error: root_cause_analysis." in err and "\\u202e" in err


def test_the_close_message_from_an_edited_runbook_is_printed_escaped(
    tmp_path: Path, runbook: Runbook
) -> None:
    from stratus_commander.resources import resource_path

    text = resource_path("runbooks", "stratusconnect.toml").read_text(encoding="utf-8")
    edited = tmp_path / "runbook.toml"
    edited.write_text(text.replace("Incident resolved at", f"Incident {RLO}resolved at"))
    db = tmp_path / "x.db"
    declare(db)
    cli(db, "incidents", "resolve", "1")
    result = CliRunner().invoke(
        main,
        ["--db", str(db), "--runbook", str(edited), "incidents", "close", "1", "--file",
         str(close_file(runbook, tmp_path / "close.toml"))],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Incident \\u202eresolved at" in result.stdout
    assert_shown_escaped(result.stdout)
