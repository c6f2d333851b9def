"""``runbook check|learnings`` and ``config check|init``: the two data files the tool is built
from.

A file that does not validate gets every problem, one per line (file: key.path: message), on
stderr and exit code 2 (with ``--json``, as ``problems`` on stdout too).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from stratus_commander.cli.options import Options, open_session, pass_options
from stratus_commander.cli.output import fail, run_domain, say, say_json
from stratus_commander.cli.root import config, runbook

if TYPE_CHECKING:
    from stratus_commander.errors import InputError
    from stratus_commander.probes.config import Config
    from stratus_commander.runbook import Runbook

__all__ = ["checked_config"]


def _invalid(exc: InputError, path: Path | None, as_json: bool) -> NoReturn:
    """Every problem of a file that does not validate, one a line on stderr; exit 2."""
    problems = getattr(exc, "problems", None) or [exc]
    if as_json:
        shown = str(path) if path else None
        say_json({"path": shown, "valid": False, "problems": [str(p) for p in problems]})
    say(str(exc), multiline=True, err=True)
    sys.exit(2)


def runbook_json(rb: Runbook, path: Path | None) -> dict[str, Any]:
    """What ``runbook check --json`` prints: what commands and scripts refer to by id."""
    from stratus_commander.incident.checklists import runbook_checks
    from stratus_commander.timefmt import duration_notation

    return {
        "path": str(path) if path else None,
        "valid": True,
        "name": rb.name,
        "phases": [{"id": p.id, "title": p.title, "clock": p.clock} for p in rb.phases],
        "clocks": [
            {
                "id": c.id,
                "label": c.label,
                "anchor": c.anchor,
                "due_after": {i: duration_notation(c.due_after_for(i)) for i in _IMPACTS},
            }
            for c in rb.clocks
        ],
        "checks": [
            {"id": c.id, "checklist": c.checklist, "text": c.item.text}
            for c in runbook_checks(rb).values()
        ],
        "decisions": [
            {"id": d.id, "label": d.label, "routes_to": d.routes_to} for d in rb.triage.decisions
        ],
        "escalation": [
            {"impact": e.impact, "response": duration_notation(e.response), "who": e.who}
            for e in rb.escalation
        ],
        "templates": list(rb.comms.templates),
    }


_IMPACTS = ("Minor", "Major", "Critical")


@runbook.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print its phases, clocks and check ids as JSON."
)
@pass_options
def runbook_check(opts: Options, path: Path | None, as_json: bool) -> None:
    """Validate a runbook TOML and print its summary.

    PATH defaults to --runbook, else the bundled StratusConnect runbook. A bad file gets one line
    per problem (file: key.path: message) on stderr and exit code 2. The check ids in --json are
    what `incidents tick` takes. The bundled drill scenarios are checked too (`drill check PATH`
    checks your own).
    """
    from stratus_commander.drill.checking import check_bundled_scenarios
    from stratus_commander.errors import RunbookError
    from stratus_commander.runbook import load_runbook, summary

    path = path or opts.runbook
    try:
        loaded = load_runbook(path)
    except RunbookError as exc:
        _invalid(exc, path, as_json)
    scenarios = check_bundled_scenarios()
    bad = [r for r in scenarios if not r.ok]
    if as_json:
        say_json({**runbook_json(loaded, path), "scenarios": [r.as_json() for r in scenarios]})
    else:
        say(summary(loaded), multiline=True)
        say(f"Drill scenarios: {len(scenarios) - len(bad)} of {len(scenarios)} bundled valid")
    for report in bad:
        say(f"Error: {report.problem}", err=True)
    if bad:
        sys.exit(2)


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


def checked_config(path: Path, as_json: bool = False) -> Config:
    """The validated probe config; every problem on stderr and exit 2 when it does not validate,
    its warnings on stderr when it does."""
    from stratus_commander.errors import ConfigError
    from stratus_commander.probes.config import load_config

    try:
        loaded = load_config(path)
    except ConfigError as exc:
        _invalid(exc, path, as_json)
    for warning in loaded.warnings:
        say(f"warning: {warning}", err=True)
    return loaded


@config.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the probes and warnings as JSON.")
@pass_options
def config_check(opts: Options, path: Path | None, as_json: bool) -> None:
    """Validate a probe config TOML and list its probes.

    PATH defaults to --config, else the user config file. Problems are printed one per line
    (file: key.path: message) with exit code 2; warnings (a literal secret, an unset env:
    reference) do not fail the check. `config init` writes a sample to start from.
    """
    loaded = checked_config(path or opts.config_path(), as_json)
    if as_json:
        say_json(
            {
                "path": str(loaded.path),
                "valid": True,
                "probes": [
                    {
                        "id": p.id,
                        "kind": p.kind,
                        "check": p.check,
                        "interval_s": p.interval_s,
                        "timeout_s": p.timeout_s,
                    }
                    for p in loaded.probes
                ],
                "warnings": list(loaded.warnings),
            }
        )
        return
    say(f"{loaded.path}: {len(loaded.probes)} probe(s)")
    for spec in loaded.probes:
        say(
            f"  {spec.id:<24} {spec.kind:<18} {spec.check:<9} "
            f"every {spec.interval_s:g} s, timeout {spec.timeout_s:g} s"
        )


@config.command("init")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_options
def config_init(opts: Options, path: Path | None) -> None:
    """Write a sample probe config, commented, with one probe of every kind, to edit.

    PATH defaults to --config, else the user config file (its folder is created). An existing
    file is never overwritten (exit 2). Then: `config check`.
    """
    from stratus_commander.fileio import create_text
    from stratus_commander.resources import resource_path

    target = path or opts.config_path()
    if path is None:  # the user config dir may not exist yet; a PATH given names a folder that does
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"{target.parent}: cannot create: {exc.strerror or exc}")
    sample = resource_path("config", "sample.toml").read_text(encoding="utf-8")
    run_domain(create_text, target, sample)
    say(f"Wrote {target}: edit it, then `stratus-commander config check`.")
