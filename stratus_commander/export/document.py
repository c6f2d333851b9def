"""The plain-data document of an incident and its review: the one source every format renders.

:func:`incident_document` is the whole export (its parts and JSON Schema:
:mod:`stratus_commander.export.schema`). Every string of it passes the secret redaction filter
before any format sees it, and it states whether the timeline's hash chain verified and whether
the stored review and credits still match the digests the timeline recorded.

:func:`review_parts` is the part of it a built review alone gives (the incident, the review, the
integrity verdict): what the terminal's review (:mod:`stratus_commander.export.text`) reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stratus_commander import __version__
from stratus_commander.clock import to_iso
from stratus_commander.incident import Incidents
from stratus_commander.incident.deadlines import clocks
from stratus_commander.runbook import Runbook
from stratus_commander.secrets import redact_data

if TYPE_CHECKING:
    from stratus_commander.review import Review

__all__ = ["FORMAT_ID", "incident_document", "review_parts"]

#: /2: credits and the review's monthly uptime are per month (an outage across a month end owes
#: a credit in each month): ``credits.months[]`` and ``review.uptime.months{YYYY-MM}``.
#: /3: a clock met after its deadline reads ``late`` (no longer ``met``); durations carry
#: ``late_seconds``; the review carries the update ``cadence``.
FORMAT_ID = "stratus-commander-incident/3"


def review_parts(review: Review) -> dict[str, Any]:
    """``incident``, ``review`` and ``integrity`` of the document, from a built review (as
    stored: :func:`incident_document` redacts them with the rest)."""
    check = review.chain
    return {
        "incident": review.incident.as_json(),
        "review": review.as_json(),
        "integrity": {
            "verified": check.ok,
            "events": check.checked,
            "broken_at": check.broken_at,
            "reason": check.reason,
            "head_hash": review.incident.head_hash,
            "records_match": not review.record_problems,
            "record_problems": list(review.record_problems),
        },
    }


def incident_document(incidents: Incidents, runbook: Runbook, incident_id: int) -> dict[str, Any]:
    """The whole incident and its review as plain data: the one source for every format."""
    from stratus_commander.review import build_review, list_learnings

    now = incidents.clock.now()
    review = build_review(incidents, runbook, incident_id, now)
    parts = review_parts(review)
    doc = {
        "format": FORMAT_ID,
        "exported_at": to_iso(now),
        "app_version": __version__,
        "incident": parts["incident"],
        "clocks": [
            {
                "id": r.id,
                "label": r.label,
                "state": r.state.value,
                "due_at": to_iso(r.due_at) if r.due_at else None,
                "met_at": to_iso(r.met_at) if r.met_at else None,
                "met_late": r.met_late,
            }
            for r in clocks(review.incident, runbook, now)
        ],
        "timeline": [e.as_json() for e in incidents.events(incident_id)],
        "review": parts["review"],
        "credits": review.credits.as_json() if review.credits else None,
        "learnings": [
            item.as_json()
            for item in list_learnings(incidents.store)
            if item.incident_id == incident_id
        ],
        "integrity": parts["integrity"],
    }
    return redact_data(doc)  # type: ignore[no-any-return]
