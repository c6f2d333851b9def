"""What the cockpit checks only once its first frame is up is still refused in plain words.

The runbook's message templates and a bundled drill's scenario are not needed to paint the first
frame, so they are parsed just after it (start-up time). A problem found then closes the cockpit
in order and the command says it as it would have before the window opened: the file, the key
path and the problem, exit 2, no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from PySide6.QtCore import QSettings

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.errors import InputError
from stratus_commander.qt.cockpit.welcome import WelcomePage
from stratus_commander.qt.session import CockpitApp
from stratus_commander.resources import resource_path
from stratus_commander.runbook import Runbook
from stratus_commander.session import Session
from tests.qt.conftest import ARun

SEED = resource_path("runbooks", "stratusconnect.toml").read_text(encoding="utf-8")
BROKEN_SCENARIO = """title = "Broken drill"
summary = "A step at no time"
impact = "critical"

[[steps]]
at = "soon"
note = "Stripe's API starts answering 500"
"""


def test_a_runbook_template_that_does_not_parse_is_refused_exit_2(
    qapp: object, app_style: None, tmp_path: Path
) -> None:
    runbook = tmp_path / "runbook.toml"
    old = "Incident resolved at {{ resolved_at }}."
    assert SEED.count(old) == 1
    runbook.write_text(SEED.replace(old, "Incident resolved at {{ resolved_at }."), "utf-8")
    db = tmp_path / "x.db"
    result = CliRunner().invoke(main, ["--db", str(db), "--runbook", str(runbook)])
    assert result.exit_code == 2, result.output
    assert f"{runbook}: comms.templates.close: template syntax error at line 1" in result.output
    assert "Traceback" not in result.output


def test_a_drill_scenario_refused_after_the_first_frame_closes_the_cockpit_and_says_why(
    arun: ARun, runbook: Runbook, clock: FakeClock, db_path: Path, tmp_path: Path
) -> None:
    scenario = tmp_path / "broken.toml"
    scenario.write_text(BROKEN_SCENARIO, encoding="utf-8")
    settings = QSettings(str(tmp_path / "cockpit.ini"), QSettings.Format.IniFormat)
    cockpit = CockpitApp(Session(db_path, runbook=runbook, clock=clock), settings=settings)
    # As `drill NAME` does for a bundled drill: the title now, the scenario once painted.
    cockpit.start_drill_once_shown(str(scenario), "Broken drill", 60.0)
    assert cockpit.window.drill_strip.isVisibleTo(cockpit.window)
    assert not cockpit.window.findChildren(WelcomePage)  # a drill's first frame does without

    with pytest.raises(InputError) as refused:
        arun(cockpit.run())

    assert str(refused.value).startswith(f"{scenario}: steps[0].at: ")
    assert cockpit.refused is refused.value  # run() returned: the cockpit closed in order
    assert cockpit.session.live is None  # no simulator or probes left running
