"""The root command: the global options, the command groups, and the last-resort guard that
turns whatever a command did not handle into a message and an exit code, never a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from stratus_commander.cli.options import DbLocation, Options
from stratus_commander.cli.output import UTC_KEY, fail_for, run_domain
from stratus_commander.errors import StratusError

__all__ = ["config", "incidents", "main", "runbook"]


class _Main(click.Group):
    """The root group. A deliberate error raised outside :func:`run_domain` (damage met halfway
    through showing a timeline, a store or runbook opened by the session) still ends as its
    message and exit code; whatever a command did not expect ends as one line and exit 1, its
    traceback in the log (``last_resort.py``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StratusError as exc:
            fail_for(exc)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click's own ends (usage errors, exit codes) and `| head` stay click's
        except Exception as exc:
            from stratus_commander.last_resort import internal_error

            click.echo(internal_error(exc), err=True)
            sys.exit(1)


@click.group(
    cls=_Main,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
@click.option(
    "--db",
    type=DbLocation(),
    envvar="STRATUS_COMMANDER_DB",
    help="SQLite file of incidents, or a team database postgresql://USER@HOST:PORT/DB "
    "[env STRATUS_COMMANDER_DB; default: user data dir].",
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
@click.option(
    "--as",
    "as_name",
    metavar="NAME",
    help="Act as NAME: who signs what you record [default: the config's person, else your login].",
)
@click.option(
    "--verbose", is_flag=True, help="Log DEBUG to the log file and stderr (default: INFO/warnings)."
)
@click.option(
    "--no-color", is_flag=True, help="No colours in the output (also when NO_COLOR is set)."
)
@click.option(
    "--utc", is_flag=True, help="Show times in UTC (default: the local zone, with its offset)."
)
@click.version_option(package_name="stratus-commander")
@click.pass_context
def main(
    ctx: click.Context,
    db: Path | str | None,
    config: Path | None,
    runbook: Path | None,
    as_name: str | None,
    verbose: bool,
    no_color: bool,
    utc: bool,
) -> None:
    """Stratus Commander: the incident commander's cockpit.

    With no command, opens the cockpit (GUI) on the last open incident. The log is in the user
    log dir (~/.local/state/stratus-commander/log/stratus-commander.log on Linux).

    Shell completion (commands, options, incident ids from the database, check ids from the
    runbook):

    \b
      bash, in ~/.bashrc:  eval "$(_STRATUS_COMMANDER_COMPLETE=bash_source stratus-commander)"
      zsh, in ~/.zshrc:    eval "$(_STRATUS_COMMANDER_COMPLETE=zsh_source stratus-commander)"
      fish:                _STRATUS_COMMANDER_COMPLETE=fish_source stratus-commander \\
                             > ~/.config/fish/completions/stratus-commander.fish
    """
    from stratus_commander.logs import setup_logging, teardown_logging

    setup_logging(verbose=verbose)
    ctx.call_on_close(teardown_logging)
    if no_color or os.environ.get("NO_COLOR"):  # any non-empty value (https://no-color.org)
        ctx.color = False  # every command's context inherits it; click.echo then strips styles
    ctx.meta[UTC_KEY] = utc
    if as_name is not None and (not as_name.strip() or "\n" in as_name or len(as_name) > 64):
        raise click.BadParameter("a name on one line, at most 64 characters", param_hint="--as")
    ctx.obj = Options(db=db, config=config, runbook=runbook, as_name=as_name)
    if ctx.invoked_subcommand is None:
        from stratus_commander.qt.app import run_gui

        opts = ctx.obj
        sys.exit(run_domain(run_gui, opts.db_path(), runbook, opts.config_path(), opts.person()))


@main.group()
def incidents() -> None:
    """Declare, update, inspect, export and verify incidents."""


@main.group()
def runbook() -> None:
    """Check the runbook and list what incidents taught it."""


@main.group()
def config() -> None:
    """Check the probe configuration, or write a sample one to start from."""
