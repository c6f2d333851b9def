"""Coroutines started from the UI thread on the running (qasync) loop, held until they end.

The loop keeps only a weak reference to a task, so a task nobody holds may vanish mid-run.
:class:`Tasks` holds each one until it ends, hands an error it did not handle to
``sys.excepthook`` (the crash dialog, qt/crash.py) and cancels what still runs when its owner
closes. The cockpit and :class:`~stratus_commander.qt.offthread.OffThread` each keep one.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

__all__ = ["Tasks"]

log = logging.getLogger(__name__)


class Tasks:
    """The tasks one owner started and that have not ended yet."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Run ``coro`` on the running loop, held until it ends (no loop running: not at all)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the GUI always runs on qasync; a bare script or test may not
            log.warning("no event loop running: %r not started", coro)
            coro.close()
            return None
        task = loop.create_task(coro)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            sys.excepthook(type(error), error, error.__traceback__)

    def pending(self) -> set[asyncio.Task[Any]]:
        """The tasks not ended yet (a copy)."""
        return set(self._running)

    def cancel(self) -> None:
        """Cancel every task not ended yet."""
        for task in list(self._running):
            task.cancel()
