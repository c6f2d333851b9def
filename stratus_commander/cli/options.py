"""The global options, the session a command opens from them, and the reading of the values
commands are given (ids, times, lists, KEY=VALUE pairs): each refusal names its flag (exit 2).

``--db`` (and ``STRATUS_COMMANDER_DB``) is a file path or a ``postgresql://`` URL: a URL is kept
as text (a path would fold its ``//``) and checked at once, so a password in it is refused
before anything connects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stratus_commander.cli.output import fail, run_domain

if TYPE_CHECKING:  # the session loads the store and the runbook: only for a command that uses it
    from stratus_commander.session import Session

__all__ = [
    "DbLocation",
    "Options",
    "open_session",
    "pairs",
    "parse_id",
    "pass_options",
    "split",
    "when",
]


class DbLocation(click.ParamType):
    """A database file (as ``click.Path(dir_okay=False)``) or a ``postgresql://`` URL, checked
    (no password in it) and kept as a string."""

    name = "PATH|URL"

    def __init__(self) -> None:
        self._file = click.Path(dir_okay=False, path_type=Path)

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        from stratus_commander.store.postgres.url import is_postgres_url, parse_url

        if isinstance(value, str) and is_postgres_url(value):
            from stratus_commander.errors import StoreError

            try:
                parse_url(value)
            except StoreError as exc:
                self.fail(exc.message, param, ctx)
            return value
        converted: Path = self._file.convert(value, param, ctx)  # type: ignore[arg-type]
        return converted


@dataclass
class Options:
    """Global options, resolved lazily so ``--help`` never touches the disk."""

    db: Path | str | None  # a file, or a postgresql:// URL
    config: Path | None
    runbook: Path | None
    as_name: str | None = None  # --as

    def person(self) -> str:
        """Who signs what this command records: ``--as``, the config's ``person``, the login."""
        from stratus_commander.actors import person

        return person(self.as_name, self.config_path())

    def db_path(self) -> Path | str:
        """The database's location: the file, or the ``postgresql://`` URL."""
        from stratus_commander.paths import default_db_path

        return self.db or default_db_path()

    def config_path(self) -> Path:
        from stratus_commander.paths import default_config_path

        return self.config or default_config_path()


pass_options = click.make_pass_decorator(Options)


def open_session(opts: Options, *, readonly: bool) -> Session:
    """This command's session, closed (and its store) when the command ends.

    ``readonly``: the command only reads, so nothing is written or created (a mistyped path is
    an error, not an empty history) and a read-only file works. Otherwise the file is created
    when missing, and refused when read-only or damaged. The store and the runbook open when
    first used; their errors reach the root group, which reports them (exit 2, damage 1).
    """
    from stratus_commander.session import Access, Session

    session = Session(
        opts.db_path(),
        access=Access.READ if readonly else Access.RECORD,
        runbook_path=opts.runbook,
        config_path=opts.config_path(),
        actor=opts.person(),
    )
    ctx = click.get_current_context()
    ctx.with_resource(session)
    if not readonly:  # a team database: what went to, or left, the outbox (before it closes)
        from stratus_commander.cli.queued import say_queued

        ctx.call_on_close(lambda: say_queued(session))
    return session


def parse_id(text: str) -> int:
    """``INC-7`` or ``7``; anything else is refused, naming what was given. ``INC-L1``: an
    incident declared while the team server was away, the server's number once it was sent."""
    from stratus_commander.incident import parse_incident_id

    incident_id = int(run_domain(parse_incident_id, text))
    opts = click.get_current_context().find_object(Options)
    if incident_id < 0 and opts is not None:
        from stratus_commander.store import is_postgres_url

        location = opts.db_path()
        if is_postgres_url(location):
            from stratus_commander.paths import outbox_path
            from stratus_commander.store.outbox import Outbox
            from stratus_commander.store.postgres.url import parse_url

            box = run_domain(Outbox, outbox_path(parse_url(str(location)).shown))
            try:
                incident_id = box.server_id(incident_id) or incident_id
            finally:
                box.close()
    return incident_id


def split(values: tuple[str, ...]) -> list[str]:
    """``--services API,Webhooks`` and ``--services API --services Webhooks`` both work."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def when(text: str | None, flag: str) -> datetime | None:
    """An ISO-8601 time with a zone, from 1970 to 8999: outside that it is a typo ("0026" for
    "2026"), and a clock or a review window computed from year 1 or 9999 leaves the calendar."""
    if text is None:
        return None
    from datetime import UTC

    from stratus_commander.clock import from_iso, to_iso

    try:
        moment = from_iso(text)
    except (ValueError, OverflowError) as exc:  # OverflowError: 9999-12-31T23:59-05:00 in UTC
        fail(f"{flag}: {text!r} is not an ISO-8601 time with a zone ({exc})")
    if not datetime(1970, 1, 1, tzinfo=UTC) <= moment < datetime(9000, 1, 1, tzinfo=UTC):
        fail(f"{flag}: {to_iso(moment)} is not between 1970 and 8999 (a typo in the year?)")
    return moment


def pairs(values: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` options as (key, value); the key is stripped, the value kept as given."""
    out = []
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            fail(f"{flag}: {value!r} is not KEY=VALUE")
        out.append((key.strip(), text))
    return out
