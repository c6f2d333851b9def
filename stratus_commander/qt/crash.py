"""An exception nobody handled: written to the log with its traceback, and explained on screen.

    crash = CrashReporter(window, db_path, incidents, log_path=logs.log_path())
    crash.install()      # sys.excepthook, threading.excepthook, the running loop's handler
    ...
    crash.uninstall()

A slot that raises (PySide6 hands the exception to ``sys.excepthook``; so does qasync for an
``asyncSlot``) or an event-loop callback that raises would otherwise print to a terminal the
commander may not have, and leave them wondering whether their last actions were kept. Every
timeline event is its own committed transaction, so the dialog can say exactly what is safe: the
last event recorded, where the database is, and where the details are. The cockpit keeps running;
one dialog at a time (later errors update it).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.comms import format_time
from stratus_commander.secrets import redact
from stratus_commander.timeline import Event

__all__ = ["CrashReporter", "saved_text"]

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def saved_text(
    incident: Incident | None, event: Event | None, db_path: Path | str, log_path: Path | None
) -> str:
    """What the commander can count on after an error: the last event on disk, and where."""
    if event is not None and incident is not None:
        what = event.kind.replace("_", " ")
        text = " ".join(event.text.split())
        if text:
            what += f" “{text[:60]}{'…' if len(text) > 60 else ''}”"
        at = format_time(event.at, seconds=True, date=False, utc=False)
        last = f"{incident.label}'s last event ({what}, {at})"
        head = f"Everything up to {last} is saved in {db_path}"
    else:
        head = f"Everything recorded is saved in {db_path}"
    where = f"details are in {log_path}" if log_path is not None else "details went to stderr"
    return f"{head}; {where}."


class CrashReporter(QObject):
    """Logs unhandled exceptions and says in a dialog what was saved."""

    #: the dialog's text, each time it is shown or updated
    reported = Signal(str)

    def __init__(
        self,
        window: QWidget,
        db_path: Path | str,
        incidents: Incidents,
        shown_incident: Callable[[], int | None],
        *,
        log_path: Path | None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.db_path = db_path
        self.incidents = incidents
        self.shown_incident = shown_incident
        self.log_path = log_path
        self.dialog: QMessageBox | None = None
        self.count = 0
        self._last: tuple[Incident, Event] | None = None  # the newest event heard this run
        self._unsubscribe: Callable[[], None] = lambda: None
        self._previous: tuple[Any, Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous_loop_handler: Any = None

    def install(self) -> None:
        """Catch from now on (from the running loop, if there is one: its handler too)."""
        self._unsubscribe = self.incidents.subscribe(self._heard)
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        else:
            self._previous_loop_handler = self._loop.get_exception_handler()
            self._loop.set_exception_handler(self._loop_handler)

    def uninstall(self) -> None:
        self._unsubscribe()
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None
        if self._loop is not None and not self._loop.is_closed():
            self._loop.set_exception_handler(self._previous_loop_handler)
        self._loop = None

    # --- what is saved ---------------------------------------------------------------------

    def _heard(self, incident: Incident, event: Event) -> None:
        self._last = (incident, event)

    def saved(self) -> str:
        incident, event = self._last if self._last is not None else (None, None)
        if event is None:  # nothing recorded in this run: the incident on screen, from the disk
            shown = self.shown_incident()
            try:
                if shown is not None:
                    incident = self.incidents.get(shown)
                    events = self.incidents.events(shown)
                    event = events[-1] if events else None
            except Exception:  # the database may be what failed: say less, not nothing
                log.exception("reading the last event for the error report failed")
                incident = event = None
        return saved_text(incident, event, self.db_path, self.log_path)

    # --- the hooks ---------------------------------------------------------------------------

    def report(self, exc_info: ExcInfo, where: str = "") -> None:
        """Log ``exc_info`` with its traceback and show (or update) the dialog."""
        log.critical("unhandled exception%s", f" ({where})" if where else "", exc_info=exc_info)
        try:
            self._show(exc_info[1])
        except Exception:  # a broken dialog must not hide the original error
            log.exception("showing the error dialog failed")

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        previous = self._previous[0] if self._previous else sys.__excepthook__
        if issubclass(kind, KeyboardInterrupt | SystemExit):  # asked for (a second Ctrl+C)
            previous(kind, exc, tb)
            return
        self.report((kind, exc, tb))
        self._chain(previous, kind, exc, tb)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
        log.critical("unhandled exception in thread %s", name, exc_info=exc_info)
        previous = self._previous[1] if self._previous else None
        if previous is not None and previous is not threading.__excepthook__:
            previous(args)
        loop = self._loop
        if loop is not None and not loop.is_closed():  # the dialog is made on the GUI thread
            loop.call_soon_threadsafe(self._show, args.exc_value)

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message", "event loop error"))
        if exc is None or isinstance(exc, asyncio.CancelledError):
            log.error("%s: %r", message, context)
            return
        self.report((type(exc), exc, exc.__traceback__), where=message)

    @staticmethod
    def _chain(previous: Any, *exc_info: Any) -> None:
        """Tell whoever hooked before us (a test harness, a debugger) too; not the interpreter's
        default, which would print the traceback the log's stderr handler has just printed."""
        if previous is not None and previous is not sys.__excepthook__:
            previous(*exc_info)

    # --- the dialog ----------------------------------------------------------------------------

    def _show(self, exc: BaseException) -> None:
        self.count += 1
        what = redact(f"{type(exc).__name__}: {exc}")
        more = f" (error {self.count} since this message opened)" if self.count > 1 else ""
        text = (
            f"Something went wrong: {what}{more}\n\n{self.saved()}\n\n"
            "The cockpit keeps running. If it misbehaves, quit (Ctrl+Q) and start it again: "
            "it reopens the incident with its clocks where they were."
        )
        if self.dialog is None:
            self.dialog = QMessageBox(
                QMessageBox.Icon.Critical,
                "Stratus Commander — unexpected error",
                text,
                QMessageBox.StandardButton.Ok,
                self.window,
            )
            self.dialog.setTextFormat(Qt.TextFormat.PlainText)
            # Wide enough that the two paths read whole (QMessageBox sizes to its text's words):
            # the style sheet's QMessageBox#crashDialog.
            self.dialog.setObjectName("crashDialog")
            self.dialog.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.dialog.finished.connect(self._closed)
        else:
            self.dialog.setText(text)
        self.dialog.open()  # not exec(): a nested event loop would stall everything else
        self.reported.emit(text)

    def _closed(self) -> None:
        self.count = 0
