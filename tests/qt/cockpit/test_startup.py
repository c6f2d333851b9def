"""Start-up: the cockpit's first frame waits only for what it shows; the rest follows by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QStackedWidget

from stratus_commander.incident import Incidents
from stratus_commander.incident.reminders import set_reminder
from stratus_commander.probes.base import Outcome, ProbeResult, StateChange
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.cockpit.escalation_panel import EscalationPanel
from stratus_commander.qt.cockpit.graphs import GraphsPanel
from stratus_commander.qt.cockpit.welcome import WelcomePage
from stratus_commander.qt.cockpit.work_area import page_home
from tests.qt.conftest import T0

#: Loaded after the cockpit's first frame, not before it: the plots, the hidden tabs, the
#: templates' Jinja2, the drill's scenario models and simulator, the debrief and the review.
DEFERRED = (
    "pyqtgraph",
    "stratus_commander.qt.cockpit.comms_panel",
    "stratus_commander.qt.cockpit.mitigate_panel",
    "stratus_commander.qt.cockpit.escalation_panel",
    "jinja2",
    "stratus_commander.drill.scenario",
    "stratus_commander.drill.server",
    "stratus_commander.debrief",
    "stratus_commander.review",
)

# Runs the real CLI (as the start-up bench does) and reports at the cockpit's first paint.
FIRST_FRAME = r"""
import json, os, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

class FirstFrame(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
            loaded = [m for m in sys.argv[1].split(",") if m in sys.modules]
            page = type(obj.stack.currentWidget()).__name__
            made = [type(w).__name__ for w in obj.findChildren(QWidget)]
            print(json.dumps({"loaded": loaded, "welcome": page == "WelcomePage",
                              "welcome made": "WelcomePage" in made,
                              "title": obj.windowTitle()}), flush=True)
            os._exit(0)
        return False

app = QApplication(sys.argv[:1])
watcher = FirstFrame()
app.installEventFilter(watcher)
from stratus_commander.cli import main
main(sys.argv[2:])
"""


def _first_frame(tmp_path: Path, watch: tuple[str, ...], *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, ",".join(watch), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_welcome_page_paints_before_plots_probes_and_hidden_tabs_load(tmp_path: Path) -> None:
    # Nor the network client: the welcome page has nothing to probe.
    frame = _first_frame(tmp_path, (*DEFERRED, "httpx"), "--db", str(tmp_path / "x.db"))
    assert frame["welcome"] and frame["title"] == "Stratus Commander"
    assert frame["loaded"] == []


def test_a_drill_paints_its_cockpit_before_plots_hidden_tabs_and_probes(tmp_path: Path) -> None:
    watch = (*DEFERRED, "httpx")  # the probes (and their client) start after the first frame
    frame = _first_frame(tmp_path, watch, "--db", str(tmp_path / "x.db"), "drill", "baseline")
    assert not frame["welcome"] and str(frame["title"]).startswith("[DRILL]")
    assert frame["loaded"] == []
    assert not frame["welcome made"]  # the library behind the drill comes after the frame


def test_a_runbook_validated_once_is_read_back_without_pydantic(tmp_path: Path) -> None:
    """The first start validates the runbook (pydantic) and keeps it (runbook/cache.py); the
    next reads it back as plain dataclasses, and nothing before its first frame loads pydantic:
    neither the runbook, nor the probe records, nor the config (there is none here)."""
    args = ("--db", str(tmp_path / "x.db"), "drill", "baseline")
    assert _first_frame(tmp_path, ("pydantic",), *args)["loaded"] == ["pydantic"]
    assert _first_frame(tmp_path, ("pydantic",), *args)["loaded"] == []


def test_the_work_area_and_its_tabs_follow_the_first_frame_unasked(
    qtbot, incidents: Incidents, runbook, clock
) -> None:
    incident = incidents.declare("Webhooks failing", "Major", scope=["Webhooks"])
    set_reminder(incidents, incident.id, "Dana", "roll back deploy 4812", 5)
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock)
    qtbot.addWidget(window)
    window.set_incident(incidents.get(incident.id))
    window.show()
    # The Escalate tab is never opened: its check-back timer must still come due on screen.
    clock.advance(minutes=5)
    qtbot.waitUntil(lambda: window.graphs.built)  # the last thing made after the first frame
    assert window.findChildren(WelcomePage)  # the library behind it, ready for Ctrl+L
    bus.tick.emit()
    assert any(
        t.startswith("CHECK BACK") and "Dana: roll back deploy 4812" in t
        for t in window.banners.texts()
    )
    assert len(incidents.events(incident.id, {"reminder_due"})) == 1
    assert window.tabs.currentIndex() == 0


def test_the_work_tabs_pages_are_made_where_the_tab_widget_keeps_them(
    qtbot, incidents: Incidents, runbook, clock
) -> None:
    # Made anywhere else, a page is moved (and re-styled whole) when added: slower to show.
    window = Cockpit(Bus(), incidents, runbook, clock)
    qtbot.addWidget(window)
    window.set_incident(incidents.declare("API down", "Critical"))
    home = page_home(window.tabs)
    assert isinstance(home, QStackedWidget) and home.parent() is window.tabs
    assert window.triage.parent() is home and window.graphs.parent() is home
    assert window.comms.parent() is home  # a page made later, too
    assert window.tabs.widget(2) is window.comms


@pytest.mark.parametrize("tab", [2, 4])
def test_a_remembered_tab_opens_on_its_own_page(
    qtbot, incidents: Incidents, runbook, clock, tmp_path: Path, tab: int
) -> None:
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    settings.setValue("cockpit/tab", tab)
    incident = incidents.declare("API down", "Critical")
    window = Cockpit(Bus(), incidents, runbook, clock, settings=settings)
    qtbot.addWidget(window)
    window.set_incident(incident)
    window.show()
    page = window.tabs.currentWidget()
    assert window.tabs.currentIndex() == tab
    assert page is (window.comms if tab == 2 else window.escalation)
    if isinstance(page, EscalationPanel):  # made for the incident on screen
        assert page.who_label.text().startswith("Critical: escalate to")


def test_graphs_follow_the_probes_before_their_plots_exist_and_draw_it_all_when_shown(
    qtbot, incidents: Incidents, runbook, clock, app_style
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme.apply_theme(app, "dark")
    bus = Bus()
    bus.watch_incidents(incidents)
    panel = GraphsPanel(bus, incidents, runbook, clock, capacity=64)
    qtbot.addWidget(panel)
    down = ProbeResult("api-health", "http", "api", Outcome.DOWN, 120.0, "HTTP 500", T0)
    bus.probe_result.emit(down)
    bus.tick.emit()
    bus.probe_flip.emit(
        StateChange("api-health", "http", "api", Outcome.UP, Outcome.DOWN, T0, "HTTP 500")
    )
    clock.advance(minutes=1)
    panel.set_incident(incidents.declare("API down", "Critical"))
    panel.set_probe_count(20)  # many probes: group lines instead of one per probe
    assert not panel.built
    assert panel.marker_labels() == ["api-health down", "declared"]

    panel.show()  # the Graphs tab is opened for the first time
    assert panel.built and panel.view is not None and panel.view.isVisible()
    assert panel.point_count("availability:api") == 1  # the tick before the plots existed
    assert sorted(panel.latency_keys())[:2] == ["latency:api:max", "latency:api:median"]
    lines = [i for i in panel.plots["latency"].items if isinstance(i, pg.InfiniteLine)]
    assert sorted(line.toolTip() for line in lines) == ["api-health down", "declared"]
    assert panel.view.backgroundBrush().color().name() == theme.current().plot_bg
    assert panel.plots["latency"].titleLabel.text.startswith("Latency (ms): median and highest")
