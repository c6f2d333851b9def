"""A team cockpit started while its server is away: the red banner at once, and the commander
declares and takes notes all the same (a local incident, INC-L1); once the server is back it is
sent, numbered by the server, verified there, and the cockpit shows it under its real number (a
real PostgreSQL server, stopped before the cockpit starts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PySide6.QtCore import QSettings, Qt

from stratus_commander.cli import main
from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.qt.cockpit.team_status import KEY, NEEDS_KEY
from stratus_commander.qt.session import CockpitApp
from stratus_commander.runbook import Runbook
from stratus_commander.session import Session
from stratus_commander.store import open_store
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest


def _open(qtbot: Any, url: str, runbook: Runbook, tmp_path: Path, **kw: Any) -> CockpitApp:
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    cockpit = CockpitApp(
        Session(url, runbook=runbook, clock=SystemClock(), **kw), settings=settings
    )
    qtbot.addWidget(cockpit.window)
    cockpit.window.show()
    return cockpit


def _close(cockpit: CockpitApp) -> None:
    assert cockpit.team_status is not None
    cockpit.team_status.close()
    cockpit.window.close()
    cockpit.bus.stop_following()  # its listener thread, before the database goes
    cockpit.session.close()


def _timeline_texts(cockpit: CockpitApp) -> list[str]:
    tree = cockpit.window.timeline.tree
    return [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]


def test_a_cockpit_started_with_the_server_away_declares_and_notes_then_sends_them(
    qtbot: Any, team_db: TeamDb, runbook: Runbook, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[probes]]\nid = "api-health"\nkind = "http"\ncheck = "api"\n'
        'url = "http://127.0.0.1:9/api/health"\n',
        encoding="utf-8",
    )
    team_db.server.stop()
    try:
        cockpit = _open(qtbot, team_db.url, runbook, tmp_path, config_path=config)
        window = cockpit.window
        assert cockpit.session.last_real_incident() is None  # nothing known of the server yet
        cockpit.start_probes_unless_team()  # the team's samples: none to read, no error
        # Red from the first frame: the server, and nothing waiting yet.
        assert KEY in window.banners.order()
        text = window.banners.texts()[0]
        assert "TEAM SERVER UNREACHABLE" in text and "0 events waiting" in text
        assert f"127.0.0.1:{team_db.server.port}/{team_db.name}" in text

        incident = cockpit.incidents.declare("Payment Processing API Down", "Critical")
        window.set_incident(incident)
        assert incident.label == "INC-L1"
        assert window.windowTitle().startswith("INC-L1 Payment Processing API Down")
        qtbot.keyClicks(window.timeline.note_edit, "declared while the team server was down")
        qtbot.keyClick(window.timeline.note_edit, Qt.Key.Key_Return)
        assert "2 events waiting" in window.banners.texts()[0]
        window.grab().save(str(tmp_path / "team-server-away-from-start.png"))
        # What reads the server itself says it needs it; the library searches what is known.
        window.open_review()
        window.close_incident()
        assert window.review_window is None and NEEDS_KEY in window.banners.order()
        assert "needs the team server, which is away" in window.banners.texts()[0]
        assert [i.label for i in cockpit.incidents.search("payment down")] == ["INC-L1"]
        assert cockpit.incidents.search("pooler") == []

        # Closed and started again, the server still away: it opens where it was.
        _close(cockpit)
        cockpit = _open(qtbot, team_db.url, runbook, tmp_path)
        window = cockpit.window
        again = cockpit.session.last_real_incident()
        assert again is not None and again.label == "INC-L1"
        window.set_incident(again)
        assert "2 events waiting" in window.banners.texts()[0]
        assert "declared while the team server was down" in _timeline_texts(cockpit)
    finally:
        team_db.server.start()
    try:
        qtbot.waitUntil(lambda: KEY not in window.banners.order(), timeout=20_000)
        shown = window.incident
        assert shown is not None and shown.id > 0 and shown.label == f"INC-{shown.id}"
        assert window.windowTitle().startswith(f"INC-{shown.id} ")
    finally:
        _close(cockpit)

    with open_store(team_db.url) as store:
        evs = store.events(shown.id)
        assert len(store.incident_rows()) == 1  # declared once
    assert [(e.kind, e.text) for e in evs] == [
        ("declared", "Payment Processing API Down"),
        ("note", "declared while the team server was down"),
    ]
    assert evs[0].at == incident.declared_at and evs[0].data["declared_as"] == "INC-L1"
    result = CliRunner().invoke(main, ["--db", team_db.url, "incidents", "verify", str(shown.id)])
    assert result.exit_code == 0, result.output


def test_a_cockpit_started_while_the_server_is_away_shows_its_open_incident_once_it_answers(
    qtbot: Any, team_db: TeamDb, runbook: Runbook, tmp_path: Path
) -> None:
    with open_store(team_db.url) as store:  # a teammate declared it before the server went away
        declared = Incidents(store, SystemClock(), actor="bob").declare("Webhooks failing", "Major")
    team_db.server.stop()
    try:
        cockpit = _open(qtbot, team_db.url, runbook, tmp_path)
        window = cockpit.window
        assert window.incident is None and "0 events waiting" in window.banners.texts()[0]
    finally:
        team_db.server.start()
    try:
        # Nothing waited: the server answering is enough to clear the banner and read it.
        qtbot.waitUntil(lambda: KEY not in window.banners.order(), timeout=20_000)
        qtbot.waitUntil(lambda: window.incident is not None, timeout=5_000)
        assert window.incident is not None and window.incident.id == declared.id
    finally:
        _close(cockpit)
