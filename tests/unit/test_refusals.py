"""A refused command writes nothing.

Every recording command of the CLI, given bad input of its own, must exit 2 and leave the
database as it found it: the same rows in every table (all of sqlite_master's tables, the
full-text indexes' shadow tables included) and every incident's timeline head unchanged. A
command that stores part of what it was given before refusing the rest (a maintenance window
before a bad accounts file) silently changes every later calculation.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander import review as rv
from stratus_commander.cli import main
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SampleRow, open_store, refresh_sample_minutes

DETECTED = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
ACCOUNTS = "account_id,name,monthly_fee,currency\nacme,Acme Aviation Ltd,499.00,USD\n"
BAD_ACCOUNTS = "account_id,name,monthly_fee,currency\nacme,Acme Aviation Ltd,£499,USD\n"
MAINTENANCE = "2026-10-01T00:00:00Z/2026-10-01T00:30:00Z"

# The incidents of the database every case starts from.
RESOLVED, CLOSED, OPEN = 1, 2, 3


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """INC-1 resolved (two down hours across the September/October boundary, one action item),
    INC-2 closed, INC-3 still open; the minute rollup is up to date, so a read refreshes
    nothing and any change is a write of the command under test."""
    path = tmp_path / "incidents.db"
    runbook = load_runbook()
    with open_store(path) as store:
        store.add_samples(
            SampleRow("api-health", "http", "api", to_ms(DETECTED) + m * 60_000 + 5_000,
                      "down" if m < 120 else "up", 40.0)
            for m in range(180)
        )  # fmt: skip
        inc = Incidents(store, FakeClock(DETECTED))
        resolved = inc.declare("Payment API down", "Major", ["API"], detected_at=DETECTED).id
        closed = inc.declare("Webhooks late", "Minor", ["Webhooks"], detected_at=DETECTED).id
        inc.clock.advance(minutes=120)  # type: ignore[attr-defined]
        inc.resolve(resolved)
        inc.resolve(closed)
        record = rv.CloseRecord(
            answers={
                f"{s.id}.{i.id}": "written"
                for s in runbook.close.sections
                if s.id in rv.TEXT_SECTIONS
                for i in s.items
            },
            checklist={
                f"{s.id}.{i.id}": "not_needed"
                for s in runbook.close.sections
                if s.id not in rv.TEXT_SECTIONS
                for i in s.items
            },
            fix_applied="Rolled back",
        )
        rv.close_incident(inc, runbook, closed, record)
        rv.add_action_item(inc, runbook, resolved, "monitoring", "Alert on 5xx", "alice")
        opened = inc.declare("Search slow", "Minor", detected_at=DETECTED).id
        assert (resolved, closed, opened) == (RESOLVED, CLOSED, OPEN)
        refresh_sample_minutes(store)
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "bad.csv").write_text(BAD_ACCOUNTS)
    (tmp_path / "a-directory").mkdir()
    return path


def snapshot(path: Path) -> dict[str, object]:
    """Row counts of every table and every incident's timeline head."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out: dict[str, object] = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables
        }
        out["head_hash"] = dict(conn.execute("SELECT id, head_hash FROM incidents").fetchall())
    finally:
        conn.close()
    return out


def run(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(path), *args], catch_exceptions=False)
    return result.exit_code, result.stderr


def refused(path: Path, args: tuple[str, ...], says: str) -> None:
    before = snapshot(path)
    code, err = run(path, *(a.replace("{dir}", str(path.parent)) for a in args))
    assert code == 2, err
    assert says in err
    after = snapshot(path)
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    assert changed == {}, f"refused, yet it wrote: {changed}"
    assert after.keys() == before.keys()


def _cases(*cases: tuple[str, tuple[str, ...], str]) -> list[object]:
    return [pytest.param(args, says, id=name) for name, args, says in cases]


# ---------------------------------------------------------------- recording the incident


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("bad-impact", ("--title", "x", "--impact", "Huge"), "impact"),
        ("unknown-scope", ("--title", "x", "--impact", "Minor", "--services", "Mainframe"),
         "--services"),
        ("bad-time", ("--title", "x", "--impact", "Minor", "--detected-at", "9am"),
         "--detected-at"),
        ("future", ("--title", "x", "--impact", "Minor", "--detected-at", "2999-01-01T00:00:00Z"),
         "in the future"),
        ("empty-title", ("--title", "  ", "--impact", "Minor"), "title"),
    ),
)  # fmt: skip
def test_declare(db: Path, args: tuple[str, ...], says: str) -> None:
    refused(db, ("incidents", "declare", *args), says)


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("empty", (str(OPEN), "   "), "TEXT: must not be empty"),
        ("unknown-incident", ("42", "hello"), "no incident INC-42"),
        ("bad-id", ("forty-two", "hello"), "not an incident id"),
    ),
)
def test_note(db: Path, args: tuple[str, ...], says: str) -> None:
    refused(db, ("incidents", "note", *args), says)


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("same-status", (str(OPEN), "investigating"), "already investigating"),
        ("not-a-status", (str(OPEN), "closed"), "Invalid value"),
        ("closed-incident", (str(CLOSED), "monitoring"), "closed"),
    ),
)
def test_status(db: Path, args: tuple[str, ...], says: str) -> None:
    refused(db, ("incidents", "status", *args), says)


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("already-resolved", (str(RESOLVED), "--text", "again"), "already resolved"),
        ("unknown-incident", ("42",), "no incident INC-42"),
    ),
)
def test_resolve(db: Path, args: tuple[str, ...], says: str) -> None:
    refused(db, ("incidents", "resolve", *args), says)


# ---------------------------------------------------------------- after the incident


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("gaps", (str(RESOLVED), "--fix-applied", "Rolled back"), "cannot close yet"),
        ("bad-set", (str(RESOLVED), "--set", "no-section=x"), "--set"),
        ("bad-learning", (str(RESOLVED), "--learning", "no-such-step=x"), "not a step"),
        ("draft-bad-learning", (str(RESOLVED), "--draft", "--learning", "no-such-step=x"),
         "not a step"),
        ("still-open", (str(OPEN), "--fix-applied", "x"), "only a resolved incident"),
        ("missing-file", (str(RESOLVED), "--file", "{dir}/nope.toml"), "cannot read"),
    ),
)  # fmt: skip
def test_close(db: Path, args: tuple[str, ...], says: str) -> None:
    refused(db, ("incidents", "close", *args), says)


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        # The reported bug: the window was stored, then the accounts file refused.
        ("bad-accounts-after-maintenance",
         ("--accounts", "{dir}/bad.csv", "--maintenance", MAINTENANCE), "bad.csv:2:3"),
        ("second-maintenance-bad",
         ("--accounts", "{dir}/accounts.csv", "--maintenance", MAINTENANCE, "--maintenance",
          "2026-10-02T00:00:00Z/yesterday"), "--maintenance"),
        ("maintenance-backwards",
         ("--accounts", "{dir}/accounts.csv", "--maintenance",
          "2026-10-02T00:00:00Z/2026-10-01T00:00:00Z"), "not after its start"),
        ("bad-ladder", ("--accounts", "{dir}/accounts.csv", "--maintenance", MAINTENANCE,
                        "--ladder", "99:x"), "--ladder"),
        ("bad-month", ("--accounts", "{dir}/accounts.csv", "--maintenance", MAINTENANCE,
                       "--month", "2026-13"), "--month"),
        ("open-incident", ("--accounts", "{dir}/accounts.csv", "--maintenance", MAINTENANCE),
         "once it is resolved"),
        ("csv-into-a-directory",
         ("--accounts", "{dir}/accounts.csv", "--maintenance", MAINTENANCE,
          "--csv", "{dir}/a-directory"), "is a directory"),
        ("csv-beneath-a-file",
         ("--accounts", "{dir}/accounts.csv", "--csv", "{dir}/accounts.csv/out.csv"),
         "cannot write"),
        ("options-without-accounts", ("--maintenance", MAINTENANCE), "need --accounts"),
    ),
)  # fmt: skip
def test_credits(db: Path, args: tuple[str, ...], says: str) -> None:
    iid = OPEN if "once it is resolved" in says else RESOLVED
    refused(db, ("incidents", "credits", str(iid), *args), says)


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("unknown-item", ("--affected-users", "40", "--done", "999"), "no action item #999"),
        ("second-item-unknown", ("--done", "1", "--done", "999"), "no action item #999"),
        ("bad-lesson", ("--financial-impact", "GBP 1", "--lesson", "no-such-step=x"),
         "not a step"),
        ("owner-without-action", ("--reputation", "fine", "--owner", "bob"), "--owner"),
        ("bad-category", ("--affected-users", "40", "--action", "bogus=Fix it"), "--action"),
        ("bad-deadline", ("--affected-users", "40", "--action", "immediate=Fix",
                          "--deadline", "tomorrow"), "--deadline"),
        ("bad-meeting", ("--affected-users", "40", "--meeting", "soon"), "--meeting"),
        ("bad-answer", ("--affected-users", "40", "--answer", "no-such-question=x"), "answers"),
        ("complete-refused", ("--affected-users", "40", "--complete"), "cannot be completed"),
        ("open-incident", ("--affected-users", "40",), "review starts once it is resolved"),
    ),
)  # fmt: skip
def test_review(db: Path, args: tuple[str, ...], says: str) -> None:
    iid = OPEN if "once it is resolved" in says else RESOLVED
    refused(db, ("incidents", "review", str(iid), *args), says)


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("bad-runbook", ("--runbook", "{dir}/nope.toml", "runbook", "learnings"), "nope.toml"),
    ),
)
def test_learnings(db: Path, args: tuple[str, ...], says: str) -> None:
    refused(db, args, says)


@pytest.mark.parametrize(
    ("args", "says"),
    _cases(
        ("into-a-directory", ("--format", "md", "-o", "{dir}/a-directory"), "is a directory"),
        ("bad-format", ("--format", "pdf"), "Invalid value"),
    ),
)
def test_export(db: Path, args: tuple[str, ...], says: str) -> None:
    refused(db, ("incidents", "export", str(RESOLVED), *args), says)


def test_the_snapshot_sees_a_write(db: Path) -> None:
    # The check above can fail: a command that does write changes the snapshot.
    before = snapshot(db)
    assert run(db, "incidents", "note", str(OPEN), "PgBouncer restarted")[0] == 0
    after = snapshot(db)
    assert after["events"] == before["events"] + 1  # type: ignore[operator]
    assert after["head_hash"] != before["head_hash"]
