"""``probe --record``: the team's one prober, a headless long-running process. It writes samples,
flips and the flips' timeline events into the database, and exits 0 on SIGTERM with what it saw
written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.store import open_store
from tests.integration.loopback import LoopbackServer
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

WAIT_S = 60  # generous on a loaded machine: these waits are for a state, not a timing


def _config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[[probes]]
id = "api-health"
kind = "http"
check = "api"
url = "{base}/api/health"
expect_json = {{ status = "ok" }}
interval_s = 0.2
timeout_s = 2
fail_threshold = 1
""",
        encoding="utf-8",
    )
    return path


def _wait_for(what: str, done: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not done():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"probe --record ended ({proc.returncode}) before {what}: {err}")
        if time.monotonic() > deadline:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"no {what} within {WAIT_S} s: {err}")
        time.sleep(0.1)


def _record(location: str, config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stratus_commander", "--db", location, "--config", str(config),
         "probe", "--record"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip


def _records_and_stops_on_sigterm(
    location: str, loopback: LoopbackServer, tmp_path: Path, stop: signal.Signals = signal.SIGTERM
) -> None:
    loopback.json("/api/health", {"status": "ok"})
    with open_store(location) as store:
        incident = Incidents(store, SystemClock()).declare("API errors", "Major", ["API"])
    proc = _record(location, _config(tmp_path, loopback.url))
    try:
        with open_store(location, readonly=True) as store:

            def samples() -> int:
                return int(store.query("SELECT count(*) AS n FROM samples")[0]["n"])

            _wait_for("samples", lambda: samples() > 0, proc)
            loopback.json("/api/health", {"status": "broken"}, status=500)  # the API goes down
            incidents = Incidents(store, SystemClock())
            _wait_for(
                "a flip on the incident's timeline",
                lambda: any(e.kind == "probe_flipped" for e in incidents.events(incident.id)),
                proc,
            )
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"Stopped ({stop.name})" in err
    with open_store(location, readonly=True) as store:
        flip = next(e for e in Incidents(store, SystemClock()).events(incident.id)
                    if e.kind == "probe_flipped")  # fmt: skip
        assert flip.data["probe"] == "api-health" and flip.data["to"] == "down"
        assert store.first_failure_since(0) is not None  # the flip itself is kept
        assert Incidents(store, SystemClock()).verify(incident.id).ok


@pytest.mark.postgres
def test_probe_record_writes_into_the_team_database_until_sigterm(
    loopback: LoopbackServer, tmp_path: Path, team_db: TeamDb
) -> None:
    _records_and_stops_on_sigterm(team_db.url, loopback, tmp_path)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_probe_record_writes_into_a_file_until_sigterm_or_its_terminal_closes(
    loopback: LoopbackServer, tmp_path: Path, stop: signal.Signals
) -> None:
    _records_and_stops_on_sigterm(str(tmp_path / "incidents.db"), loopback, tmp_path, stop)
