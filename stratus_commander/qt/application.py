"""The process's one QApplication.

Apart from :mod:`stratus_commander.qt.app` (start-up: the splash, the event loop) so that what
needs a QApplication (the cockpit's session, the HTML export's graphs) does not import start-up.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from stratus_commander.resources import resource_path

__all__ = ["DESKTOP_FILE_NAME", "app_icon", "collect_on_ui_thread", "ensure_app"]

DESKTOP_FILE_NAME = "stratus-commander"

#: How often the UI thread runs the collector the interpreter no longer runs by itself.
GC_INTERVAL_MS = 500
#: When it first runs: start-up builds a large heap that lives as long as the process (modules,
#: the cockpit's widgets), and walking it (tens of ms) would only delay the first frame.
GC_FIRST_MS = 3000

_app: QApplication | None = None  # made here: held for the process (its last reference deletes it)


def ensure_app(*, offscreen: bool = False) -> QApplication:
    """The process's one QApplication, made here if there is none yet.

    For the cockpit (the default) it is set up to outlive its windows, with 11 pt text at least.
    ``offscreen`` is for drawing without a window (the command line's HTML export): a new one
    goes on the offscreen platform, whatever ``QT_QPA_PLATFORM`` says (with no display any
    other platform plugin aborts the process), and it keeps Qt's defaults, as does an existing
    one (the cockpit's own, when the review desk exports).
    """
    global _app
    app = QCoreApplication.instance()
    if app is None:
        argv = ["stratus-commander", "-platform", "offscreen"] if offscreen else sys.argv
        app = _app = QApplication(argv)
    elif not isinstance(app, QApplication):
        raise RuntimeError("widgets need a QApplication, not a QCoreApplication")
    if offscreen:
        return app
    collect_on_ui_thread(app)
    app.setApplicationName("Stratus Commander")
    # Wayland's app id and the task bar's icon: resources/desktop/stratus-commander.desktop
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    # Closing the last window must end our coroutine, not yank the loop from under it.
    app.setQuitOnLastWindowClosed(False)
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 11.0))
    app.setFont(font)
    return app


class _Collector(QObject):
    """The cyclic garbage collector, run from the UI thread's event loop only.

    Left to itself, Python collects in whichever thread allocates past the threshold: a worker
    thread reading the store (qt/offthread.py) would then destroy a cycle holding a widget, a
    timer or a pyqtgraph item on the wrong thread ("Timers cannot be started from another thread",
    and now and then a segfault). qutebrowser does the same for the same reason.
    """

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        QTimer.singleShot(GC_FIRST_MS, self, lambda: self.timer.start(GC_INTERVAL_MS))

    def collect(self) -> None:
        # The generations the interpreter would have collected by now, youngest first.
        for generation, count in enumerate(gc.get_count()):
            if count <= self.threshold[generation]:
                break
            gc.collect(generation)


def collect_on_ui_thread(app: QCoreApplication) -> None:
    """From now on collect garbage on ``app``'s thread only (once per application)."""
    if app.findChild(_Collector) is None:
        _Collector(app)


def app_icon() -> QIcon:
    """The application's icon (the splash, the windows, the tray)."""
    return QIcon(str(resource_path("icons", "stratus-commander.svg")))
