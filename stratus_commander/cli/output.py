"""What every command prints, and how it ends on a deliberate error.

Exit codes (DESIGN.md): 0 ok; 1 the thing checked is unhealthy; 2 bad input, usage or config.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from stratus_commander.errors import RefusedForGaps, StoreDamaged, StratusError
from stratus_commander.text import for_terminal, json_for_terminal

__all__ = ["fail", "fail_for", "run_domain", "say", "say_json"]


def fail(message: str, code: int = 2) -> NoReturn:
    # Messages quote what was given (a file name, a CSV cell): shown escaped, never obeyed.
    click.echo(f"Error: {for_terminal(message, multiline=True)}", err=True)
    sys.exit(code)


def fail_for(exc: StratusError) -> NoReturn:
    """A deliberate error as its message and exit code: 1 for a damaged database (the thing
    checked is unhealthy, whatever the command), else 2."""
    if isinstance(exc, RefusedForGaps):
        fail(f"{exc.headline}:\n" + "\n".join(f"  - {gap}" for gap in exc.missing))
    fail(str(exc), 1 if isinstance(exc, StoreDamaged) else 2)


def say(text: str, *, multiline: bool = False, err: bool = False, nl: bool = True) -> None:
    """Echo text that holds stored or outside text: control and bidi characters escaped."""
    click.echo(for_terminal(text, multiline=multiline), err=err, nl=nl)


def say_json(data: Any) -> None:
    """Echo JSON with the same values, control and bidi characters as ``\\u`` escapes."""
    click.echo(json_for_terminal(json.dumps(data, indent=2, ensure_ascii=False)))


def run_domain(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a domain function; its deliberate errors become a message and exit code."""
    try:
        return fn(*args, **kwargs)
    except StratusError as exc:
        fail_for(exc)
