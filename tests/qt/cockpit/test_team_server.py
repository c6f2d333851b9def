"""The cockpit on a team database whose server goes away: a red banner names the server and counts
the events waiting on this laptop; once the server answers they are sent and the banner clears
(a real PostgreSQL server, stopped and started)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from stratus_commander.clock import SystemClock
from stratus_commander.qt.cockpit.team_status import KEY
from stratus_commander.qt.session import CockpitApp
from stratus_commander.runbook import Runbook
from stratus_commander.session import Session
from stratus_commander.store import open_store
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest


def test_the_banner_names_the_server_counts_what_waits_and_clears_once_it_is_sent(
    qtbot: Any, team_db: TeamDb, runbook: Runbook, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    cockpit = CockpitApp(
        Session(team_db.url, runbook=runbook, clock=SystemClock()), settings=settings
    )
    window = cockpit.window
    qtbot.addWidget(window)
    window.show()
    try:
        incident = cockpit.incidents.declare("Payment Processing API Down", "Critical")
        window.set_incident(incident)
        assert KEY not in window.banners.order()

        team_db.server.stop()
        try:
            # The cockpit's own check finds the server gone, with no action taken.
            qtbot.waitUntil(lambda: KEY in window.banners.order(), timeout=10_000)
            assert window.banners.severity(KEY) == "overdue"
            text = window.banners.texts()[0]
            assert "TEAM SERVER UNREACHABLE" in text
            assert f"127.0.0.1:{team_db.server.port}/{team_db.name}" in text
            assert "0 events waiting" in text

            cockpit.incidents.note(incident.id, "webhooks 500 since 14:02")
            cockpit.incidents.decide(incident.id, "internal", "our pooler")
            assert "2 events waiting" in window.banners.texts()[0]
            window.grab().save(str(tmp_path / "team-server-away.png"))
        finally:
            team_db.server.start()

        qtbot.waitUntil(lambda: KEY not in window.banners.order(), timeout=15_000)
        assert window.incident is not None and window.incident.triage_decision == "internal"
    finally:
        assert cockpit.team_status is not None
        cockpit.team_status.close()
        window.close()
        cockpit.bus.stop_following()  # its listener thread, before the database goes
        cockpit.session.close()

    with open_store(team_db.url) as store:
        kinds = [e.kind for e in store.events(incident.id)]
    assert kinds == ["declared", "note", "decision"]
