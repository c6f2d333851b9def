"""The review's stored records, and reading all of them at once.

The close record (:class:`CloseRecord`), the review's own record (:class:`PirRecord` with its
:class:`ImpactAssessment`) and the action items (:class:`ActionItem`) are stored in the
``reviews`` / ``action_items`` tables beside the timeline. :func:`load_records` reads everything a
review is computed from (those records, the timeline, the stored credits, the first failing probe
evidence) once, into a :class:`ReviewRecords`; the pure functions of :mod:`.analysis` take it from
there. Writing them is :mod:`.saving`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from stratus_commander.clock import from_iso, from_ms, to_iso, to_ms
from stratus_commander.credits import CreditReport, IncidentCredits, stored_reports
from stratus_commander.incident import Incident, Incidents
from stratus_commander.store import Store
from stratus_commander.timeline import DEBRIEF_ONLY_KINDS, Event, Verification, verify

__all__ = [
    "CHECK_STATES",
    "EVIDENCE_LOOKBACK",
    "ActionItem",
    "CheckState",
    "CloseRecord",
    "ImpactAssessment",
    "PirRecord",
    "ReviewRecords",
    "action_items",
    "item_from_row",
    "load_records",
    "stored_close",
    "stored_pir",
]

CheckState = Literal["done", "not_needed", "deferred"]
CHECK_STATES: tuple[CheckState, ...] = ("done", "not_needed", "deferred")
#: How far before detection a probe flip still counts as the first failing evidence.
EVIDENCE_LOOKBACK = timedelta(hours=1)


@dataclass(frozen=True)
class CloseRecord:
    """What the commander wrote at close, keyed by runbook ids ``section.item``."""

    answers: Mapping[str, str] = field(default_factory=dict)
    checklist: Mapping[str, CheckState] = field(default_factory=dict)
    fix_applied: str = ""
    learnings: tuple[tuple[str, str], ...] = ()  # (runbook step, lesson)

    def as_json(self) -> dict[str, Any]:
        return {
            "answers": dict(self.answers),
            "checklist": dict(self.checklist),
            "fix_applied": self.fix_applied,
            "learnings": [{"step": s, "text": t} for s, t in self.learnings],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CloseRecord:
        return cls(
            answers=dict(data.get("answers", {})),
            checklist=dict(data.get("checklist", {})),
            fix_applied=data.get("fix_applied", ""),
            learnings=tuple((x["step"], x["text"]) for x in data.get("learnings", [])),
        )

    def merged(self, other: CloseRecord) -> CloseRecord:
        """``other``'s non-empty values over this record (CLI options over a file)."""
        return CloseRecord(
            answers={**self.answers, **{k: v for k, v in other.answers.items() if v}},
            checklist={**self.checklist, **other.checklist},
            fix_applied=other.fix_applied or self.fix_applied,
            learnings=tuple(dict.fromkeys(self.learnings + other.learnings)),
        )


@dataclass(frozen=True)
class ImpactAssessment:
    affected_users: int | None = None
    financial_impact: str = ""
    reputation: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "affected_users": self.affected_users,
            "financial_impact": self.financial_impact,
            "reputation": self.reputation,
        }


@dataclass(frozen=True)
class PirRecord:
    impact: ImpactAssessment = ImpactAssessment()
    meeting_at: datetime | None = None
    answers: Mapping[str, str] = field(default_factory=dict)  # review.root_cause items

    def as_json(self) -> dict[str, Any]:
        return {
            "impact": self.impact.as_json(),
            "meeting_at": to_iso(self.meeting_at) if self.meeting_at else None,
            "answers": dict(self.answers),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PirRecord:
        impact = data.get("impact", {})
        return cls(
            impact=ImpactAssessment(
                impact.get("affected_users"),
                impact.get("financial_impact", ""),
                impact.get("reputation", ""),
            ),
            meeting_at=from_iso(data["meeting_at"]) if data.get("meeting_at") else None,
            answers=dict(data.get("answers", {})),
        )


@dataclass(frozen=True)
class ActionItem:
    id: int
    incident_id: int
    category: str  # an item id of the runbook's review "action_items" section
    text: str
    owner: str
    deadline: datetime | None
    status: Literal["open", "done"]
    created_at: datetime
    done_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.deadline is not None and self.deadline < now

    def as_json(self, now: datetime | None = None) -> dict[str, Any]:
        out = {
            "id": self.id,
            "category": self.category,
            "text": self.text,
            "owner": self.owner,
            "deadline": to_iso(self.deadline) if self.deadline else None,
            "status": self.status,
            "created_at": to_iso(self.created_at),
            "done_at": to_iso(self.done_at) if self.done_at else None,
        }
        if now is not None:
            out["overdue"] = self.overdue(now)
        return out


def item_from_row(r: Mapping[str, Any]) -> ActionItem:
    return ActionItem(
        id=r["id"],
        incident_id=r["incident_id"],
        category=r["category"],
        text=r["text"],
        owner=r["owner"],
        deadline=from_iso(r["deadline"]) if r["deadline"] else None,
        status=r["status"],
        created_at=from_iso(r["created_at"]),
        done_at=from_iso(r["done_at"]) if r["done_at"] else None,
    )


# ---------------------------------------------------------------- reading one record


def _close_from(found: tuple[Any, Any] | None) -> CloseRecord | None:
    return None if found is None or found[0] is None else CloseRecord.from_json(found[0])


def _pir_from(found: tuple[Any, Any] | None) -> PirRecord:
    return PirRecord() if found is None or found[1] is None else PirRecord.from_json(found[1])


def stored_close(store: Store, incident_id: int) -> CloseRecord | None:
    return _close_from(store.review_record(incident_id))


def stored_pir(store: Store, incident_id: int) -> PirRecord:
    return _pir_from(store.review_record(incident_id))


def action_items(store: Store, incident_id: int) -> list[ActionItem]:
    return [item_from_row(r) for r in store.action_item_rows(incident_id)]


# ---------------------------------------------------------------- reading them all, once


@dataclass(frozen=True)
class ReviewRecords:
    """Everything stored that one incident's review is computed from, read once."""

    incident: Incident
    events: tuple[Event, ...]
    chain: Verification  # the timeline's hash chain against the incident row's head
    close: CloseRecord | None
    pir: PirRecord  # empty when none is stored
    action_items: tuple[ActionItem, ...]
    credit_reports: tuple[tuple[CreditReport, str], ...]  # (report, digest stored beside it)
    evidence: datetime | None  # the first failing probe flip shortly before detection

    @property
    def credits(self) -> IncidentCredits | None:
        """The stored credits (as :func:`~stratus_commander.credits.stored_credits` reads them)."""
        reports = tuple(report for report, _ in self.credit_reports)
        return IncidentCredits(self.incident.id, reports) if reports else None


def load_records(incidents: Incidents, incident_id: int) -> ReviewRecords:
    """Read the incident's review records (:class:`ReviewRecords`); ``NotFound`` if none."""
    incident = incidents.get(incident_id)
    store = incidents.store
    events = store.events(incident_id)
    found = store.review_record(incident_id)
    return ReviewRecords(
        incident=incident,
        # The review shows the ordinary timeline (a drill's tab views are the debrief's); the
        # chain is checked whole.
        events=tuple(e for e in events if e.kind not in DEBRIEF_ONLY_KINDS),
        chain=verify(events, store.timeline_head(incident_id)),
        close=_close_from(found),
        pir=_pir_from(found),
        action_items=tuple(action_items(store, incident_id)),
        credit_reports=tuple(stored_reports(store, incident_id)),
        evidence=_first_evidence(store, incident),
    )


def _first_evidence(store: Store, incident: Incident) -> datetime | None:
    lo = to_ms(incident.detected_at - EVIDENCE_LOOKBACK)
    at = store.first_failing_flip(lo, to_ms(incident.detected_at))
    return from_ms(at) if at is not None else None
