"""Where the log goes: a rotating file in the user log dir, and warnings on stderr.

    path = setup_logging(verbose=False)   # once, by the CLI's group (the GUI starts through it)
    ...
    teardown_logging()                    # when the command ends (tests call it between runs)

A cockpit started from a desktop launcher has no terminal: without a file, a crash would leave
nothing behind. The file is ``platformdirs.user_log_dir("stratus-commander")/stratus-commander.log``
(``~/.local/state/stratus-commander/log/`` on Linux), rotated at :data:`MAX_BYTES` with
:data:`BACKUPS` old files kept. It holds INFO and up (DEBUG with ``--verbose``); stderr shows
warnings and up (everything logged with ``--verbose``).

Every handler redacts: :class:`~stratus_commander.secrets.RedactingFilter` cleans each message,
and the formatter redacts the whole formatted record as well, because a filter sees only the
message, not the traceback appended to it (an exception's text can carry a key).

The probe worker's process forwards its records to the cockpit's (see ``probes/worker.py``):
one process writes the file, so rotation never races.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import time
from pathlib import Path

import platformdirs

from stratus_commander.paths import APP
from stratus_commander.secrets import RedactingFilter, redact
from stratus_commander.text import for_terminal

__all__ = [
    "BACKUPS",
    "LOG_NAME",
    "MAX_BYTES",
    "default_log_dir",
    "log_path",
    "quiet_noisy_loggers",
    "setup_logging",
    "teardown_logging",
]

LOG_NAME = "stratus-commander.log"
MAX_BYTES = 2_000_000
BACKUPS = 4
#: Libraries that log every request at INFO/DEBUG: hundreds of lines a second while probing.
NOISY = ("httpx", "httpcore", "stripe", "hpack")

_FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
_STDERR_FORMAT = "%(levelname)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """UTC times with milliseconds (as everything we store), and the whole record redacted."""

    converter = time.gmtime  # type: ignore[assignment]  # typeshed: (float | None) -> ...
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _TerminalFormatter(RedactingFormatter):
    """Redacted, and every control or bidi character escaped: a message quotes what it was given
    (a host name, a file name, a server's answer) and a terminal must show it, never obey it."""

    def format(self, record: logging.LogRecord) -> str:
        return for_terminal(super().format(record), multiline=True)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


_installed: list[logging.Handler] = []
_saved_levels: dict[str, int] = {}
_path: Path | None = None


def default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP))


def log_path() -> Path | None:
    """The log file in use (``None``: logging was not set up, or the file could not be opened)."""
    return _path


def quiet_noisy_loggers(verbose: bool) -> None:
    """Per-request chatter from HTTP libraries only with ``--verbose``."""
    for name in NOISY:
        logger = logging.getLogger(name)
        _saved_levels.setdefault(name, logger.level)
        logger.setLevel(logging.NOTSET if verbose else logging.WARNING)


def setup_logging(
    *, verbose: bool = False, directory: Path | None = None, stderr: bool = True
) -> Path | None:
    """Log to the rotating file (and stderr); returns the file, or ``None`` if it cannot be
    opened (then stderr only, with a warning: a read-only home must not stop the tool).

    Calling it again replaces what the previous call installed.
    """
    global _path
    teardown_logging()
    level = logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger()
    _saved_levels.setdefault("", root.level)
    root.setLevel(level)
    quiet_noisy_loggers(verbose)
    formatter = RedactingFormatter(_FILE_FORMAT)
    problem = None
    path = (directory or default_log_dir()) / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        problem = f"cannot write the log file {path}: {exc}"
    else:
        file.setLevel(level)
        file.setFormatter(formatter)
        _install(file)
        _path = path
    if stderr:
        err = _Stderr(sys.stderr)
        err.setLevel(logging.DEBUG if verbose else logging.WARNING)
        err.setFormatter(_TerminalFormatter(_STDERR_FORMAT))
        _install(err)
    if problem is not None:
        logging.getLogger(__name__).warning("%s", problem)
    return _path


def teardown_logging() -> None:
    """Remove and close what :func:`setup_logging` installed; levels as they were."""
    global _path
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    for name, level in _saved_levels.items():
        logging.getLogger(name or None).setLevel(level)
    _saved_levels.clear()
    _path = None


def _install(handler: logging.Handler) -> None:
    handler.addFilter(RedactingFilter())
    logging.getLogger().addHandler(handler)
    _installed.append(handler)
