"""Start the GUI: a splash at once, then the cockpit on a qasync event loop.

    run_gui(db_path, runbook_path, config_path)     # stratus-commander
    run_drill(db_path, runbook_path, scenario, 1.0)  # stratus-commander drill [SCENARIO]

This module imports only Qt and the palette, so a window is on screen a moment after the process
starts; the cockpit's heavier parts (database, runbook models, plots, probes) load behind the
splash. ``run_gui`` opens the cockpit on the last open (non-drill) incident, else on the welcome
page, and probes what the config lists (no config file: no probes, said on the welcome page; an
invalid runbook or config closes the splash and is reported, exit 2, before anything is opened).
``run_drill`` starts the loopback simulator and probes it; nothing is declared for the commander.
What the cockpit's first frame does not show waits until it is painted: the runbook's message
templates are parsed then, and a bundled drill's scenario is loaded then; a problem found then
closes the cockpit in order and is reported the same way, exit 2.
Both end when the window closes: the probes stop, buffered samples are written, the client and
the simulator close, then the database. Ctrl+C (SIGINT), SIGTERM (a logout, ``kill``, a
service manager) and SIGHUP (its terminal closed) close the cockpit the same way, exiting 130,
143 and 129; a second SIGTERM or SIGHUP ends the process at once. With no display to open a
window on, both refuse (exit 2) before Qt is started, pointing to the command line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import qasync
import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from stratus_commander.errors import InputError
from stratus_commander.paths import APP
from stratus_commander.qt import theme
from stratus_commander.qt.application import app_icon, ensure_app
from stratus_commander.qt.display import unreachable_display

if TYPE_CHECKING:
    from stratus_commander.runbook import Runbook

__all__ = ["display_problem", "open_settings", "run_drill", "run_gui"]

log = logging.getLogger(__name__)

#: Platforms where Qt needs an X11 or Wayland display (macOS and Windows always have one).
_NEEDS_DISPLAY = ("linux", "freebsd", "openbsd", "netbsd", "dragonfly", "sunos")


def open_settings() -> QSettings:
    """Window layout and palette, in an INI file under the user config dir (tests: under tmp)."""
    path = Path(platformdirs.user_config_dir(APP)) / "cockpit.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def display_problem(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> str | None:
    """Why a window cannot open here, or ``None``.

    Without a display, or with one that does not answer (``qt/display.py``), Qt aborts the
    process (exit 134, "Reinstalling the application may fix this"); the commander on a server
    or over ssh should hear what to do instead. A platform
    chosen explicitly (``QT_QPA_PLATFORM``, e.g. offscreen) is left to Qt.
    """
    if not platform.startswith(_NEEDS_DISPLAY):
        return None
    if environ.get("QT_QPA_PLATFORM"):
        return None
    if any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")):
        return unreachable_display(environ)
    return (
        "no display found (DISPLAY and WAYLAND_DISPLAY are not set), so the cockpit cannot "
        "open; everything also works from the command line: `stratus-commander --help`, "
        "`stratus-commander incidents list|show|note|...`"
    )


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
        app_icon().paint(painter, 24, 40, 96, 96)
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


#: ``main(splash, stop)``: runs the cockpit until it is closed or ``stop`` is set.
Main = Callable[[QWidget, asyncio.Event], Coroutine[Any, Any, None]]


class _Sigterm:
    """While installed, SIGTERM (a logout, ``kill``, a service manager) or SIGHUP (the terminal
    the cockpit was started from closed) sets ``stop``: the cockpit closes in order, as on
    Ctrl+C. ``received``: which of them came."""

    SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.received: signal.Signals | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[signal.Signals, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():  # else Python refuses
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: object) -> None:
        # Little here: it interrupts whatever Python code was running (logging included).
        self.received = signal.Signals(signum)
        # A second one (a closing that hangs) ends the process the default way.
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        if self.loop is not None:  # else the cockpit sees ``stop`` set as soon as it runs
            self.loop.call_soon_threadsafe(self.set_stop)

    def set_stop(self) -> None:
        name = self.received.name if self.received is not None else "SIGTERM"
        log.warning("%s: closing the cockpit in order", name)
        self.stop.set()


def _start(message: str, prepare: Callable[[QSettings], Main]) -> int:
    problem = display_problem()
    if problem is not None:
        raise InputError(problem)
    app = ensure_app()
    settings = open_settings()
    theme.apply_theme(app, theme.resolve(str(settings.value("view/theme", theme.SYSTEM)), app))
    first = Splash(message)
    first.show()
    app.processEvents()  # paint it now: the imports below take a while
    sigterm = _Sigterm()
    sigterm.install()
    try:
        main = prepare(settings)  # loads and validates the runbook and the config
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            sigterm.loop = runner.get_loop()
            if sigterm.received is not None:
                sigterm.set_stop()
            try:
                runner.run(main(first, sigterm.stop))
            except KeyboardInterrupt:  # Ctrl+C: the runner cancelled the session, closed in order
                print("Interrupted: the cockpit closed; all it recorded is saved.", file=sys.stderr)
                return 130
    finally:
        sigterm.uninstall()
        # Deleted now, not whenever the collector reaches it: an error's traceback holds it in
        # a reference cycle, and a top-level widget deleted by a collection that happens to run
        # inside Qt (while it re-polishes every widget for a new style sheet) crashes the process.
        first.close()
        shiboken6.delete(first)
    if sigterm.received is not None:
        print("Terminated: the cockpit closed; all it recorded is saved.", file=sys.stderr)
        return 128 + sigterm.received
    return 0


def _runbook(path: Path | None) -> Runbook:
    """The runbook, loaded now (invalid: exit 2 before any window opens) but for its message
    templates, which the first frame does not show: :func:`check_templates` parses them once it
    is up (``CockpitApp.check_once_shown``) and refuses the run, in the same words, if one fails.
    A file this code validated before is read back from the cache (runbook/cache.py)."""
    from stratus_commander.runbook.cache import cached_runbook

    return cached_runbook(path)  # validated before, by this code: read back


def run_gui(
    db_path: Path, runbook_path: Path | None, config_path: Path, person: str | None = None
) -> int:
    def prepare(settings: QSettings) -> Main:
        # The cockpit's modules load here, behind the splash (start-up time).
        from stratus_commander.qt.session import CockpitApp
        from stratus_commander.runbook import check_templates
        from stratus_commander.session import Session

        session = Session(
            db_path,
            runbook=_runbook(runbook_path),
            config_path=config_path,
            actor=person,
        )
        note = session.probe_note()  # the config: an invalid one exits 2 before any window opens

        async def main(first: QWidget, stop: asyncio.Event) -> None:
            cockpit = CockpitApp(session, probe_note=note, settings=settings)
            cockpit.check_once_shown(lambda: check_templates(session.runbook, runbook_path))
            incident = session.last_real_incident()
            if incident is not None:
                cockpit.window.set_incident(incident, restore=True)
            cockpit.start_probes_unless_team()  # none without a config: probing need not load
            await cockpit.run(stop, shown=first.close)  # the splash goes when the cockpit is up

        return main

    return _start(f"Opening {db_path}…", prepare)


def run_drill(
    db_path: Path,
    runbook_path: Path | None,
    scenario: str,
    speed: float,
    person: str | None = None,
) -> int:
    def prepare(settings: QSettings) -> Main:
        from stratus_commander.qt.session import CockpitApp
        from stratus_commander.runbook import check_templates
        from stratus_commander.session import Session, drill_heading

        session = Session(db_path, runbook=_runbook(runbook_path), actor=person)
        # A bundled drill: its title now (an unknown name is an InputError listing the bundled
        # ones), its scenario after the first frame. A file of the commander's: loaded now.
        drill, title = drill_heading(scenario)

        async def main(first: QWidget, stop: asyncio.Event) -> None:
            cockpit = CockpitApp(session, drill_speed=speed, settings=settings)
            cockpit.check_once_shown(lambda: check_templates(session.runbook, runbook_path))
            cockpit.start_drill_once_shown(drill, title, speed)
            await cockpit.run(stop, shown=first.close)  # the splash goes when the cockpit is up

        return main

    return _start(f"Starting the drill {scenario}…", prepare)
