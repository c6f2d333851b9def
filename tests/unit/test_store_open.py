"""Opening the database through the CLI: read-only files, mistyped paths, damaged pages and
files that crashes of older versions left. Each gets a message naming the file and the right
exit code, and nothing is written or created that should not be.

Read-only as root (CI runs as root): root passes every permission check, so SQLite alone would
write a ``chmod a-w`` file. The store honours the mode bits itself (a file nobody may write is
only ever opened ``mode=ro``), so these tests make files read-only with chmod and mean the same
under any uid. A read-only bind mount or ``chattr +i`` would need privileges and a particular
file system; a read-only *folder* cannot be tested honestly as root and is not.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock, SystemClock, to_ms
from stratus_commander.errors import StoreDamaged, StoreError, StoreReadOnly
from stratus_commander.incident import Incidents
from stratus_commander.store import MIGRATIONS, SampleRow, open_store, refresh_sample_minutes
from stratus_commander.store.sqlite.migrations import migrations

DETECTED = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
ACCOUNTS = "account_id,name,monthly_fee,currency\nacme,Acme Aviation Ltd,499.00,USD\n"


def run(path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(path), *args], catch_exceptions=False)
    gc.collect()  # in-process: close what the command left open, as its process exit would
    return result.exit_code, result.stdout, result.stderr


def folder_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in the folder: its bytes and modification time."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def samples(minutes: range, down_below: int) -> list[SampleRow]:
    start = to_ms(DETECTED)
    return [
        SampleRow("api-health", "http", "api", start + m * 60_000 + 5_000,
                  "down" if m < down_below else "up", 40.0)
        for m in minutes
    ]  # fmt: skip


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """INC-1, resolved after two hours (90 minutes of them down), with credits and a lesson
    stored, and INC-2 over the same hours without credits (its review measures the uptime when
    asked); then its last 30 minutes' samples recorded again as down *after* the minute rollup
    was last brought up to date (the cockpit kept recording), so reading it exactly needs those
    minutes recomputed."""
    folder = tmp_path / "history"
    folder.mkdir()
    path = folder / "incidents.db"
    with open_store(path) as store:
        store.add_samples(samples(range(180), down_below=90))
        inc = Incidents(store, FakeClock(DETECTED))
        iid = inc.declare("Payment API down", "Major", ["API"], detected_at=DETECTED).id
        inc.note(iid, "Stripe status page green; our webhook 500s")
        other = inc.declare("Checkout slow", "Minor", ["API"], detected_at=DETECTED).id
        inc.clock.advance(minutes=120)  # type: ignore[attr-defined]
        inc.resolve(iid, "Rolled back release 4711")
        inc.resolve(other)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS)
    assert run(path, "incidents", "credits", "1", "--accounts", str(accounts))[0] == 0
    assert run(path, "incidents", "review", "1", "--lesson", "triage=Check webhooks first")[0] == 0
    with open_store(path) as store:
        store.add_samples(samples(range(90, 120), down_below=120))
        assert store.query("SELECT count(*) AS n FROM sample_minutes_dirty")[0]["n"] == 30
    assert os.listdir(folder) == ["incidents.db"]  # closed cleanly: no -wal
    return path


READING = [
    ("incidents", "list"),
    ("incidents", "list", "--search", "webhook"),
    ("incidents", "show", "1"),
    ("incidents", "show", "1", "--json"),
    ("incidents", "verify", "1"),
    ("incidents", "export", "1", "--format", "json"),
    ("incidents", "export", "1", "--format", "md"),
    ("incidents", "review", "1"),
    ("incidents", "review", "1", "--json"),
    ("incidents", "review", "2", "--json"),
    ("incidents", "credits", "1"),
    ("incidents", "credits", "1", "--json"),
    ("runbook", "learnings"),
]


def test_reading_commands_read_a_read_only_file_without_writing_a_byte(history: Path) -> None:
    history.chmod(0o444)
    before = folder_state(history.parent)
    for args in READING:
        code, out, err = run(history, *args)
        assert (code, err) == (0, ""), args
        assert out.strip(), args
        assert folder_state(history.parent) == before, f"{args} changed the folder"
    code, out, _ = run(history, "runbook", "learnings")
    assert "Check webhooks first" in out


def test_review_of_a_read_only_file_counts_minutes_recorded_after_the_rollup(
    history: Path, tmp_path: Path
) -> None:
    # The figures of a writable copy whose rollup was brought up to date the ordinary way.
    copy = tmp_path / "copy.db"
    shutil.copy(history, copy)
    with open_store(copy) as store:
        assert refresh_sample_minutes(store) == 30
    expected = json.loads(run(copy, "incidents", "review", "2", "--json")[1])["uptime"]
    history.chmod(0o444)
    before = folder_state(history.parent)
    code, out, err = run(history, "incidents", "review", "2", "--json")
    assert (code, err) == (0, "")
    assert folder_state(history.parent) == before  # computed aside, not written
    uptime = json.loads(out)["uptime"]
    assert uptime == expected
    assert uptime["window"]["api"]["down_minutes"] == 120  # not the stale rollup's 90


RECORDING = [
    ("incidents", "declare", "--title", "Another", "--impact", "Minor"),
    ("incidents", "note", "1", "late note"),
    ("incidents", "status", "1", "monitoring"),
    ("incidents", "review", "1", "--meeting", "2026-10-06T09:00:00Z"),
    ("incidents", "credits", "1", "--accounts", "{accounts}"),
]


@pytest.mark.parametrize("args", RECORDING, ids=lambda a: "-".join(a[1:3]))
def test_recording_commands_refuse_a_read_only_file_naming_it(
    history: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    history.chmod(0o444)
    before = folder_state(history.parent)
    args = tuple(a.replace("{accounts}", str(tmp_path / "accounts.csv")) for a in args)
    code, _, err = run(history, *args)
    assert code == 2
    assert err.startswith(f"Error: {history}: read-only file; ")
    assert folder_state(history.parent) == before


def test_store_refuses_to_open_a_read_only_file_for_writing(history: Path) -> None:
    history.chmod(0o444)
    with pytest.raises(StoreReadOnly, match="read-only file"):
        open_store(history)
    with open_store(history, create=False, readonly=True) as store:
        assert Incidents(store, SystemClock()).get(1).title == "Payment API down"
    assert os.listdir(history.parent) == ["incidents.db"]


@pytest.mark.parametrize(
    "args",
    [
        ("incidents", "list"),
        ("incidents", "show", "1"),
        ("incidents", "verify", "1"),
        ("incidents", "export", "1"),
        ("incidents", "review", "1"),
        ("incidents", "credits", "1"),
        ("runbook", "learnings"),
    ],
    ids=lambda a: "-".join(a),
)
def test_reading_commands_never_create_a_missing_database(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    typo = tmp_path / "typo" / "dir" / "x.db"
    code, _, err = run(typo, *args)
    assert code == 2
    assert f"no database at {typo}" in err
    assert not (tmp_path / "typo").exists()


def test_declare_still_creates_the_database_and_its_folders(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "x.db"
    assert run(path, "incidents", "declare", "--title", "First", "--impact", "Minor")[0] == 0
    code, out, _ = run(path, "incidents", "list")
    assert code == 0 and "First" in out
    with pytest.raises(StoreError, match="no database at"):
        open_store(tmp_path / "other.db", create=False)
    assert not (tmp_path / "other.db").exists()


# --- damage ---------------------------------------------------------------------------------------


def _timeline(path: Path, notes: int) -> None:
    with open_store(path) as store:
        inc = Incidents(store, SystemClock())
        iid = inc.declare("Payment API down", "Major").id
        for i in range(notes):
            inc.note(iid, f"MARKER{i:04d} " + "x" * 300)


def _damage_a_page(path: Path) -> None:
    """Claim 65 535 cells in the b-tree header of a page of the events table."""
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    start = data.index(b"MARKER0100") // page_size * page_size
    assert data[start] == 0x0D  # a table leaf page (the events' rows)
    data[start + 3 : start + 5] = b"\xff\xff"
    path.write_bytes(bytes(data))


def _damage_a_hash(path: Path) -> None:
    """Overwrite two bytes of the last event's hash with bytes that are not UTF-8."""
    conn = sqlite3.connect(path)
    prev, last = conn.execute("SELECT prev_hash, hash FROM events ORDER BY id DESC").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    at = data.index((prev + last).encode()) + len(prev)
    data[at : at + 2] = b"\xff\xfe"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        (_damage_a_page, "database disk image is malformed"),
        (_damage_a_hash, "could not decode to UTF-8 column 'hash'"),
    ],
    ids=["page", "text"],
)
def test_damage_is_reported_with_exit_1_and_no_note_is_appended(
    tmp_path: Path, damage: object, detail: str
) -> None:
    path = tmp_path / "incidents.db"
    _timeline(path, notes=200)
    damage(path)  # type: ignore[operator]
    damaged = path.read_bytes()
    for args in (("show", "1"), ("show", "1", "--json"), ("verify", "1")):
        code, out, err = run(path, "incidents", *args)
        assert code == 1, args
        assert err.startswith(f"Error: {path}: the database is damaged ({detail}")
        assert "make a copy of it" in err and ".recover" in err
        assert "intact" not in out
    # Recording into it would bury the damage under new events: refused, the file untouched.
    code, _, err = run(path, "incidents", "note", "1", "one more")
    assert code == 1
    assert err.startswith(f"Error: {path}: the database is damaged (")
    assert path.read_bytes() == damaged


def test_store_translates_damage_into_store_damaged(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    _timeline(path, notes=200)
    _damage_a_page(path)
    # The GUI's open: no O(database) check on its path; the damage is met when read.
    with open_store(path) as store, pytest.raises(StoreDamaged, match="malformed"):
        Incidents(store, SystemClock()).events(1)
    with pytest.raises(StoreDamaged, match="malformed"):
        open_store(path, check=True)


# --- what crashes of older versions left ----------------------------------------------------------


def test_an_unfinished_creation_by_an_older_version_is_finished(tmp_path: Path) -> None:
    # Killed after sqlite-utils created its table, before the first migration: it was refused
    # as "another application's" database for good.
    path = tmp_path / "incidents.db"
    migrations.ensure_migrations_table(sqlite_utils.Database(path))
    code, out, err = run(path, "incidents", "list")
    assert (code, out, err) == (0, "No incidents.\n", "")
    conn = sqlite3.connect(path)
    assert {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")} == set(MIGRATIONS)
    conn.close()


HOT_JOURNAL = r"""
import os, signal, sqlite3, sys

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = DELETE")  # as before WAL was set on a new file
conn.execute("PRAGMA cache_size = 1")  # spill the change into the file before the commit
conn.execute("BEGIN")
conn.execute("UPDATE events SET text = upper(text) || randomblob(1000)")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_hot_journal_left_by_a_crash_is_rolled_back_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    _timeline(path, notes=50)
    killed = subprocess.run([sys.executable, "-c", HOT_JOURNAL, str(path)])
    assert killed.returncode == -signal.SIGKILL
    assert (tmp_path / "incidents.db-journal").exists()
    code, out, err = run(path, "incidents", "verify", "1")
    assert (code, err) == (0, "")
    assert "timeline intact (51 events" in out


def test_a_read_only_file_is_never_upgraded_or_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn), stop_before="m002_review_credits")
    conn.close()
    path.chmod(0o444)
    before = folder_state(tmp_path)
    code, _, err = run(path, "incidents", "list")
    assert code == 2
    assert err.startswith(f"Error: {path}: written by an older Stratus Commander and read-only")
    assert folder_state(tmp_path) == before
