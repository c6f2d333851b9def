"""The one exception tree of Stratus Commander.

    StratusError                 base of everything we raise on purpose
    ├── InputError               bad input from the user: file, field, flag (CLI exit 2)
    │   ├── TimeRefused          a time the timeline cannot hold: in the future, before the
    │   │                        incident's detection, before the milestone it depends on
    │   ├── RunbookError         runbook file invalid
    │   ├── ConfigError          user config invalid
    │   └── StoreError           database unusable (not SQLite, truncated, newer schema, server
    │       │                    unreachable, missing when a command only reads)
    │       ├── StoreUnreachable the team server cannot be reached (now): refused, timed out,
    │       │                    connection lost; the cockpit's actions wait in the outbox
    │       └── StoreReadOnly    a command that records was given a file it may not write
    ├── NotFound                 an incident (or other record) id that does not exist (CLI exit 2)
    ├── DomainRefused            a valid request the domain refuses (close with empty RCA) (exit 2)
    │   ├── RefusedForGaps       ... until each listed gap is filled (one per line in the CLI)
    │   └── AlreadyDone          someone else did it first ("already ticked by the scribe
    │                            (bob) at 14:41"): an answer, not a failure (CLI exit 0)
    └── StoreDamaged             the database is damaged: SQLite (or the PostgreSQL server) reports
                                 corrupt pages, or text no longer decodes (CLI exit 1: the thing
                                 checked is unhealthy)

Errors that name a place carry it in ``where`` ("runbook.toml: clocks[1].due_after") so the CLI
and the GUI show the same text.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from datetime import datetime

from stratus_commander.clock import to_iso


class StratusError(Exception):
    """Base class of every deliberate error."""


class InputError(StratusError):
    """Bad input; ``where`` names the file and key path or flag."""

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class TimeRefused(InputError):
    """A time refused by one of the rules of ``incident/times.py``: ``what`` at ``at`` breaks
    ``rule`` against ``bound`` (``the resolution at … is before the declaration at …``). The two
    times are kept so a caller can :meth:`describe` them in its own zone; ``str()`` says them in
    UTC. ``where`` names the field ("at", "detected at")."""

    def __init__(
        self, what: str, at: datetime, rule: str, bound: datetime, where: str = "at"
    ) -> None:
        self.what, self.at, self.rule, self.bound = what, at, rule, bound
        super().__init__(self.describe(to_iso), where=where)

    def describe(self, show: Callable[[datetime], str]) -> str:
        """The refusal with both times written by ``show``."""
        return f"{self.what} at {show(self.at)} {self.rule} {show(self.bound)}"


class RunbookError(InputError):
    """The runbook file does not validate."""


class ConfigError(InputError):
    """The user config file does not validate."""


class StoreError(InputError):
    """The database file cannot be used; it has not been modified."""


class StoreUnreachable(StoreError):
    """The team database's server cannot be reached now (refused, timed out, connection lost):
    nothing was written there; trying again later may work."""


class StoreReadOnly(StoreError):
    """The file (or its folder) is not writable, and the command would record to it."""


class StoreDamaged(StratusError):
    """Reading the database failed because its bytes are damaged; ``where`` is the file.

    Not bad input (the command may be fine) but an unhealthy file: the message says to keep a
    copy before anything else and how SQLite may recover what is readable.
    """

    def __init__(self, detail: str, where: str) -> None:
        self.where = where
        self.detail = detail
        if "://" in where:  # a server's database: its administrator has the tools
            advice = (
                "ask its administrator to check the server (amcheck) before anything else, and "
                "to restore it from a backup if need be"
            )
        else:
            advice = (
                "make a copy of it (with any -wal file beside it) before anything else; "
                f"`sqlite3 {shlex.quote(where)} .recover | sqlite3 recovered.db` may save what "
                "is readable"
            )
        super().__init__(f"{where}: the database is damaged ({detail}); {advice}")


class NotFound(StratusError):
    """No record with that id."""


class DomainRefused(StratusError):
    """A well-formed request that the domain rules refuse, with the reason."""


class AlreadyDone(DomainRefused):
    """What was asked already holds: ``what`` was done by ``by`` at ``at`` (the event that did
    it is ``event``). Two responders acting at once get this, not a duplicate: the check is made
    inside the append's serialised section. Callers show it as an answer (the CLI exits 0)."""

    def __init__(self, what: str, by: str, at: datetime, event: object = None) -> None:
        self.what, self.by, self.at, self.event = what, by, at, event
        super().__init__(self.describe(to_iso))

    def describe(self, show: Callable[[datetime], str]) -> str:
        """The answer with its time written by ``show``."""
        return f"{self.what} by {self.by} at {show(self.at)}"


class RefusedForGaps(DomainRefused):
    """Refused until every gap in ``missing`` is filled: forms highlight them, the CLI lists
    them one per line."""

    def __init__(self, headline: str, missing: Sequence[str]) -> None:
        super().__init__(f"{headline}: " + "; ".join(missing))
        self.headline = headline
        self.missing = list(missing)
