"""The GUI commands refuse bad input before any window opens (exit 2, the problem named)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main


def test_drill_with_an_unknown_scenario_lists_the_bundled_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "drill", "no-such-drill"])
    assert result.exit_code == 2
    assert "unknown drill scenario 'no-such-drill'" in result.output
    assert "payment-processing-down" in result.output


def test_drill_speed_must_be_positive(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["drill", "--speed", "0"])
    assert result.exit_code == 2 and "--speed" in result.output


def test_the_gui_refuses_an_invalid_probe_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[probes]]\nid = "api"\nkind = "http"\ncheck = "api"\ntimeout_s = 0\n')
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "--config", str(config)])
    assert result.exit_code == 2
    assert f"{config}: probes[0].timeout_s" in result.output
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


def _close_cockpit_when(done: Callable[[], bool], timeout_ms: int = 60_000) -> None:
    """Close the cockpit once ``done()`` (checked five times a second), or after the timeout."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from stratus_commander.qt.cockpit import Cockpit

    waited = [0]

    def check() -> None:
        waited[0] += 200
        if not done() and waited[0] < timeout_ms:
            QTimer.singleShot(200, check)
            return
        for w in QApplication.topLevelWidgets():
            if isinstance(w, Cockpit) and w.isVisible():
                w.close()

    QTimer.singleShot(200, check)


def _stored_samples(db: Path) -> int:
    if not db.exists():
        return 0
    with closing(sqlite3.connect(db)) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])
        except sqlite3.OperationalError:  # not created yet
            return 0


def test_run_drill_starts_probes_and_quits_cleanly(qapp, tmp_path: Path, app_style) -> None:
    from stratus_commander.qt.app import run_drill
    from stratus_commander.store import open_store

    db = tmp_path / "drill.db"
    _close_cockpit_when(lambda: _stored_samples(db) >= 8)  # the probe worker is writing
    assert run_drill(db, None, "baseline", 60.0) == 0
    with open_store(db) as store:  # everything probed was written before the exit
        assert store.query("SELECT count(*) AS n FROM samples")[0]["n"] >= 8
        assert store.query("SELECT count(*) AS n FROM incidents")[0]["n"] == 0  # none declared


def test_run_gui_without_config_opens_the_welcome_page(qapp, tmp_path: Path, app_style) -> None:
    from stratus_commander.qt.app import run_gui

    _close_cockpit_when(lambda: True)
    assert run_gui(tmp_path / "x.db", None, tmp_path / "no-config.toml") == 0
    assert (tmp_path / "x.db").exists()


def test_ctrl_c_closes_the_drill_in_order(tmp_path: Path) -> None:
    db = tmp_path / "drill.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "stratus_commander", "--db", str(db), "drill", "--speed", "60"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _stored_samples(db) < 8:  # the probe worker is writing
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)  # what Ctrl+C in the terminal sends
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Interrupted: the cockpit closed; all it recorded is saved." in err
    assert "Traceback" not in err
    assert _stored_samples(db) >= 8


def _drill_process(db: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stratus_commander", "--db", str(db), "drill", "--speed", "60"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a desktop session would give it
    )


@pytest.mark.parametrize(
    ("to", "sig"),
    [("process", signal.SIGTERM), ("group", signal.SIGTERM), ("group", signal.SIGHUP)],
    ids=["process", "group", "terminal-closed"],
)
def test_sigterm_closes_the_drill_in_order(to: str, sig: signal.Signals, tmp_path: Path) -> None:
    """``kill PID`` (the cockpit alone), a logout or service manager (its whole group: the
    probe worker too, which then writes its last batch by itself), or the terminal it was
    started from closing (SIGHUP to the group)."""
    db = tmp_path / "drill.db"
    proc = _drill_process(db, {**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        deadline = time.monotonic() + 60
        while _stored_samples(db) < 8:  # the probe worker is writing
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        if to == "group":
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    assert "Terminated: the cockpit closed; all it recorded is saved." in err
    assert "Traceback" not in err and "Fatal Python error" not in err  # the worker's too
    assert _stored_samples(db) >= 8
    # tests/conftest.py points XDG_STATE_HOME (inherited) under tmp_path.
    log = (tmp_path / "home/.local/state/stratus-commander/log/stratus-commander.log").read_text()
    assert f"{sig.name}: closing the cockpit in order" in log
    assert "stratus_commander.probes.engine: probe api-health: " in log  # the worker's, too
    if to == "group":
        assert f"probes.worker: {sig.name}: stopping the probes, writing what they saw" in log
    # The worker's own SIGTERM is no death to recover from: the cockpit was closing too.
    assert "probe process stopped" not in log and "starting it again" not in err
    assert log.rstrip().endswith(f"cockpit closed; everything it recorded is in {db}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland platforms only")
@pytest.mark.parametrize("command", [[], ["drill"]], ids=["cockpit", "drill"])
def test_without_a_display_the_gui_says_so_and_points_to_the_cli(
    command: list[str], tmp_path: Path
) -> None:
    no_display = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {k: v for k, v in os.environ.items() if k not in no_display}
    db = tmp_path / "x.db"
    out = subprocess.run(
        [sys.executable, "-m", "stratus_commander", "--db", str(db), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr  # not 134 (Qt's abort)
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("Error: no display found")
    assert "`stratus-commander --help`" in line and "`stratus-commander incidents" in line
    assert not db.exists()  # refused before anything was opened


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland platforms only")
def test_a_display_that_does_not_answer_is_named_instead_of_an_abort(tmp_path: Path) -> None:
    gone = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {k: v for k, v in os.environ.items() if k not in gone} | {"DISPLAY": ":987"}
    db = tmp_path / "x.db"
    out = subprocess.run(
        [sys.executable, "-m", "stratus_commander", "--db", str(db), "drill"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr  # not 134 (Qt's abort)
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("Error: the display does not answer (DISPLAY=:987;")
    assert "`stratus-commander --help`" in line
    assert not db.exists()
