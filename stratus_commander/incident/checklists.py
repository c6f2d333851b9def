"""Checklist ticks as timeline events: what was ticked, when, by whom.

A tick is a ``check_ticked`` event, an untick a ``check_unticked`` one, both with data
``{"group": group, "item": item_id}``; the state of a checklist is a fold over its events, so it
survives restarts and the review can replay it. Groups in use:

    "mitigate:<issue type>"   a mitigation checklist of the runbook (api, webhooks, ...)
    "playbook:<id>"           a common-issue playbook
    "status_page"             the status-page steps of the Communicate phase
    "triage:<group id>"       a triage group's manual items
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from stratus_commander.incident import Incidents
from stratus_commander.runbook import Item
from stratus_commander.timeline import Event

TICK_KINDS = frozenset({"check_ticked", "check_unticked"})


def ticked(events: Iterable[Event], group: str) -> dict[str, datetime]:
    """Item id → time of its (last) tick, for the items of ``group`` ticked now."""
    state: dict[str, datetime] = {}
    for event in events:
        if event.kind not in TICK_KINDS or event.data.get("group") != group:
            continue
        item = str(event.data.get("item", ""))
        if event.kind == "check_ticked":
            state[item] = event.at
        else:
            state.pop(item, None)
    return state


def set_tick(
    incidents: Incidents, incident_id: int, group: str, item: Item, on: bool, context: str = ""
) -> Event:
    """Tick (``on``) or untick ``item`` of ``group``: one timeline event."""
    verb = "Ticked" if on else "Unticked"
    text = f"{verb}: {item.text}" + (f" ({context})" if context else "")
    kind = "check_ticked" if on else "check_unticked"
    return incidents.record(incident_id, kind, text, {"group": group, "item": item.id})
