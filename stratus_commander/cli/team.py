"""``incidents assign|handover|roles``: who does what in a team's incident; ``incidents
push|pull``: moving an incident between a solo file and the team database.

Each assignment is one signed timeline event (``incident/roles.py``, the cockpit's calls too);
the global ``--as NAME`` says who is acting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from stratus_commander.cli.completion import incident_argument
from stratus_commander.cli.options import (
    DbLocation,
    Options,
    open_session,
    parse_id,
    pass_options,
    when,
)
from stratus_commander.cli.output import (
    fail,
    fail_for,
    run_domain,
    say,
    say_event,
    say_json,
)
from stratus_commander.cli.record import at_option, json_option
from stratus_commander.cli.root import incidents
from stratus_commander.errors import StratusError

if TYPE_CHECKING:
    from stratus_commander.review.transfer import Copied

#: What a copy leaves behind (review.transfer.NOT_COPIED), said without loading the domain.
NOT_COPIED = "probe samples and flips, maintenance windows and credit reports"

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
    say_event(run_domain(assign, inc, iid, role, person, at=moment), as_json)


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
    say_event(run_domain(hand_over, inc, iid, to, at=moment), as_json)


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


def _copied_line(what: str, copied: Copied, where: str) -> str:
    parts = [f"{copied.events} events"]
    if copied.review:
        parts.append("the close record and review")
    parts += [f"{copied.action_items} action item(s)", f"{copied.lessons} lesson(s)"]
    return (
        f"{what} as {copied.incident.label} in {where}: {', '.join(parts)}, and an `imported` "
        f"event with the old chain's head. Not copied: {NOT_COPIED}."
    )


@incidents.command("push")
@incident_argument
@click.option(
    "--to", "to", required=True, type=DbLocation(), help="The team database (postgresql://...)."
)
@pass_options
def incidents_push(opts: Options, incident_id: str, to: str | Path) -> None:
    """Copy a solo incident (from --db) into the team database: its events with their times and
    signatures, its review records, and an `imported` event recording the old chain's head.
    Refused (exit 2, nothing written) when the target already holds it."""
    from stratus_commander.review.transfer import copy_incident
    from stratus_commander.store import open_store

    iid = parse_id(incident_id)
    if str(to) == str(opts.db_path()):
        fail(f"--to: {to} is the database the incident is in (--db); give the team database")
    session = open_session(opts, readonly=True)
    source = session.incidents
    run_domain(source.get, iid)
    with run_domain(open_store, to) as target:
        copied = run_domain(copy_incident, source, iid, target, session.clock, opts.person())
        say(_copied_line(f"Pushed INC-{iid}", copied, target.location))


@incidents.command("pull")
@incident_argument
@click.option(
    "--from", "from_", required=True, type=DbLocation(), help="The team database to copy from."
)
@click.option(
    "--to",
    "to",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A new SQLite file for offline review (refused if it exists).",
)
@pass_options
def incidents_pull(opts: Options, incident_id: str, from_: str | Path, to: Path) -> None:
    """Copy a team incident into a new local file for offline review (same id, same hashes, then
    an `imported` event). Refused (exit 2) when the file exists."""
    from stratus_commander.review.transfer import copy_incident
    from stratus_commander.session import Access, Session
    from stratus_commander.store import open_store

    iid = parse_id(incident_id)
    if to.exists():
        fail(f"--to: {to}: already exists; not overwritten (pull into a new file)")
    source = click.get_current_context().with_resource(Session(from_, access=Access.READ))
    run_domain(source.incidents.get, iid)
    target = run_domain(open_store, to)
    try:
        with target:
            copied = copy_incident(
                source.incidents, iid, target, source.clock, opts.person(), keep_id=True
            )
    except BaseException as exc:  # nothing half-written: the new file goes
        for leftover in (to, to.with_name(to.name + "-wal"), to.with_name(to.name + "-shm")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, StratusError):
            fail_for(exc)
        raise
    say(_copied_line(f"Pulled INC-{iid}", copied, str(to)))
