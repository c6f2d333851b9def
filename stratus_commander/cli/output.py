"""What every command prints, and how it ends on a deliberate error.

Exit codes (DESIGN.md): 0 ok; 1 the thing checked is unhealthy; 2 bad input, usage or config.

Times are shown in the local zone with its offset (``2026-11-27 15:40:00+01:00``), or in UTC
with ``--utc``: either way a string ``--at`` reads back. JSON keeps UTC (``…Z``).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

from stratus_commander.errors import (
    AlreadyDone,
    InputError,
    RefusedForGaps,
    StoreDamaged,
    StratusError,
    TimeRefused,
)
from stratus_commander.text import for_terminal, json_for_terminal

if TYPE_CHECKING:
    from stratus_commander.timeline import Event

__all__ = [
    "UTC_KEY",
    "answer",
    "event_json",
    "fail",
    "fail_for",
    "incident_label",
    "run_domain",
    "say",
    "say_event",
    "say_json",
    "shown_clock",
    "shown_time",
    "shown_zone",
]

#: ``ctx.meta`` key the root command sets from ``--utc``.
UTC_KEY = "stratus_commander.utc"
#: The domain's name of a field → the flag (or argument) that gives it on the command line, so
#: a refusal names what the commander typed. Each name means one flag in every command.
_FLAGS = {
    "at": "--at",
    "detected at": "--detected-at",
    "title": "--title",
    "scope": "--services",
    "affected services": "--affected",
    "note": "TEXT",
    "status text": "--text",
    "text": "--text",
    "reason": "--note",
    "to": "--to",
    "how": "--how",
    "channel": "--channel",
    "owner": "--owner",
    "reputation": "--reputation",
    "financial impact": "--financial-impact",
    "affected users": "--affected-users",
    "action item": "--action",
    "category": "--action",
}


def fail(message: str, code: int = 2) -> NoReturn:
    # Messages quote what was given (a file name, a CSV cell): shown escaped, never obeyed.
    click.echo(f"Error: {for_terminal(message, multiline=True)}", err=True)
    sys.exit(code)


def fail_for(exc: StratusError) -> NoReturn:
    """A deliberate error as its message and exit code: 1 for a damaged database (the thing
    checked is unhealthy, whatever the command), else 2."""
    if isinstance(exc, RefusedForGaps):
        fail(f"{exc.headline}:\n" + "\n".join(f"  - {gap}" for gap in exc.missing))
    if isinstance(exc, TimeRefused):  # both times as the command line shows times
        fail(f"{_FLAGS.get(exc.where or '', exc.where)}: {exc.describe(shown_time)}")
    if isinstance(exc, InputError) and exc.where in _FLAGS:
        fail(f"{_FLAGS[exc.where]}: {exc.message}")
    fail(str(exc), 1 if isinstance(exc, StoreDamaged) else 2)


def say(text: str, *, multiline: bool = False, err: bool = False, nl: bool = True) -> None:
    """Echo text that holds stored or outside text: control and bidi characters escaped."""
    click.echo(for_terminal(text, multiline=multiline), err=err, nl=nl)


def say_json(data: Any) -> None:
    """Echo JSON with the same values, control and bidi characters as ``\\u`` escapes."""
    click.echo(json_for_terminal(json.dumps(data, indent=2, ensure_ascii=False)))


def answer(exc: AlreadyDone) -> NoReturn:
    """Someone did it first: the answer, and exit 0 (what was asked holds; nothing recorded)."""
    say(f"Already done: {exc.describe(shown_time)}", multiline=True)
    sys.exit(0)


def run_domain(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a domain function; its deliberate errors become a message (naming the flag the
    refused field came from) and exit code."""
    try:
        return fn(*args, **kwargs)
    except AlreadyDone as exc:
        answer(exc)
    except StratusError as exc:
        fail_for(exc)


def _shown_zone(dt: datetime) -> datetime:
    ctx = click.get_current_context(silent=True)
    return dt.astimezone(UTC) if ctx is not None and ctx.meta.get(UTC_KEY) else dt.astimezone()


def shown_time(dt: datetime) -> str:
    """``2026-11-27 15:40:00+01:00``: local time with its offset (``--utc``: UTC), to the
    second."""
    return _shown_zone(dt).isoformat(sep=" ", timespec="seconds")


def shown_clock(dt: datetime) -> str:
    """``15:40:00``, in the zone :func:`shown_zone` names: for a stream of lines under one
    header."""
    return f"{_shown_zone(dt):%H:%M:%S}"


def shown_zone() -> str:
    """``CET, UTC+01:00`` (``--utc``: ``UTC``): the zone of :func:`shown_clock` times."""
    now = _shown_zone(datetime.now(UTC))
    offset = now.strftime("%z")  # +0100
    name = now.tzname() or ""
    if offset in ("+0000", "") and name in ("UTC", ""):
        return "UTC"
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    return zone if not name or name[0] in "+-" or name == zone else f"{name}, {zone}"


def event_json(event: Event) -> dict[str, Any]:
    """The event as ``--json`` prints it: its incident, then the stored event."""
    return {
        "incident": incident_label(event.incident_id),
        "incident_id": event.incident_id,
        **event.as_json(),
    }


def say_event(event: Event, as_json: bool = False) -> None:
    """A recorded event: one line (``INC-1 #3  <time>  decision  alice: Triage decision: …``),
    or as JSON."""
    if as_json:
        say_json(event_json(event))
        return
    text = for_terminal(event.text, multiline=True).replace("\n", "\n" + " " * 6)
    # Queued for an unreachable team server: its number is the server's to give.
    number = "(queued)" if "outbox_id" in event.data else f"#{event.seq}"
    click.echo(
        f"{incident_label(event.incident_id)} {number}  {shown_time(event.at)}  "
        f"{for_terminal(event.kind)}  {for_terminal(event.actor)}: {text}"
    )


def incident_label(incident_id: int) -> str:
    """``INC-7``, or ``INC-L1`` for an incident declared while the team server was away."""
    if incident_id >= 0:
        return f"INC-{incident_id}"
    from stratus_commander.store.outbox import local_label

    return local_label(incident_id)
