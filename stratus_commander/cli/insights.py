"""``incidents insights [--json] [--since DATE] [--drills]``: how the runbook's clocks and times
fared per month across incidents (:mod:`stratus_commander.insights`)."""

from __future__ import annotations

import click

from stratus_commander.cli.options import Options, open_session, pass_options, when
from stratus_commander.cli.output import run_domain, say, say_json
from stratus_commander.cli.root import incidents


@incidents.command("insights")
@click.option("--json", "as_json", is_flag=True, help="The insights as JSON.")
@click.option(
    "--since",
    metavar="TIME",
    help="Only incidents detected at or after TIME (ISO-8601 with a zone, e.g. 2026-01-01T00:00Z).",
)
@click.option("--drills", is_flag=True, help="Count drills too (left out by default).")
@pass_options
def incidents_insights(opts: Options, as_json: bool, since: str | None, drills: bool) -> None:
    """Per month: each clock on time, LATE or missed; time to declare, triage, first update and
    resolve (median and worst); incidents by impact; credits paid."""
    from stratus_commander.insights import insights, insights_text

    moment = when(since, "--since")
    session = open_session(opts, readonly=True)
    data = run_domain(insights, session.incidents, session.runbook, since=moment, drills=drills)
    if as_json:
        say_json(data.as_json())
    else:
        say(insights_text(data, session.runbook), multiline=True)
