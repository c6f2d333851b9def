"""Who holds which role in an incident, and handing command over: roles as timeline events.

The person who declares an incident is its commander. The commander assigns the other roles
(deputy, scribe, comms lead, operations lead); each assignment is one ``role_assigned`` event,
``{"role": role, "person": name, "previous": name or null}``, signed by whoever assigned it, and
handing over command is the same event for the role ``commander`` (with ``"handover": true``).
Who holds what is a fold over those events (:func:`holders`), so every cockpit, the CLI and the
review read the same answer from the timeline. The deputy may take command (when the commander
is gone); nobody else assigns.

Every event is signed by the person who made it (``Event.actor``, inside the hash chain): a
responder acts with their own name (``--as NAME``, the config's ``person``, else their login).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stratus_commander.errors import AlreadyDone, DomainRefused, InputError
from stratus_commander.incident.holders import (
    ROLE_KIND,
    ROLES,
    by_whom,
    holders,
    parse_role,
    roles_of,
)
from stratus_commander.incident.model import Incidents
from stratus_commander.text import one_line
from stratus_commander.timeline import Event

__all__ = [
    "ROLES",
    "ROLE_KIND",
    "already_given",
    "assign",
    "assign_refusal",
    "by_whom",
    "hand_over",
    "holders",
    "parse_role",
    "roles_of",
]


def _person(text: str) -> str:
    one_line(text, "PERSON")
    name = " ".join(text.split())
    if not name:
        raise InputError("must not be empty: whom?", where="PERSON")
    if len(name) > 64:
        raise InputError("longer than 64 characters", where="PERSON")
    return name


def assign(
    incidents: Incidents, incident_id: int, role: str, person: str, at: datetime | None = None
) -> Event:
    """Give ``role`` to ``person``: one ``role_assigned`` event signed by this instance's person,
    who must be the commander (or the deputy taking command). Decided inside the append's
    serialised section: two assigning at once cannot both win unseen."""
    role = parse_role(role)
    person = _person(person)
    me = incidents.actor
    with incidents.store.write():
        events = incidents.events(incident_id)  # reads (and on a server locks) the incident
        held = holders(events)
        refused = assign_refusal(events, me, role, person)
        if refused is not None:
            raise DomainRefused(f"INC-{incident_id}: {refused}")
        done = already_given(events, f"INC-{incident_id}", role, person)
        if done is not None:
            raise done
        previous = held.get(role)
        data: dict[str, object] = {"role": role, "person": person, "previous": previous}
        if role == "commander":
            data["handover"] = True
            text = f"Command handed over: {previous or 'nobody'} → {person}"
        else:
            text = f"{ROLES[role].capitalize()}: {person}" + (
                f" (was {previous})" if previous else ""
            )
        return incidents.record(incident_id, ROLE_KIND, text, data, at=at)


def assign_refusal(events: Sequence[Event], me: str, role: str, person: str) -> str | None:
    """Why ``me`` may not give ``role`` to ``person`` on this timeline (None: may): only the
    commander assigns, and the deputy may take command. The replay of the outbox asks again."""
    held = holders(events)
    commander = held.get("commander")
    taking_command = role == "commander" and person == me and held.get("deputy") == me
    if commander is not None and me != commander and not taking_command:
        return (
            f"only the incident commander ({commander}) assigns roles; you are {me} (the deputy "
            "may take command)"
        )
    return None


def already_given(
    events: Sequence[Event], label: str, role: str, person: str
) -> AlreadyDone | None:
    """The answer when ``person`` already holds ``role``: who gave it and when (None: they do
    not). The rule of :func:`assign`, and of the outbox's replay."""
    if holders(events).get(role) != person:
        return None
    last = next(e for e in reversed(events) if _gave(e, role, person))
    return AlreadyDone(
        f"{label}: {person} was already made the {ROLES[role]}",
        by_whom(events, last),
        last.at,
        last,
    )


def _gave(event: Event, role: str, person: str) -> bool:
    if event.kind == "declared":
        return role == "commander" and event.actor == person
    return (
        event.kind == ROLE_KIND
        and event.data.get("role") == role
        and (event.data.get("person") == person)
    )


def hand_over(incidents: Incidents, incident_id: int, to: str, at: datetime | None = None) -> Event:
    """Hand command of the incident to ``to``: one event (the receiving cockpit says so)."""
    return assign(incidents, incident_id, "commander", to, at=at)
