"""Render the cockpit mid-drill, light and in the desktop's dark scheme, the About dialog and the
Open team database dialog, to resources/screenshots/ (offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/make_screenshots.py

A real drill (payment-processing-down) on the loopback simulator. Everything — runbook clocks,
probes, simulator — runs on one clock 10 times faster than the wall, so 45 s reach the state of
an incident declared six minutes ago (ESCALATE overdue, TRIAGE met) while Stripe is still down.
The dark shot is the desktop turning dark (QStyleHints.colorSchemeChanged) with no palette picked:
the cockpit follows it. The team database dialog offers the URL remembered from last time and
says why it cannot connect (db.example.com does not resolve).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TMP = Path(tempfile.mkdtemp(prefix="stratus-shots-"))
os.environ["XDG_CONFIG_HOME"] = str(TMP / "config")  # never the user's own window settings
os.environ["XDG_STATE_HOME"] = str(TMP / "state")  # nor the user's own log

import qasync  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from stratus_commander.clock import SystemClock, truncate_ms  # noqa: E402
from stratus_commander.logs import setup_logging, teardown_logging  # noqa: E402
from stratus_commander.qt import theme  # noqa: E402
from stratus_commander.qt.app import open_settings  # noqa: E402
from stratus_commander.qt.application import ensure_app  # noqa: E402
from stratus_commander.qt.cockpit import Cockpit  # noqa: E402
from stratus_commander.qt.session import CockpitApp  # noqa: E402
from stratus_commander.qt.team_database import SETTINGS_KEY  # noqa: E402
from stratus_commander.resources import resource_path  # noqa: E402
from stratus_commander.runbook import load_runbook  # noqa: E402
from stratus_commander.session import Session  # noqa: E402

FAST = 10.0
DRILL_SPEED = 3.0  # scenario time per (fast) second: Stripe stays down through the shots


class FastClock:
    def __init__(self) -> None:
        self._start = SystemClock().now()

    def now(self) -> datetime:
        real = SystemClock().now()
        return truncate_ms(self._start + (real - self._start) * FAST)


async def main(out: Path) -> None:
    app = CockpitApp(
        Session(TMP / "drill.db", runbook=load_runbook(), clock=FastClock()),
        settings=open_settings(),
    )
    app.start_drill("payment-processing-down", DRILL_SPEED)
    stop = asyncio.Event()

    async def commander() -> None:
        w = app.window
        w.resize(1440, 900)
        await asyncio.sleep(6)  # scenario minute 3: Stripe down, the DECLARE clock running
        w.grab().save(str(out / "cockpit-predeclare.png"))
        w.declare()
        dialog = w._dialog
        assert dialog is not None
        dialog.title_edit.setText("Stripe payments failing")
        dialog.impact_combo.setCurrentText("Critical")
        dialog.affected_edit.setText("Stripe Connect API, Payment Intents, Webhook Processing")
        dialog.accept()
        incident = w.incident
        assert incident is not None
        await asyncio.sleep(6)
        w.triage.groups["api"].checks["api-logs"].click()
        w.triage.groups["webhooks"].checks["webhook-logs"].click()
        w.triage.decision.buttons["external"].click()
        await asyncio.sleep(30)  # six minutes after the declaration: ESCALATE overdue
        w.show_tab(0)
        await asyncio.sleep(1.2)
        w.grab().save(str(out / "cockpit-light.png"))
        hints = ensure_app().styleHints()
        assert w.theme_choice == theme.SYSTEM  # no palette picked: the desktop's scheme rules
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the desktop turns dark
        w.show_tab(1)
        await asyncio.sleep(1.2)
        w.graphs.redraw_now()
        w.grab().save(str(out / "cockpit-dark.png"))
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        w.show_about()
        assert w.about is not None
        await asyncio.sleep(0.5)
        w.about.grab().save(str(out / "about.png"))
        w.about.close()
        await team_dialog(w, out)
        stop.set()

    async def team_dialog(w: Cockpit, out: Path) -> None:
        assert w.settings is not None
        w.settings.setValue(SETTINGS_KEY, "postgresql://responders@db.example.com:5432/incidents")
        w.open_team_database()
        assert w.team_library is not None and w.team_library.dialog is not None
        dialog = w.team_library.dialog
        dialog.accept()  # connects off the UI thread; the name does not resolve here
        for _ in range(300):
            if dialog.status.property("state") == "failed":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        dialog.grab().save(str(out / "open-team-database.png"))
        dialog.reject()

    driver = asyncio.ensure_future(commander())
    await app.run(stop)
    await driver


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else resource_path("screenshots")
    target.mkdir(parents=True, exist_ok=True)
    theme.apply_theme(ensure_app(), "light")
    setup_logging(verbose=False)  # the About dialog names the log file
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(main(target))
    teardown_logging()
    print(f"screenshots in {target}")
