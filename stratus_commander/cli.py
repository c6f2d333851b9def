"""The command line: a thin click layer over the same domain functions the GUI calls.

Exit codes (DESIGN.md): 0 ok; 1 the thing checked is unhealthy; 2 bad input, usage or config.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from stratus_commander.errors import InputError, NotFound, StratusError


@dataclass
class Options:
    """Global options, resolved lazily so ``--help`` never touches the disk."""

    db: Path | None
    config: Path | None
    runbook: Path | None

    def db_path(self) -> Path:
        from stratus_commander.paths import default_db_path

        return self.db or default_db_path()

    def config_path(self) -> Path:
        from stratus_commander.paths import default_config_path

        return self.config or default_config_path()


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def run_domain(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a domain function; its deliberate errors become a message and exit code 2."""
    try:
        return fn(*args, **kwargs)
    except (InputError, NotFound, StratusError) as exc:
        fail(str(exc))


pass_options = click.make_pass_decorator(Options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="STRATUS_COMMANDER_DB",
    help="SQLite file of incidents [env STRATUS_COMMANDER_DB; default: user data dir].",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="STRATUS_COMMANDER_CONFIG",
    help="Probe config TOML [env STRATUS_COMMANDER_CONFIG; default: user config dir].",
)
@click.option(
    "--runbook",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Runbook TOML [default: the bundled StratusConnect runbook].",
)
@click.version_option(package_name="stratus-commander")
@click.pass_context
def main(ctx: click.Context, db: Path | None, config: Path | None, runbook: Path | None) -> None:
    """Stratus Commander: the incident commander's cockpit.

    With no command, opens the cockpit (GUI) on the last open incident.
    """
    ctx.obj = Options(db=db, config=config, runbook=runbook)


@main.group()
def incidents() -> None:
    """Declare, update, inspect, export and verify incidents."""


@main.group()
def runbook() -> None:
    """Check the runbook and list what incidents taught it."""


@main.group()
def config() -> None:
    """Check the probe configuration."""


# Commands are registered in their own sections below (incidents, runbook, probes, drill, GUI).
