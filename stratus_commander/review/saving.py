"""Writing a review's records: the close and review documents, the lessons, an action item's
changes, each with the words the incident library finds the review by."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stratus_commander.clock import to_iso
from stratus_commander.review.records import ActionItem, CloseRecord, PirRecord
from stratus_commander.store import Store

__all__ = ["refresh_search_text", "save_item", "store_learnings", "write_review"]


def write_review(
    store: Store,
    incident_id: int,
    now: datetime,
    close: CloseRecord | None = None,
    pir: PirRecord | None = None,
) -> None:
    """Upsert the record and refresh the text the incident library searches."""
    with store.write():
        store.save_review(
            incident_id,
            to_iso(now),
            close.as_json() if close is not None else None,
            pir.as_json() if pir is not None else None,
        )
        refresh_search_text(store, incident_id)


def refresh_search_text(store: Store, incident_id: int) -> None:
    """What the library finds a review by: the answers, the fix, the lessons, impact, action
    items and their owners (not the runbook's ids or checklist states)."""
    found = store.review_record(incident_id)
    if found is None:
        return
    parts: list[str] = []
    if found[0]:
        close = CloseRecord.from_json(found[0])
        parts += [*close.answers.values(), close.fix_applied, *(t for _, t in close.learnings)]
    if found[1]:
        pir = PirRecord.from_json(found[1])
        parts += [*pir.answers.values(), pir.impact.financial_impact, pir.impact.reputation]
    parts += [f"{r['text']} {r['owner']}" for r in store.action_item_rows(incident_id)]
    parts += [r["text"] for r in store.learning_rows(incident_id=incident_id)]
    store.set_search_text(incident_id, "\n".join(p for p in parts if p))


def store_learnings(
    store: Store, incident_id: int, learnings: Sequence[tuple[str, str]], actor: str, now: datetime
) -> None:
    with store.write():
        store.insert_learnings(incident_id, learnings, actor, to_iso(now))
        refresh_search_text(store, incident_id)


def save_item(store: Store, item: ActionItem) -> None:
    with store.write():
        store.update_action_item(
            item.id,
            {
                "owner": item.owner,
                "deadline": to_iso(item.deadline) if item.deadline else None,
                "status": item.status,
                "done_at": to_iso(item.done_at) if item.done_at else None,
            },
        )
        refresh_search_text(store, item.incident_id)
