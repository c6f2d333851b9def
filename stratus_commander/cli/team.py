"""``incidents assign|handover|roles``: who does what in a team's incident.

Each assignment is one signed timeline event (``incident/roles.py``, the cockpit's calls too);
the global ``--as NAME`` says who is acting.
"""

from __future__ import annotations

import click

from stratus_commander.cli.completion import incident_argument
from stratus_commander.cli.options import Options, open_session, parse_id, pass_options, when
from stratus_commander.cli.output import run_domain, run_timed, say, say_event, say_json
from stratus_commander.cli.record import at_option, json_option
from stratus_commander.cli.root import incidents

#: The roles (incident.roles.ROLES), written out: the CLI loads the domain only to run.
ROLE_NAMES = ("commander", "deputy", "scribe", "comms-lead", "operations-lead")


@incidents.command("assign")
@incident_argument
@click.argument("role", metavar="ROLE")
@click.argument("person", metavar="PERSON")
@at_option("When it was assigned")
@json_option
@pass_options
def incidents_assign(
    opts: Options, incident_id: str, role: str, person: str, at: str | None, as_json: bool
) -> None:
    """Give ROLE to PERSON (the commander assigns; ROLE is one of commander, deputy, scribe,
    comms-lead, operations-lead). One timeline event, signed by you (--as NAME)."""
    from stratus_commander.incident.roles import assign

    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    say_event(run_timed(assign, inc, iid, role, person, at=moment), as_json)


@incidents.command("handover")
@incident_argument
@click.option("--to", "to", required=True, metavar="PERSON", help="The new incident commander.")
@at_option("When command was handed over")
@json_option
@pass_options
def incidents_handover(
    opts: Options, incident_id: str, to: str, at: str | None, as_json: bool
) -> None:
    """Hand over command of the incident to PERSON: one event (their cockpit tells them)."""
    from stratus_commander.incident.roles import hand_over

    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    say_event(run_timed(hand_over, inc, iid, to, at=moment), as_json)


@incidents.command("roles")
@incident_argument
@json_option
@pass_options
def incidents_roles(opts: Options, incident_id: str, as_json: bool) -> None:
    """Who holds which role now (from the timeline)."""
    from stratus_commander.incident.roles import ROLES, holders

    iid = parse_id(incident_id)
    inc = open_session(opts, readonly=True).incidents
    held = holders(run_domain(inc.events, iid))
    if as_json:
        say_json({"incident": f"INC-{iid}", "roles": {r: held.get(r) for r in ROLES}})
        return
    for role, name in ROLES.items():
        say(f"{name:<18} {held.get(role, '—')}")
