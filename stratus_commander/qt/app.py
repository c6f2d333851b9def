"""Start the GUI: a splash at once, then the cockpit on a qasync event loop.

    run_gui(db_path, runbook_path, config_path)     # stratus-commander
    run_drill(db_path, runbook_path, scenario, 1.0)  # stratus-commander drill [SCENARIO]

This module imports only Qt and the palette, so a window is on screen a moment after the process
starts; the cockpit's heavier parts (database, runbook models, plots, probes) load behind the
splash. ``run_gui`` opens the cockpit on the last open (non-drill) incident, else on the welcome
page, and probes what the config lists (no config file: no probes, said on the welcome page; an
invalid runbook or config closes the splash and is reported, exit 2, before anything is opened).
``run_drill`` starts the loopback simulator and probes it; nothing is declared for the commander.
Both end when the window closes: the probes stop, buffered samples are written, the client and
the simulator close, then the database.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import platformdirs
import qasync
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QWidget

from stratus_commander.paths import APP
from stratus_commander.qt import theme
from stratus_commander.resources import resource_path

__all__ = ["ensure_app", "open_settings", "run_drill", "run_gui"]


def open_settings() -> QSettings:
    """Window layout and palette, in an INI file under the user config dir (tests: under tmp)."""
    path = Path(platformdirs.user_config_dir(APP)) / "cockpit.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv)
    app.setApplicationName("Stratus Commander")
    # Closing the last window must end our coroutine, not yank the loop from under it.
    app.setQuitOnLastWindowClosed(False)
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 11.0))
    app.setFont(font)
    return app


class Splash(QWidget):
    """The first window: the app's name and what it is doing, painted before anything heavy."""

    def __init__(self, message: str) -> None:
        super().__init__(None, Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
        self.message = message
        self.setFixedSize(560, 200)

    def paintEvent(self, event: QPaintEvent) -> None:
        t = theme.current()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(t.base))
        icon = QIcon(str(resource_path("icons", "stratus-commander.svg")))
        icon.paint(painter, 24, 40, 96, 96)
        font = QFont(self.font())
        font.setPointSize(20)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(t.text))
        painter.drawText(140, 95, "Stratus Commander")
        font.setPointSize(11)
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(QColor(t.muted))
        painter.drawText(140, 130, self.message)
        painter.end()


Main = Callable[[QWidget], Coroutine[Any, Any, None]]


def _start(message: str, prepare: Callable[[QSettings], Main]) -> int:
    app = ensure_app()
    settings = open_settings()
    theme.apply_theme(app, str(settings.value("view/theme", "light")))
    first = Splash(message)
    first.show()
    app.processEvents()  # paint it now: the imports below take a while
    try:
        main = prepare(settings)  # loads and validates the runbook and the config
    except BaseException:
        first.close()
        raise
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        try:
            runner.run(main(first))
        except KeyboardInterrupt:  # Ctrl+C: the runner cancelled the session; it closed in order
            print("Interrupted: the cockpit closed; all it recorded is saved.", file=sys.stderr)
            return 130
    return 0


def run_gui(db_path: Path, runbook_path: Path | None, config_path: Path) -> int:
    def prepare(settings: QSettings) -> Main:
        from stratus_commander.qt.session import CockpitApp, last_real_incident, probe_config
        from stratus_commander.runbook import load_runbook

        runbook = load_runbook(runbook_path)
        specs, note = probe_config(config_path)

        async def main(first: QWidget) -> None:
            cockpit = CockpitApp(db_path, runbook, specs=specs, probe_note=note, settings=settings)
            incident = last_real_incident(cockpit.incidents)
            if incident is not None:
                cockpit.window.set_incident(incident, restore=True)
            if specs:  # else nothing to start, and the probing machinery need not load
                cockpit.start_probes()
            await cockpit.run(shown=first.close)  # the splash goes when the cockpit is up

        return main

    return _start(f"Opening {db_path}…", prepare)


def run_drill(db_path: Path, runbook_path: Path | None, scenario: str, speed: float) -> int:
    def prepare(settings: QSettings) -> Main:
        from stratus_commander.drill import load_scenario
        from stratus_commander.qt.session import CockpitApp
        from stratus_commander.runbook import load_runbook

        runbook = load_runbook(runbook_path)
        drill = load_scenario(scenario)  # an unknown name is an InputError listing the bundled ones

        async def main(first: QWidget) -> None:
            cockpit = CockpitApp(db_path, runbook, drill_speed=speed, settings=settings)
            cockpit.start_drill_once_shown(drill, speed)
            await cockpit.run(shown=first.close)  # the splash goes when the cockpit is up

        return main

    return _start(f"Starting the drill {scenario}…", prepare)
