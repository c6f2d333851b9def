"""``incidents insights [--json] [--since DATE] [--drills]``: how the runbook's clocks and times
fared per month across incidents (:mod:`stratus_commander.insights`)."""

from __future__ import annotations

import re
from datetime import date, datetime

import click

from stratus_commander.cli.options import Options, open_session, pass_options, when
from stratus_commander.cli.output import fail, run_domain, say, say_json
from stratus_commander.cli.root import incidents

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@incidents.command("insights")
@click.option("--json", "as_json", is_flag=True, help="The insights as JSON.")
@click.option(
    "--since",
    metavar="DATE",
    help="Only incidents detected on or after DATE (2026-01-01: midnight UTC, as the months are "
    "counted), or a time (ISO-8601 with a zone, e.g. 2026-01-01T09:00+01:00).",
)
@click.option("--drills", is_flag=True, help="Count drills too (left out by default).")
@pass_options
def incidents_insights(opts: Options, as_json: bool, since: str | None, drills: bool) -> None:
    """Per month: each clock on time, LATE or missed; time to declare, triage, first update and
    resolve (median and worst); incidents by impact; credits paid."""
    from stratus_commander.insights import insights, insights_text

    moment = _since(since)
    session = open_session(opts, readonly=True)
    data = run_domain(insights, session.incidents, session.runbook, since=moment, drills=drills)
    if as_json:
        say_json(data.as_json())
    else:
        say(insights_text(data, session.runbook), multiline=True)


def _since(text: str | None) -> datetime | None:
    """``--since``: a date is its UTC day (the months are counted in UTC), else a time."""
    if text is None or not _DATE.fullmatch(text.strip()):
        return when(text, "--since")
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        fail(f"--since: {text!r} is not a date ({exc})")
    return when(f"{day.isoformat()}T00:00Z", "--since")
