"""``runbook check|learnings`` and ``config check``: the two data files the tool is built from.

A file that does not validate gets every problem, one per line (file: key.path: message), on
stderr and exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stratus_commander.cli.options import Options, open_session, pass_options
from stratus_commander.cli.output import say, say_json
from stratus_commander.cli.root import config, runbook

if TYPE_CHECKING:
    from stratus_commander.probes.config import Config

__all__ = ["checked_config"]


@runbook.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_options
def runbook_check(opts: Options, path: Path | None) -> None:
    """Validate a runbook TOML and print its summary.

    PATH defaults to --runbook, else the bundled StratusConnect runbook. A bad file gets one line
    per problem (file: key.path: message) on stderr and exit code 2.
    """
    from stratus_commander.errors import RunbookError
    from stratus_commander.runbook import load_runbook, summary

    try:
        loaded = load_runbook(path or opts.runbook)
    except RunbookError as exc:
        say(str(exc), multiline=True, err=True)
        sys.exit(2)
    say(summary(loaded), multiline=True)


@runbook.command("learnings")
@click.option("--step", help="Only this step and its sub-steps (e.g. triage.database).")
@click.option("--steps", "list_steps", is_flag=True, help="List the step ids lessons attach to.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@pass_options
def runbook_learnings(opts: Options, step: str | None, list_steps: bool, as_json: bool) -> None:
    """Lessons learned across incidents, by runbook step, to update the runbook with."""
    from stratus_commander.review.learnings import format_learnings, list_learnings, runbook_steps

    session = open_session(opts, readonly=True)
    rb = session.runbook
    if list_steps:  # from the runbook alone: the database is not opened
        for key, text in runbook_steps(rb).items():
            say(f"{key:<55} {text}")
        return
    items = list_learnings(session.store, step)
    if as_json:
        say_json([x.as_json() for x in items])
        return
    say(format_learnings(items, rb), multiline=True, nl=False)


def checked_config(path: Path) -> Config:
    """The validated probe config; every problem on stderr and exit 2 when it does not validate,
    its warnings on stderr when it does."""
    from stratus_commander.errors import ConfigError
    from stratus_commander.probes.config import load_config

    try:
        loaded = load_config(path)
    except ConfigError as exc:
        say(str(exc), multiline=True, err=True)
        sys.exit(2)
    for warning in loaded.warnings:
        say(f"warning: {warning}", err=True)
    return loaded


@config.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_options
def config_check(opts: Options, path: Path | None) -> None:
    """Validate a probe config TOML and list its probes.

    PATH defaults to --config, else the user config file. Problems are printed one per line
    (file: key.path: message) with exit code 2; warnings (a literal secret, an unset env:
    reference) do not fail the check.
    """
    loaded = checked_config(path or opts.config_path())
    say(f"{loaded.path}: {len(loaded.probes)} probe(s)")
    for spec in loaded.probes:
        say(
            f"  {spec.id:<24} {spec.kind:<18} {spec.check:<9} "
            f"every {spec.interval_s:g} s, timeout {spec.timeout_s:g} s"
        )
