"""An exception nobody handled, while the cockpit runs: in the log with its traceback, and a
dialog saying what is saved and where the details are."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer

from stratus_commander.clock import FakeClock
from stratus_commander.logs import setup_logging, teardown_logging
from stratus_commander.qt.session import CockpitApp
from stratus_commander.runbook import Runbook
from stratus_commander.session import Session
from tests.qt.conftest import ARun

SECRET = "sk_live_51CrashKeyAbCdEfGhIjKlMn"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = setup_logging(directory=tmp_path / "logs", stderr=False)
    assert path is not None
    yield path
    teardown_logging()


def _broken_slot() -> None:
    raise RuntimeError(f"the triage panel broke (while calling Stripe with {SECRET})")


@pytest.mark.qt_no_exception_capture  # the cockpit's own hook is what is tested
@pytest.mark.parametrize("where", ["qt slot", "loop callback"])
def test_an_unhandled_exception_is_logged_and_the_dialog_says_what_is_saved(
    where: str,
    arun: ARun,
    runbook: Runbook,
    clock: FakeClock,
    db_path: Path,
    tmp_path: Path,
    log_file: Path,
) -> None:
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    cockpit = CockpitApp(Session(db_path, runbook=runbook, clock=clock), settings=settings)
    incident = cockpit.incidents.declare("Payment Processing API Down", "Critical")
    cockpit.window.set_incident(incident)
    clock.advance(65)
    cockpit.incidents.note(incident.id, "Stripe status page green; our webhook 500s")
    stop = asyncio.Event()
    shown: list[str] = []
    survived: list[bool] = []

    def reported(text: str) -> None:
        dialog = cockpit.crash.dialog
        assert dialog is not None
        shown.append(dialog.text())
        survived.append(cockpit.window.isVisible())  # the cockpit keeps running
        stop.set()

    cockpit.crash.reported.connect(reported)

    def fail_soon() -> None:
        if where == "qt slot":
            QTimer.singleShot(0, _broken_slot)  # PySide6 hands it to sys.excepthook
        else:
            asyncio.get_running_loop().call_soon(_broken_slot)  # the loop's handler

    arun(cockpit.run(stop, shown=fail_soon))

    assert survived == [True]
    (text,) = shown
    assert text.startswith("Something went wrong: RuntimeError: the triage panel broke")
    assert SECRET not in text and "sk_live_[REDACTED]" in text
    noted = clock.now().astimezone().strftime("%H:%M:%S")
    assert (
        f"Everything up to INC-{incident.id}'s last event (note “Stripe status page green; our "
        f"webhook 500s”, {noted}"
    ) in text
    assert f"is saved in {db_path}; details are in {log_file}." in text
    logged = log_file.read_text(encoding="utf-8")
    assert "CRITICAL stratus_commander.qt.crash: unhandled exception" in logged
    assert "Traceback (most recent call last)" in logged
    assert "in _broken_slot" in logged and "RuntimeError: the triage panel broke" in logged
    assert SECRET not in logged  # the traceback's text is redacted too


@pytest.mark.qt_no_exception_capture
def test_the_hooks_are_removed_when_the_cockpit_closes(
    arun: ARun, runbook: Runbook, clock: FakeClock, db_path: Path, tmp_path: Path
) -> None:
    import sys

    before = sys.excepthook
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    cockpit = CockpitApp(Session(db_path, runbook=runbook, clock=clock), settings=settings)
    during: list[object] = []
    stop = asyncio.Event()

    def shown() -> None:
        during.append(sys.excepthook)
        stop.set()

    arun(cockpit.run(stop, shown=shown))
    assert during and during[0] is not before
    assert sys.excepthook is before
