"""Start the GUI: a QApplication driven by a qasync event loop."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.qt.welcome import WelcomeWindow
from stratus_commander.store import Store


def run_gui(db_path: Path, runbook_path: Path | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Stratus Commander")
    # Closing the last window must end our coroutine, not yank the loop from under it.
    app.setQuitOnLastWindowClosed(False)
    store = Store.open(db_path)
    incidents = Incidents(store, SystemClock())

    async def main() -> None:
        closed = asyncio.Event()
        window = WelcomeWindow(incidents.list())
        window.destroyed.connect(closed.set)
        app.lastWindowClosed.connect(closed.set)
        window.show()
        await closed.wait()

    try:
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            runner.run(main())
    finally:
        store.close()
    return 0
