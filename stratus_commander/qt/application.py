"""The process's one QApplication.

Apart from :mod:`stratus_commander.qt.app` (start-up: the splash, the event loop) so that what
needs a QApplication (the cockpit's session, the HTML export's graphs) does not import start-up.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

__all__ = ["ensure_app"]

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
    app.setApplicationName("Stratus Commander")
    # Closing the last window must end our coroutine, not yank the loop from under it.
    app.setQuitOnLastWindowClosed(False)
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 11.0))
    app.setFont(font)
    return app
