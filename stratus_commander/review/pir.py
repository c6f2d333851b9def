"""The post-incident review's own record: the impact assessment, the meeting, the root cause
analysis; what completing the review needs, and completing it.

Completing it (:func:`complete_review`) needs the impact, the meeting time, every RCA answer and
an owner and deadline on every action item. Each change is one "review" event carrying the
record's SHA-256 digest, so the hash chain covers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from stratus_commander.clock import to_iso
from stratus_commander.errors import DomainRefused, InputError, RefusedForGaps
from stratus_commander.incident import Incident, Incidents
from stratus_commander.review.analysis import review_section
from stratus_commander.review.build import Review, review_from
from stratus_commander.review.records import PirRecord, load_records, stored_pir
from stratus_commander.review.saving import write_review
from stratus_commander.runbook import Runbook
from stratus_commander.store import digest
from stratus_commander.text import multi_line, one_line
from stratus_commander.timeline import Event

__all__ = [
    "UNCHANGED",
    "ReviewRefused",
    "complete_review",
    "review_open",
    "review_requirements",
    "update_review",
]

#: The default of an update's keyword arguments: left as stored (``None`` clears a value).
UNCHANGED: Any = object()


def review_open(incidents: Incidents, incident_id: int) -> Incident:
    """The incident, if its review may be changed: resolved, and the review not complete."""
    incident = incidents.get(incident_id)
    if incident.is_open:
        raise DomainRefused(
            f"{incident.label} is still {incident.status}; the review starts once it is resolved"
        )
    if incident.review_done_at is not None:
        raise DomainRefused(f"{incident.label}'s review is complete; it is read-only")
    return incident


def update_review(
    incidents: Incidents,
    runbook: Runbook,
    incident_id: int,
    *,
    affected_users: int | None = UNCHANGED,
    financial_impact: str = UNCHANGED,
    reputation: str = UNCHANGED,
    meeting_at: datetime | None = UNCHANGED,
    answers: Mapping[str, str] | None = None,
) -> Event:
    """Change the impact assessment, the meeting time or RCA answers; one "review" event."""
    if financial_impact is not UNCHANGED:
        one_line(financial_impact, "financial impact")
    if reputation is not UNCHANGED:
        one_line(reputation, "reputation")
    answers = {item: multi_line(text, f"answers.{item}") for item, text in (answers or {}).items()}
    review_open(incidents, incident_id)
    pir = stored_pir(incidents.store, incident_id)
    changes: dict[str, Any] = {}
    impact = pir.impact
    if affected_users is not UNCHANGED:
        if affected_users is not None and affected_users < 0:
            raise InputError("must be 0 or more", where="affected users")
        impact = replace(impact, affected_users=affected_users)
        changes["affected_users"] = affected_users
    if financial_impact is not UNCHANGED:
        impact = replace(impact, financial_impact=financial_impact.strip())
        changes["financial_impact"] = financial_impact.strip()
    if reputation is not UNCHANGED:
        impact = replace(impact, reputation=reputation.strip())
        changes["reputation"] = reputation.strip()
    meeting = pir.meeting_at
    if meeting_at is not UNCHANGED:
        meeting = meeting_at
        changes["meeting_at"] = to_iso(meeting_at) if meeting_at else None
    new_answers = dict(pir.answers)
    if answers:
        section = review_section(runbook, "root_cause")
        items = {i.id for i in section.items} if section else set()
        for item, text in answers.items():
            if item not in items:
                raise InputError(
                    f"not an item of the review's root cause section "
                    f"(have {', '.join(sorted(items))})",
                    where=f"answers.{item}",
                )
            new_answers[item] = text.strip()
        changes["answers"] = sorted(answers)
    if not changes:
        raise InputError("nothing to change", where="review")
    record = PirRecord(impact, meeting, new_answers)
    what = ", ".join(k.replace("_", " ") for k in changes)
    with incidents.store.write():
        write_review(incidents.store, incident_id, incidents.clock.now(), pir=record)
        return incidents.record(
            incident_id,
            "review",
            f"Review updated: {what}",
            {**changes, "digest": digest(record.as_json())},
            allow_closed=True,
        )


class ReviewRefused(RefusedForGaps):
    """Completing the review refused; ``missing`` lists each gap."""

    def __init__(self, label: str, missing: Sequence[str]) -> None:
        super().__init__(f"{label} review cannot be completed yet", missing)


def review_requirements(review: Review) -> list[str]:
    """What is still missing before the review may be completed (empty: it may)."""
    missing = []
    if review.incident.status != "closed":
        missing.append(f"the incident is {review.incident.status}; close it first")
    if review.impact.affected_users is None:
        missing.append("Impact: number of affected users is empty")
    if not review.impact.financial_impact:
        missing.append("Impact: financial impact is empty")
    if not review.impact.reputation:
        missing.append("Impact: reputation impact is empty")
    missing += [f"Root cause: “{q}” is empty" for _, q, a in review.rca if not a]
    if not review.action_items:
        missing.append("Action items: none recorded")
    for item in review.action_items:
        if not item.owner:
            missing.append(f"Action item #{item.id}: no owner")
        if item.deadline is None:
            missing.append(f"Action item #{item.id}: no deadline")
    if review.follow_up.meeting_at is None:
        missing.append("Follow-up: review meeting not scheduled")
    return missing


def complete_review(
    incidents: Incidents, runbook: Runbook, incident_id: int, at: datetime | None = None
) -> Event:
    """Mark the post-incident review done (meets the 48 h clock); refused while incomplete.
    ``at``: when it was completed, if not now (whether that was late is judged at ``at``)."""
    incident = review_open(incidents, incident_id)
    records = load_records(incidents, incident_id)
    # What completing needs does not depend on the measured uptime: it is left out.
    review = review_from(records, runbook, at or incidents.clock.now(), uptime=None)
    missing = review_requirements(review)
    if missing:
        raise ReviewRefused(incident.label, missing)
    return incidents.record(
        incident_id,
        "review",
        "Post-incident review completed",
        {
            "completed": True,
            "digest": digest(records.pir.as_json()),
            "action_items": len(review.action_items),
            "late": review.deadline_state == "overdue",
        },
        allow_closed=True,
        at=at,
    )
