"""Crashes and races around the file: SIGKILL a process appending events at random moments
(nothing it reported committed is lost), creating the database or upgrading it (the file is
always whole), and processes starting together on one path (they all succeed)."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.store import MIGRATIONS, RedactingConnection, open_store
from stratus_commander.store.sqlite.migrations import migrations
from stratus_commander.store.sqlite.timeline import TimelineQueries

CHILD = r"""
import sys
from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.store import open_store

store = open_store(sys.argv[1])
inc = Incidents(store, SystemClock(), actor="child")
current = inc.last_open()
iid = current.id if current else inc.declare("Durability drill", "Major").id
while True:
    event = inc.note(iid, "x" * 200)
    # Reported only after the commit returned: the user has seen this one acknowledged.
    print(iid, event.seq, flush=True)
"""

KILLS = 50


def test_sigkill_never_loses_an_acknowledged_event(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    rng = random.Random(1234)
    acknowledged: set[tuple[int, int]] = set()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True, env=env
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # wait until it is really writing
        assert first, "child died before its first commit"
        time.sleep(rng.uniform(0, 0.03))
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.wait()
        child.stdout.close()
        for line in [first, *rest.splitlines()]:
            parts = line.split()
            if len(parts) == 2:  # a line cut by the kill was never fully reported
                acknowledged.add((int(parts[0]), int(parts[1])))

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = set(conn.execute("SELECT incident_id, seq FROM events"))
    conn.close()
    assert acknowledged <= stored, f"lost: {sorted(acknowledged - stored)[:5]}"
    assert len(acknowledged) >= KILLS
    with open_store(db) as store:
        inc = Incidents(store, SystemClock())
        (incident,) = inc.list()
        assert inc.verify(incident.id).ok
        assert inc.verify_projection(incident.id) == []


# --- creating and upgrading the file --------------------------------------------------------------

# Imports everything first, then forks one creator per path and SIGKILLs it at a random moment
# of its creation: forks make 40 kills cost about a second instead of 40 interpreter starts.
KILL_CREATORS = r"""
import os, random, signal, sys, time
from pathlib import Path

import stratus_commander.store.sqlite.migrations  # loaded before forking: the children only create
from stratus_commander.store import open_store

folder, kills = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(4321)


def create(path):
    pid = os.fork()
    if pid == 0:
        try:
            open_store(path).close()
        finally:
            os._exit(0)
    return pid


# How long one creation takes on this machine, so the kills spread over all of it.
start = time.perf_counter()
os.waitpid(create(folder / "timing" / "incidents.db"), 0)
span = time.perf_counter() - start
for i in range(kills):
    pid = create(folder / f"kill-{i}" / "incidents.db")
    time.sleep(rng.uniform(0, span))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
"""


def _schema(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")}
    finally:
        conn.close()


def test_sigkill_during_first_creation_never_leaves_a_file_that_is_refused(
    tmp_path: Path,
) -> None:
    kills = 40
    subprocess.run(
        [sys.executable, "-c", KILL_CREATORS, str(tmp_path), str(kills)], check=True, timeout=60
    )
    interrupted = 0
    for i in range(kills):
        folder = tmp_path / f"kill-{i}"
        path = folder / "incidents.db"
        interrupted += not path.exists() or any(n != "incidents.db" for n in os.listdir(folder))
        # Whatever the kill left, the next start opens it (creating it if it is not there yet).
        with open_store(path) as store:
            assert Incidents(store, SystemClock()).list() == []
        assert _schema(path) == set(MIGRATIONS)
        assert sorted(os.listdir(folder)) == ["incidents.db"], "a killed build was left behind"
    assert interrupted, "no kill landed before the database was finished: the test proved nothing"


def _old_database(path: Path) -> None:
    """A database as the first release left it (m001 only): an incident with a timeline, and
    probe samples for the second migration to roll up."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    migrations.apply(sqlite_utils.Database(conn), stop_before="m002_review_credits")
    conn.execute(
        "INSERT INTO incidents (id, title, impact, status, detected_at, declared_at, head_hash) "
        "VALUES (1, 'Old outage', 'Major', 'investigating', ?, ?, '')",
        ["2026-01-05T10:00:00.000Z", "2026-01-05T10:01:00.000Z"],
    )
    at = datetime(2026, 1, 5, 10, 1, tzinfo=UTC)
    for i in range(5):
        TimelineQueries.on(RedactingConnection(conn)).append_event(
            1, at, "note", "old", f"note {i}"
        )
    conn.execute("INSERT INTO probes (id, name, kind, \"check\") VALUES (1, 'api', 'http', 'api')")
    conn.executemany(
        "INSERT INTO samples (probe_id, at_ms, outcome, latency_ms) VALUES (1, ?, ?, 12.0)",
        [(1_767_607_200_000 + i * 1000, 2 if i % 7 == 0 else 0) for i in range(3000)],
    )
    conn.close()


def _assert_old_data_intact(path: Path) -> None:
    with open_store(path) as store:
        inc = Incidents(store, SystemClock())
        assert [e.text for e in inc.events(1)] == [f"note {i}" for i in range(5)]
        assert inc.verify(1).ok
        assert store.query("SELECT count(*) AS n FROM samples")[0]["n"] == 3000
    assert _schema(path) == set(MIGRATIONS)


# Forks one upgrader per copy of an old database; each SIGKILLs itself as its k-th SQL statement
# starts (a trace callback on every connection the store opens), so every step of the upgrade
# is interrupted once. Prints how many statements a whole, uninterrupted upgrade runs.
KILL_UPGRADERS = r"""
import os, shutil, signal, sqlite3, sys
from pathlib import Path

import stratus_commander.store.sqlite.migrations
from stratus_commander.store import open_store

template, folder = Path(sys.argv[1]), Path(sys.argv[2])
real_connect = sqlite3.connect
statements, kill_at = 0, 0


def traced(*args, **kwargs):
    conn = real_connect(*args, **kwargs)
    conn.set_trace_callback(count)
    return conn


def count(sql):
    global statements
    statements += 1
    if statements == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


sqlite3.connect = traced


def upgrade(path, k):
    global statements, kill_at
    shutil.copy(template, path)
    pid = os.fork()
    if pid == 0:
        statements, kill_at = 0, k
        open_store(path).close()
        os._exit(0 if statements < k else 3)
    return os.waitpid(pid, 0)[1]


open_store(shutil.copy(template, folder / "whole.db")).close()
total = statements
for k in range(1, total + 1):
    upgrade(folder / f"kill-{k}.db", k)
print(total)
"""


def test_sigkill_mid_upgrade_leaves_the_old_schema_or_the_new_never_half(tmp_path: Path) -> None:
    template = tmp_path / "old.db"
    _old_database(template)
    out = subprocess.run(
        [sys.executable, "-c", KILL_UPGRADERS, str(template), str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    total = int(out.stdout)
    assert total > 20 and _schema(tmp_path / "whole.db") == set(MIGRATIONS)
    for k in range(1, total + 1):
        path = tmp_path / f"kill-{k}.db"
        # Killed as any statement began, the last being the COMMIT: the old schema, untouched.
        assert _schema(path) == {"m001_initial"}, f"killed at statement {k} of {total}"
        _assert_old_data_intact(path)  # and the next start upgrades it


# Started together: each imports everything, says so, and waits for the parent's go.
RACER = r"""
import errno, os, sys

from stratus_commander.cli import main
import stratus_commander.incident, stratus_commander.store
import stratus_commander.store.sqlite.migrations

if sys.argv[2] == "no-hard-links":  # as on FAT or some network mounts
    def link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")
    os.link = link
print("ready", flush=True)
sys.stdin.readline()
main(["--db", sys.argv[1], *sys.argv[3:]])
"""


def _race(path: Path, processes: int, links: str, *args: str) -> list[tuple[int, str, str]]:
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), links, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for racer in racers:
        assert racer.stdout is not None and racer.stdout.readline() == "ready\n"
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=60)
        results.append((racer.returncode, out, err))
    return results


@pytest.mark.parametrize("links", ["hard-links", "no-hard-links"])
def test_processes_starting_together_on_a_new_path_all_succeed(tmp_path: Path, links: str) -> None:
    # The report: "empty file", "database is locked" or "table incidents already exists".
    path = tmp_path / "new" / "incidents.db"
    results = _race(path, 8, links, "incidents", "declare", "--title", "Race", "--impact", "Minor")
    assert [(code, err) for code, _, err in results] == [(0, "")] * 8
    with open_store(path) as store:
        assert len(Incidents(store, SystemClock()).list()) == 8
    assert sorted(os.listdir(path.parent)) == ["incidents.db"]  # no build left beside it


def test_processes_opening_an_old_database_together_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    _old_database(path)
    results = _race(path, 5, "hard-links", "incidents", "list", "--json")
    assert [(code, err) for code, _, err in results] == [(0, "")] * 5
    assert all(json.loads(out)[0]["title"] == "Old outage" for _, out, _ in results)
    _assert_old_data_intact(path)
