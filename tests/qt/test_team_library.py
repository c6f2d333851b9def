"""Open team database… in the incident library and the cockpit: a postgresql:// URL checked as
``--db`` checks it, connected off the UI thread, its incidents listed, the URL remembered; an
incident opened from it opens in a team cockpit that follows it live (a real PostgreSQL server)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock, SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.qt.library import LibraryWindow
from stratus_commander.qt.session import CockpitApp
from stratus_commander.qt.team_database import SETTINGS_KEY, TeamDatabaseDialog
from stratus_commander.runbook import Runbook
from stratus_commander.session import Session
from stratus_commander.store import open_store
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

WAIT_MS = 30_000  # a generous bound on a loaded machine, not a goal


def titles(window: LibraryWindow) -> list[str]:
    return sorted(row[1] for row in window.library.cell_texts())


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def solo_library(
    qtbot: Any, db_path: Path, runbook: Runbook, clock: FakeClock, settings: QSettings
) -> LibraryWindow:
    """The library on the laptop's own file, holding one incident."""
    with open_store(db_path) as store:
        Incidents(store, clock).declare("Solo: status page slow", "Minor")
    window = LibraryWindow(db_path, runbook, clock, settings=settings)
    qtbot.addWidget(window)
    window.show()
    assert titles(window) == ["Solo: status page slow"]
    return window


def ask(window: LibraryWindow) -> TeamDatabaseDialog:
    """Ctrl+Shift+O in the library: the dialog."""
    window.activateWindow()  # a closed dialog gives it back on a desktop; offscreen, say so
    QTest.keyClick(
        window.windowHandle(),
        Qt.Key.Key_O,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.team_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def type_url(qtbot: Any, dialog: TeamDatabaseDialog, url: str) -> None:
    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, url)
    qtbot.keyClick(dialog.url_edit, Qt.Key.Key_Return)  # the default button: Open


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.postgres
def test_the_dialog_opens_a_team_database_lists_its_incidents_and_remembers_the_url(
    qtbot: Any,
    solo_library: LibraryWindow,
    settings: QSettings,
    clock: FakeClock,
    db_path: Path,
    team_db: TeamDb,
) -> None:
    with open_store(team_db.url) as store:
        team = Incidents(store, clock)
        team.declare("Team: webhooks failing", "Major")
        team.declare("Team: checkout 500s", "Critical")
    window = solo_library
    dialog = ask(window)
    assert dialog.url_edit.text() == ""  # nothing remembered yet
    type_url(qtbot, dialog, team_db.url)

    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert titles(window) == ["Team: checkout 500s", "Team: webhooks failing"]
    assert team_db.url in window.windowTitle()
    assert window.source.text() == f"From {team_db.url}"
    assert window.count.text() == "2 saved incident(s)."
    assert settings.value(SETTINGS_KEY) == team_db.url

    # Offered next time (the same settings file, as the next run reads it).
    again = ask(window)
    assert again.url_edit.text() == team_db.url
    again.reject()
    next_run = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    later = LibraryWindow(db_path, window.runbook, clock, settings=next_run)
    qtbot.addWidget(later)
    assert later.open_team_database().url_edit.text() == team_db.url
    later.close()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://team:hunter2-secret@db.example.com/incidents", "password in the URL"),
        ("postgresql://team@db.example.com/incidents?password=hunter2-secret", "password in"),
        ("mysql://team@db.example.com/incidents", "not a postgresql:// URL (“mysql…”)"),
        ("db.example.com/incidents", "a team database's URL is postgresql://user@host"),
    ],
)
def test_a_url_the_command_line_refuses_is_refused_in_the_dialog_as_it_says_it(
    qtbot: Any, solo_library: LibraryWindow, settings: QSettings, url: str, said: str
) -> None:
    window = solo_library
    dialog = ask(window)
    type_url(qtbot, dialog, url)

    assert dialog.isVisible() and not dialog.connecting  # refused before anything connects
    message = dialog.status.text()
    assert dialog.status.isVisible() and said in message and "hunter2" not in message
    assert dialog.status.property("state") == "refused"
    if url.startswith("postgresql://"):  # refused by `--db` in the very same words
        cli = CliRunner().invoke(main, ["--db", url, "incidents", "list"])
        assert cli.exit_code == 2
        assert message.removeprefix("✖ ") in " ".join(cli.stderr.split())
    assert titles(window) == ["Solo: status page slow"]  # the library is as it was
    assert settings.value(SETTINGS_KEY) is None

    qtbot.keyClicks(dialog.url_edit, "x")  # typing again clears the refusal
    assert not dialog.status.isVisible()
    dialog.reject()


def test_an_unreachable_server_is_named_and_the_library_stays_on_what_was_open(
    qtbot: Any, solo_library: LibraryWindow, settings: QSettings
) -> None:
    port = closed_port()
    url = f"postgresql://team@127.0.0.1:{port}/incidents"
    window = solo_library
    dialog = ask(window)
    type_url(qtbot, dialog, url)

    qtbot.waitUntil(lambda: dialog.status.property("state") == "failed", timeout=WAIT_MS)
    message = dialog.status.text()
    assert "cannot reach the PostgreSQL server" in message
    assert f"127.0.0.1:{port}" in message or (f'"127.0.0.1", port {port}' in message)
    assert "Traceback" not in message
    assert dialog.isVisible() and dialog.open_button.isEnabled()  # fix the URL and try again
    dialog.reject()

    assert titles(window) == ["Solo: status page slow"]
    window.search.setText("status")  # the open file still answers
    assert window.count.text() == "1 incident matches “status”"
    assert settings.value(SETTINGS_KEY) is None


def test_cancel_while_connecting_gives_up_at_once_and_keeps_the_library(
    qtbot: Any, solo_library: LibraryWindow, settings: QSettings
) -> None:
    window = solo_library
    with socket.socket() as silent:  # takes the connection, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"postgresql://team@127.0.0.1:{silent.getsockname()[1]}/incidents"
        dialog = ask(window)
        type_url(qtbot, dialog, url)
        # Still waiting when Enter returns: on the UI thread, Enter would have returned only
        # after libpq's timeout, with the failure said.
        assert dialog.connecting and not dialog.open_button.isEnabled()
        assert dialog.status.text() == f"Connecting to {url}…"

        qtbot.keyClick(dialog.url_edit, Qt.Key.Key_Escape)  # Cancel
        assert not dialog.isVisible() and not dialog.connecting
    assert titles(window) == ["Solo: status page slow"]
    assert settings.value(SETTINGS_KEY) is None


async def until(condition: Callable[[], object], timeout_s: float = WAIT_MS / 1000) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def timeline_texts(app: CockpitApp) -> list[str]:
    tree = app.window.timeline.tree
    return [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]


@pytest.mark.postgres
def test_an_incident_opened_from_the_team_library_opens_a_team_cockpit_that_follows_it_live(
    qtbot: Any,
    arun: Any,
    runbook: Runbook,
    db_path: Path,
    settings: QSettings,
    team_db: TeamDb,
) -> None:
    clock = SystemClock()
    teammate_store = open_store(team_db.url)
    teammate = Incidents(teammate_store, clock, actor="scribe")
    incident = teammate.declare("Team: webhooks failing", "Major", scope=["Webhooks"])
    solo = CockpitApp(Session(db_path, runbook=runbook, clock=clock), settings=settings)

    async def scenario() -> None:
        running = asyncio.ensure_future(solo.run())
        try:
            await drive(running)
        finally:
            if not running.done():  # failed midway: close it all the same, in order
                solo.window.close()
                await running

    async def drive(running: asyncio.Future[None]) -> None:
        await until(solo.window.isVisible)
        handle = solo.window.windowHandle()
        QTest.keyClick(
            handle,
            Qt.Key.Key_O,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )  # Incident ▸ Open team database…
        assert solo.window.team_library is not None
        dialog = solo.window.team_library.dialog
        assert dialog is not None and dialog.isVisible()
        dialog.url_edit.setText(team_db.url)
        dialog.open_button.click()
        await until(lambda: solo.window.team_library.window is not None)  # type: ignore[union-attr]
        library = solo.window.team_library.window  # type: ignore[union-attr]
        assert library is not None and titles(library) == ["Team: webhooks failing"]
        assert "opens in the team cockpit" in library.source.text()
        assert library.open_button.text() == "&Open in the team cockpit"

        qtbot.keyClick(library.table, Qt.Key.Key_Return)  # the selected row: the incident
        await until(lambda: team_db.url in solo.team_apps)
        team = solo.team_apps[team_db.url]
        await until(team.window.isVisible)
        assert team.window.incident is not None and team.window.incident.id == incident.id
        assert team.session.team and team.team_status is not None  # the outbox banner too
        # Its window layout is its own, beside the main cockpit's file.
        assert team.window.settings is not None
        assert Path(team.window.settings.fileName()).name == "team-cockpit.ini"

        # A teammate's note reaches this team cockpit live (LISTEN/NOTIFY, no polling).
        teammate.note(incident.id, "Stripe shows 500s from our endpoint")
        await until(lambda: "Stripe shows 500s from our endpoint" in timeline_texts(team))

        # Opening it again brings the same cockpit to the front, not a second one.
        library.open_selected()
        assert solo.team_apps[team_db.url] is team

        solo.window.close()  # the team cockpit closes with it, in order
        await running
        assert not solo.team_apps and not library.isVisible()
        await until(lambda: not any(t.name == "pg-watcher" for t in threading.enumerate()))

    try:
        arun(scenario())
    finally:
        teammate_store.close()


@pytest.mark.postgres
def test_a_team_server_gone_when_an_incident_is_opened_is_named_and_the_library_stays(
    qtbot: Any,
    arun: Any,
    runbook: Runbook,
    clock: FakeClock,
    db_path: Path,
    settings: QSettings,
    team_db: TeamDb,
) -> None:
    with open_store(team_db.url) as store:
        incident = Incidents(store, clock).declare("Team: webhooks failing", "Major")
    solo = CockpitApp(Session(db_path, runbook=runbook, clock=clock), settings=settings)
    library = LibraryWindow(team_db.url, runbook, clock, settings=settings, team=solo)
    qtbot.addWidget(library)
    library.show()
    try:
        team_db.server.stop()
        try:
            qtbot.keyClick(library.table, Qt.Key.Key_Return)  # the selected row
            qtbot.waitUntil(lambda: library.error.property("state") == "failed", timeout=WAIT_MS)
        finally:
            team_db.server.start()
        text = library.error.text()
        assert text.startswith(f"✖ Cannot open INC-{incident.id} in a team cockpit: ")
        assert "cannot reach the PostgreSQL server" in text and str(team_db.server.port) in text
        assert not solo.team_apps  # nothing half-opened
        assert titles(library) == ["Team: webhooks failing"] and library.open_button.isEnabled()
    finally:
        library.close()  # its connection (qtbot holds the window only weakly)
        arun(solo.aclose())
