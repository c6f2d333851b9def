"""Who holds which role, read from an incident's events (``role_assigned``; the declarer is the
commander until command is handed over), and who made an event, as an answer names them. Pure
functions of the timeline: the model and the checklists use them; :mod:`.roles` records roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from stratus_commander.actors import SYSTEM
from stratus_commander.errors import InputError
from stratus_commander.timeline import Event

__all__ = ["ROLES", "ROLE_KIND", "by_whom", "holders", "parse_role", "roles_of"]

ROLE_KIND = "role_assigned"
#: Role id → how it is said ("the scribe").
ROLES: dict[str, str] = {
    "commander": "incident commander",
    "deputy": "deputy",
    "scribe": "scribe",
    "comms_lead": "comms lead",
    "operations_lead": "operations lead",
}


def parse_role(text: str) -> str:
    """``comms lead``, ``comms-lead``, ``Comms_Lead`` → ``comms_lead``; else InputError."""
    key = "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    if key == "incident_commander" or key == "ic":
        key = "commander"
    if key not in ROLES:
        choices = ", ".join(r.replace("_", "-") for r in ROLES)
        raise InputError(f"{text!r} is not a role (choose from {choices})", where="ROLE")
    return key


def holders(events: Iterable[Event]) -> dict[str, str]:
    """Role → the person holding it now (roles nobody holds are absent). The declarer is the
    commander until command is handed over."""
    out: dict[str, str] = {}
    for event in events:
        if event.kind == "declared" and event.actor not in SYSTEM:
            out["commander"] = event.actor
        elif event.kind == ROLE_KIND:
            out[str(event.data["role"])] = str(event.data["person"])
    return out


def roles_of(events: Iterable[Event], person: str) -> list[str]:
    """The roles ``person`` holds now, in the order of :data:`ROLES`."""
    held = holders(events)
    return [role for role in ROLES if held.get(role) == person]


def by_whom(events: Sequence[Event], event: Event) -> str:
    """Who made ``event``, as an answer says it: ``the scribe (bob)`` when they held a role at
    the time, else their name."""
    held = roles_of([e for e in events if e.seq <= event.seq], event.actor)
    return f"the {ROLES[held[0]]} ({event.actor})" if held else event.actor
