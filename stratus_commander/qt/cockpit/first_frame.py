"""What follows a window's first frame: made after it is painted, one step per turn of the loop.

    AfterFirstFrame(window, first=announce, step=make_one_more)

Once ``window`` has painted its first frame (or has been shown unexposed, minimised say, for
:data:`FALLBACK_MS`), ``first()`` is called, then ``step()`` once per turn of the event loop
while it returns True: the user finds the rest ready without the first frame waiting for it,
and input is served between the steps. Nothing runs once the window is hidden or closed (its
session may be ending).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["FALLBACK_MS", "AfterFirstFrame"]

#: Shown but not painted (not exposed): the steps start this long after showing.
FALLBACK_MS = 1000


class AfterFirstFrame(QObject):
    def __init__(
        self, window: QWidget, *, first: Callable[[], None], step: Callable[[], bool]
    ) -> None:
        super().__init__(window)
        self.window = window
        self.first = first
        self.step = step
        self.started = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and not self.started:
            if event.type() == QEvent.Type.Paint:
                self.started = True
                QTimer.singleShot(0, self, self._first)
            elif event.type() == QEvent.Type.Show:
                QTimer.singleShot(FALLBACK_MS, self, self._unexposed)
        return False

    def _unexposed(self) -> None:
        if not self.started:
            self.started = True
            self._first()

    def _first(self) -> None:
        if self.window.isVisible():
            self.first()
            self._next()

    def _next(self) -> None:
        if self.window.isVisible() and self.step():
            QTimer.singleShot(0, self, self._next)
