"""SIGKILL a process appending events at random moments: nothing it reported committed is lost."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.store import Store

CHILD = r"""
import sys
from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.store import Store

store = Store.open(sys.argv[1])
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
    with Store.open(db) as store:
        inc = Incidents(store, SystemClock())
        (incident,) = inc.list()
        assert inc.verify(incident.id).ok
        assert inc.verify_projection(incident.id) == []
