"""Moving an incident between databases: a solo file into the team's server (``incidents push``),
a team incident into a local file for offline review (``incidents pull``).

The copy keeps every event with its time, kind, signature, text and data, re-chained under the
incident's id in the target (the id is part of each link, so a pushed incident, which gets the
server's next id, has new hashes; a pulled one keeps its id and its hashes). Then one ``imported``
event records where it came from and the old chain's head (count and hash), so anyone holding the
original can check that the copy starts from exactly it. Both ends then pass ``incidents verify``.

Copied besides the timeline: what the incident's review needs and holds of its own — the close
record and the review (their digests on the timeline still match), the action items and the
lessons. Not copied: probe samples, flips and the per-minute rollup (they belong to the database's
probes, not to one incident: uptime and service credits are measured again from the target's own
samples), maintenance windows, and stored credit reports (recalculate with ``incidents credits``).

Refused, nothing written: a source whose chain does not verify, a target that already holds this
incident (an ``imported`` event with the same source head), a copy going back where it came from
(its own ``imported`` event names a chain the target holds: a pulled copy pushed back would make
a second incident of the same outage), a pull into a file that exists.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from stratus_commander.clock import Clock, to_iso
from stratus_commander.errors import DomainRefused
from stratus_commander.incident import Incident, Incidents
from stratus_commander.review.saving import refresh_search_text
from stratus_commander.store import Json, Store
from stratus_commander.timeline import Event

__all__ = ["NOT_COPIED", "Copied", "copy_incident"]

NOT_COPIED = (
    "probe samples and flips, maintenance windows and credit reports (measure and calculate "
    "them again in the target)"
)
_LISTS = {"scope", "affected_services"}


@dataclass(frozen=True)
class Copied:
    """What a copy made: the incident in the target and what came with it."""

    incident: Incident
    events: int
    action_items: int
    lessons: int
    review: bool


def _head_of(incidents: Incidents, incident_id: int) -> tuple[int, str]:
    check = incidents.verify(incident_id)
    if not check.ok:
        raise DomainRefused(
            f"INC-{incident_id} in {incidents.store.location}: its timeline does not verify "
            f"({check.reason}); nothing copied"
        )
    head = incidents.store.timeline_head(incident_id)
    assert head is not None  # verify found the incident
    return head


def _already_there(target: Store, incident: Incident, head_hash: str) -> tuple[int, str] | None:
    """(id, title) of an incident of the target copied from this one: same title and
    declaration, and an ``imported`` event naming this head."""
    for row in target.incident_rows():
        if row["title"] != incident.title or row["declared_at"] != to_iso(incident.declared_at):
            continue
        for event in target.events(int(row["id"])):
            if event.kind == "imported" and event.data.get("source_head_hash") == head_hash:
                return int(row["id"]), str(row["title"])
    return None


def _came_from(target: Store, events: list[Event]) -> tuple[int, int] | None:
    """(id in ``target``, events since) when this timeline is a copy of one ``target`` holds:
    an ``imported`` event whose source head is the head, or an earlier link, of the target's
    incident of that id (the id is in every link's hash, so a match is that very chain)."""
    for position, event in enumerate(events):
        if event.kind != "imported":
            continue
        label, count = event.data.get("source_incident"), event.data.get("source_event_count")
        number = str(label).removeprefix("INC-")
        if not (number.isdigit() and isinstance(count, int) and count > 0):
            continue
        theirs = target.events(int(number))
        if len(theirs) >= count and theirs[count - 1].hash == event.data.get("source_head_hash"):
            return int(number), len(events) - position - 1
    return None


def _row(incident: Incident, keep_id: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": incident.id} if keep_id else {}
    for f in fields(incident):
        if f.name in ("id", "event_count", "head_hash"):
            continue
        value = getattr(incident, f.name)
        if isinstance(value, datetime):
            value = to_iso(value)
        elif f.name in _LISTS:
            value = Json(list(value))
        elif f.name == "drill":
            value = int(value)
        out[f.name] = value
    return out


def copy_incident(
    source: Incidents,
    incident_id: int,
    target: Store,
    clock: Clock,
    actor: str,
    *,
    keep_id: bool = False,
) -> Copied:
    """Copy INC-``incident_id`` of ``source`` into ``target`` (one transaction there), then sign
    an ``imported`` event by ``actor``. ``keep_id``: give it the same id (a fresh file)."""
    incident = source.get(incident_id)
    head_count, head_hash = _head_of(source, incident_id)
    events = source.store.events(incident_id)
    found = _already_there(target, incident, head_hash)
    if found is not None:
        raise DomainRefused(
            f"{target.location} already holds {incident.label} as INC-{found[0]} "
            f"(“{found[1]}”, copied from the same timeline); nothing copied"
        )
    back = _came_from(target, events)
    if back is not None:
        since = (
            f"; the {back[1]} event(s) added to this copy since are not copied" if back[1] else ""
        )
        raise DomainRefused(
            f"{incident.label} is a copy of INC-{back[0]} in {target.location}: it is there "
            f"already{since}; nothing copied"
        )
    review = source.store.review_record(incident_id)
    items = source.store.action_item_rows(incident_id)
    lessons = source.store.learning_rows(incident_id=incident_id)
    now = clock.now()
    with target.write():
        new_id = target.insert_incident(_row(incident, keep_id))
        for ev in events:
            target.append_event(new_id, ev.at, ev.kind, ev.actor, ev.text, ev.data)
        if review is not None:
            target.save_review(new_id, to_iso(now), review[0], review[1])
        for item in items:
            target.insert_action_item(
                {k: v for k, v in item.items() if k != "id"} | {"incident_id": new_id}
            )
        for lesson in lessons:
            target.insert_learnings(
                new_id, [(lesson["step"], lesson["text"])], lesson["actor"], lesson["created_at"]
            )
        if review is not None or lessons or items:
            refresh_search_text(target, new_id)
        short = head_hash[:12]
        text = (
            f"Imported from {source.store.location} {incident.label}: {head_count} events, "
            f"head {short}…; not copied: {NOT_COPIED}"
        )
        data = {
            "from": source.store.location,
            "source_incident": incident.label,
            "source_event_count": head_count,
            "source_head_hash": head_hash,
            "action_items": len(items),
            "lessons": len(lessons),
            "review": review is not None,
        }
        target.append_event(new_id, now, "imported", actor, text, data)
    return Copied(
        Incidents(target, clock).get(new_id),
        len(events),
        len(items),
        len(lessons),
        review is not None,
    )
