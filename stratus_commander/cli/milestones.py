"""``incidents triage|update|escalate|tick|untick``: the runbook's milestones, live or after the
fact.

What the cockpit's Triage, Communicate, Escalate and Mitigate panels record, through the same
domain calls, so a commander who ran an outage on paper can enter it afterwards with its real
times (``--at``). Each prints the event it recorded (``--json``: as JSON), signed by the person
at the keyboard.
"""

from __future__ import annotations

import click

from stratus_commander.cli.completion import check_ids, incident_argument
from stratus_commander.cli.options import Options, open_session, parse_id, pass_options, split, when
from stratus_commander.cli.output import run_domain, say_event
from stratus_commander.cli.record import at_option, json_option
from stratus_commander.cli.root import incidents

# The domain's values (incident.model), written out: the CLI loads the domain only to run.
DECISION_CHOICES = ("internal", "external", "unknown")
#: --channel spelling → the value the cockpit records
CHANNEL_CHOICES = {
    "status-page": "status_page",
    "email": "email",
    "slack": "slack",
    "sms": "sms",
    "other": "other",
}
ESCALATION_CHOICES = ("paged", "called", "messaged")


@incidents.command("triage")
@incident_argument
@click.argument("decision", type=click.Choice(DECISION_CHOICES, case_sensitive=False))
@click.option("--note", default="", help="Why, for the timeline.")
@at_option("When it was decided")
@json_option
@pass_options
def incidents_triage(
    opts: Options, incident_id: str, decision: str, note: str, at: str | None, as_json: bool
) -> None:
    """Record the triage decision: internal (mitigate), external (contact the provider) or
    unknown (escalate). The first one meets TRIAGE."""
    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    say_event(run_domain(inc.decide, iid, decision.lower(), note, at=moment), as_json)


@incidents.command("update")
@incident_argument
@click.option("--text", required=True, help="The status update as it was sent.")
@click.option(
    "--channel",
    type=click.Choice(tuple(CHANNEL_CHOICES), case_sensitive=False),
    default="other",
    show_default=True,
    help="Where it was sent.",
)
@at_option("When it was sent")
@json_option
@pass_options
def incidents_update(
    opts: Options, incident_id: str, text: str, channel: str, at: str | None, as_json: bool
) -> None:
    """Record a status update sent to stakeholders. The first one meets COMMUNICATE; each one
    restarts NEXT UPDATE. (The cockpit's Communicate panel drafts them from the runbook.)"""
    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    event = run_domain(inc.send_update, iid, text, CHANNEL_CHOICES[channel.lower()], at=moment)
    say_event(event, as_json)


@incidents.command("escalate")
@incident_argument
@click.option(
    "--to",
    "to",
    required=True,
    multiple=True,
    metavar="WHO",
    help="Whom (a person or role, e.g. CTO); comma-separated or repeated.",
)
@click.option(
    "--how", type=click.Choice(ESCALATION_CHOICES, case_sensitive=False), help="How they were told."
)
@at_option("When it was escalated")
@json_option
@pass_options
def incidents_escalate(
    opts: Options,
    incident_id: str,
    to: tuple[str, ...],
    how: str | None,
    at: str | None,
    as_json: bool,
) -> None:
    """Record an escalation (the runbook's escalation matrix says to whom). The first one meets
    ESCALATE."""
    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    event = run_domain(inc.escalate, iid, split(to), (how or "").lower(), at=moment)
    say_event(event, as_json)


def _tick(
    opts: Options, incident_id: str, check: str, on: bool, at: str | None, json_: bool
) -> None:
    from stratus_commander.incident.checklists import find_check, set_tick

    iid, moment = parse_id(incident_id), when(at, "--at")
    session = open_session(opts, readonly=False)
    found = run_domain(find_check, session.runbook, check)
    inc = session.incidents
    event = run_domain(set_tick, inc, iid, found.group, found.item, on, found.checklist, at=moment)
    say_event(event, json_)


@incidents.command("tick")
@incident_argument
@click.argument("check", shell_complete=check_ids)
@at_option("When it was done")
@json_option
@pass_options
def incidents_tick(
    opts: Options, incident_id: str, check: str, at: str | None, as_json: bool
) -> None:
    """Tick a runbook check (a triage, status-page, mitigation or playbook step) as done.

    CHECK is its id as `runbook check --json` lists it (e.g. mitigation.database.restart-database),
    or its last part when only one check has it.
    """
    _tick(opts, incident_id, check, True, at, as_json)


@incidents.command("untick")
@incident_argument
@click.argument("check", shell_complete=check_ids)
@at_option("When it was undone")
@json_option
@pass_options
def incidents_untick(
    opts: Options, incident_id: str, check: str, at: str | None, as_json: bool
) -> None:
    """Untick a runbook check ticked by mistake (the tick stays on the timeline)."""
    _tick(opts, incident_id, check, False, at, as_json)
