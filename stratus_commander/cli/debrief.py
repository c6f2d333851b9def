"""``incidents debrief``: a drill scored against the runbook's clocks and its scenario.

Reads the database only (read-only open): the debrief is rebuilt from the drill's timeline, the
scenario its declaration recorded, the probe flips and the runbook.
"""

from __future__ import annotations

import click

from stratus_commander.cli.completion import incident_argument
from stratus_commander.cli.options import Options, open_session, parse_id, pass_options
from stratus_commander.cli.output import run_domain, say, say_json, shown_time
from stratus_commander.cli.root import incidents


@incidents.command("debrief")
@incident_argument
@click.option("--json", "as_json", is_flag=True, help="The debrief as one JSON object.")
@pass_options
def incidents_debrief(opts: Options, incident_id: str, as_json: bool) -> None:
    """Debrief a drill: each runbook clock met or missed and by how much, the triage decision
    against the scenario's expectation, communication, escalation, the evidence, what to
    practise next, and a score out of 100."""
    from stratus_commander.debrief import build_debrief
    from stratus_commander.debrief.render import debrief_text

    iid = parse_id(incident_id)
    session = open_session(opts, readonly=True)
    debrief = run_domain(build_debrief, session.incidents, session.runbook, iid)
    if as_json:
        say_json(debrief.as_json())
    else:
        say(debrief_text(debrief, shown_time), multiline=True, nl=False)
