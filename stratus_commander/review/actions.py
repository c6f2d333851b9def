"""Action items: follow-up tasks of a review (immediate fix, process, monitoring, documentation),
added while the review is open and tracked (owner, deadline, done) after it is complete too.
Each change is one "review" event carrying the item as stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal

from stratus_commander.clock import to_iso
from stratus_commander.errors import DomainRefused, InputError, NotFound
from stratus_commander.incident import Incidents
from stratus_commander.review.analysis import review_section
from stratus_commander.review.pir import UNCHANGED, review_open
from stratus_commander.review.records import ActionItem, item_from_row
from stratus_commander.review.saving import save_item, write_review
from stratus_commander.runbook import Runbook
from stratus_commander.text import one_line
from stratus_commander.timeline import Event

__all__ = ["add_action_item", "update_action_item"]


def _category(runbook: Runbook, value: str) -> str:
    section = review_section(runbook, "action_items")
    ids = [i.id for i in section.items] if section else []
    value = value.strip().lower()
    if value in ids:
        return value
    matches = [i for i in ids if i.startswith(value)] if value else []
    if len(matches) == 1:
        return matches[0]
    raise InputError(f"{value!r} is not one of {', '.join(ids)}", where="category")


def _item_event(incidents: Incidents, item: ActionItem, verb: str) -> Event:
    return incidents.record(
        item.incident_id,
        "review",
        f"Action item #{item.id} {verb}: {item.text}",
        {"action_item": item.as_json()},
        allow_closed=True,
    )


def add_action_item(
    incidents: Incidents,
    runbook: Runbook,
    incident_id: int,
    category: str,
    text: str,
    owner: str = "",
    deadline: datetime | None = None,
) -> ActionItem:
    """A follow-up task (immediate fix, process, monitoring or documentation)."""
    one_line(category, "category")
    one_line(text, "action item")
    one_line(owner, "owner")
    review_open(incidents, incident_id)
    text = " ".join(text.split())
    if not text:
        raise InputError("must not be empty", where="action item")
    cat = _category(runbook, category)
    now = incidents.clock.now()
    store = incidents.store
    with store.write():
        item_id = store.insert_action_item(
            {
                "incident_id": incident_id,
                "category": cat,
                "text": text,
                "owner": owner.strip(),
                "deadline": to_iso(deadline) if deadline else None,
                "status": "open",
                "created_at": to_iso(now),
            }
        )
        write_review(store, incident_id, now)
        item = item_from_row(store.action_item_row(item_id) or {})
        _item_event(incidents, item, "added")
    return item


def update_action_item(
    incidents: Incidents,
    item_id: int,
    *,
    owner: str = UNCHANGED,
    deadline: datetime | None = UNCHANGED,
    status: Literal["open", "done"] = UNCHANGED,
) -> ActionItem:
    """Reassign, reschedule or tick off an action item (also after the review is complete)."""
    if owner is not UNCHANGED:
        one_line(owner, "owner")
    store = incidents.store
    row = store.action_item_row(item_id)
    if row is None:
        raise NotFound(f"no action item #{item_id}")
    item = item_from_row(row)
    # Progress is tracked after the review is complete too ("Track progress").
    incident = incidents.get(item.incident_id)
    if incident.is_open:
        raise DomainRefused(f"{incident.label} is still {incident.status}")
    now = incidents.clock.now()
    new = item
    if owner is not UNCHANGED:
        new = replace(new, owner=owner.strip())
    if deadline is not UNCHANGED:
        new = replace(new, deadline=deadline)
    if status is not UNCHANGED:
        if status not in ("open", "done"):
            raise InputError(f"{status!r} is not open or done", where="status")
        new = replace(new, status=status, done_at=now if status == "done" else None)
    if new == item:
        raise InputError("nothing to change", where=f"action item #{item_id}")
    verb = "done" if new.status == "done" and item.status != "done" else "updated"
    with store.write():
        save_item(store, new)
        _item_event(incidents, new, verb)
    return new
