"""Team mode in the GUI: two cockpits on one PostgreSQL database follow each other live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.session import CockpitApp
from stratus_commander.session import Session
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role
from tests.qt.conftest import open_cockpit

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

WAIT_MS = 30_000  # a generous bound on a loaded machine; bench_team.py measures the real figure


def _timeline_texts(window: Cockpit) -> list[str]:
    tree = window.timeline.tree
    return [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]


def test_a_note_typed_in_one_cockpit_appears_in_the_other(
    qtbot: Any, runbook, clock, team_db: TeamDb
) -> None:
    store_a, incidents_a, bus_a, commander = open_cockpit(qtbot, team_db.url, runbook, clock)
    store_b, incidents_b, bus_b, scribe = open_cockpit(qtbot, team_db.url, runbook, clock)
    try:
        assert bus_a.follow_team(incidents_a) and bus_b.follow_team(incidents_b)
        incident = incidents_a.declare("Webhooks failing", "Major", scope=["Webhooks"])
        commander.set_incident(incident)
        scribe.open_incident(incident.id)
        assert scribe.incident is not None and scribe.incident.id == incident.id

        qtbot.keyClicks(commander.timeline.note_edit, "Stripe shows 500s from our endpoint")
        qtbot.keyClick(commander.timeline.note_edit, Qt.Key.Key_Return)
        assert "Stripe shows 500s from our endpoint" in _timeline_texts(commander)
        qtbot.waitUntil(
            lambda: "Stripe shows 500s from our endpoint" in _timeline_texts(scribe),
            timeout=WAIT_MS,
        )
        assert _timeline_texts(scribe).count("Stripe shows 500s from our endpoint") == 1

        # The scribe's triage decision reaches the commander's triage panel and header.
        scribe.triage.decision.buttons["internal"].click()
        qtbot.waitUntil(
            lambda: (
                commander.incident is not None and commander.incident.triage_decision == "internal"
            ),
            timeout=WAIT_MS,
        )
        assert _timeline_texts(commander) == _timeline_texts(scribe)
    finally:
        for window in (commander, scribe):
            window.close()  # its deferred building stops before its store closes
        bus_a.stop_following()
        bus_b.stop_following()
        store_a.close()
        store_b.close()


def test_a_team_cockpit_leaves_probing_to_the_team_prober_until_asked(
    arun: Any, runbook, clock, team_db: TeamDb, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[probes]]\nid = "api-health"\nkind = "http"\ncheck = "api"\n'
        'url = "http://127.0.0.1:9/api/health"\n',
        encoding="utf-8",
    )
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    session = Session(team_db.url, runbook=runbook, clock=clock, config_path=config)
    assert "probe --record" in session.probe_note()
    app = CockpitApp(session, settings=settings)
    app.start_probes_unless_team()
    assert app.live is None  # the team's prober writes the samples
    assert "&Probe from this cockpit" in [a.text() for a in app.window.menus.incident.actions()]

    async def ask_then_close() -> None:
        app.probe_here.trigger()
        assert app.live is not None and not app.probe_here.isEnabled()
        await app.aclose()

    arun(ask_then_close())


def test_a_team_cockpit_shows_the_samples_the_team_prober_writes(
    qtbot: Any, arun: Any, runbook, team_db: TeamDb, tmp_path: Path
) -> None:
    from stratus_commander.clock import SystemClock, to_ms
    from stratus_commander.store import SampleRow, open_store

    prober = open_store(team_db.url)  # what `probe --record` writes through
    now = to_ms(SystemClock().now())
    prober.add_samples([SampleRow("api-health", "http", "api", now - 2_000, "up", 41.0)])
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    app = CockpitApp(Session(team_db.url, runbook=runbook), settings=settings)  # no config
    try:
        app.start_probes_unless_team()
        team = app.team_probes
        assert team is not None and [s.id for s in team.specs] == ["api-health"]
        incident = app.incidents.declare("API errors", "Major", scope=["API"])
        app.window.set_incident(incident)
        assert app.window.triage.probe_state_text("api-health") == "UP"  # the last minutes

        # Three failures in a row: the default threshold, by which the prober flips it too.
        prober.add_samples(
            SampleRow("api-health", "http", "api", now - 900 + i, "down", None, "HTTP 503")
            for i in range(3)
        )
        qtbot.waitUntil(
            lambda: app.window.triage.probe_state_text("api-health") == "DOWN", timeout=WAIT_MS
        )
        assert app.live is None  # shown, not probed here
    finally:
        prober.close()
        arun(app.aclose())
