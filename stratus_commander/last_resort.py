"""The command line's last resort: an exception nobody expected becomes one line, and its
traceback goes to the log file.

A traceback tells a commander in the middle of an outage nothing they can act on, fills the
screen they are reading, and gets pasted into chat with whatever it holds. The log file keeps it
(redacted, like everything logged) for whoever fixes the bug; the terminal gets::

    internal error: OverflowError: ... (details in ~/.local/state/stratus-commander/log/...)

and exit code 1. Deliberate errors (:class:`~stratus_commander.errors.StratusError`, click's
usage errors, ``sys.exit``) and Ctrl-C never come here.
"""

from __future__ import annotations

import logging

from stratus_commander import logs
from stratus_commander.secrets import redact
from stratus_commander.text import for_terminal

__all__ = ["internal_error"]

log = logging.getLogger(__name__)

#: The exception's own text is cut to this many characters on the terminal (the log has it all).
SHOWN_CHARS = 300


def internal_error(exc: BaseException) -> str:
    """Log ``exc`` and its traceback to the log file only; return the line to show."""
    record = log.makeRecord(
        log.name,
        logging.ERROR,
        __file__,
        0,
        "internal error (the traceback names the command)",
        (),
        (type(exc), exc, exc.__traceback__),
    )
    # Not through the logger: its stderr handler would print the traceback this module is here
    # to keep off the terminal.
    written = False
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler) and record.levelno >= handler.level:
            handler.handle(record)
            written = True
    path = logs.log_path()
    where = f"details in {path}" if written and path else "no log file could be written"
    text = str(exc) or "(no message)"
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "…"
    line = f"internal error: {type(exc).__name__}: {text} ({where})"
    return for_terminal(redact(line))
