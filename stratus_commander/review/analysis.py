"""What a review says, computed from its records alone (pure functions, no store).

Milestones (:func:`milestones`), durations with their definitions and the runbook's targets
(:func:`durations`), impossible orders (:func:`order_problems`), stored records that no longer
match the timeline (:func:`record_problems`), the review's root cause analysis (:func:`rca`) and
the follow-up (:func:`follow_up`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from stratus_commander.clock import to_iso
from stratus_commander.incident import Incident
from stratus_commander.review.records import (
    EVIDENCE_LOOKBACK,
    ActionItem,
    CloseRecord,
    PirRecord,
    ReviewRecords,
)
from stratus_commander.runbook import Runbook, Section
from stratus_commander.store import digest
from stratus_commander.timefmt import human_duration
from stratus_commander.timeline import Event

__all__ = [
    "Duration",
    "FollowUp",
    "Milestone",
    "OrderProblem",
    "durations",
    "follow_up",
    "milestones",
    "order_problems",
    "rca",
    "record_problems",
    "review_section",
]


@dataclass(frozen=True)
class Milestone:
    at: datetime
    category: Literal[
        "detection", "response", "mitigation", "resolution", "communication", "review"
    ]
    label: str
    seq: int | None = None  # the timeline event it comes from


@dataclass(frozen=True)
class Duration:
    id: str
    label: str
    definition: str
    start: datetime | None
    end: datetime | None
    target: timedelta | None = None

    @property
    def value(self) -> timedelta | None:
        return self.end - self.start if self.start and self.end else None

    @property
    def impossible(self) -> bool:
        return self.value is not None and self.value < timedelta(0)

    @property
    def met(self) -> bool | None:
        """On time; a measure done after its target is not met (it is :attr:`late_by`)."""
        if self.value is None or self.target is None or self.impossible:
            return None
        return self.value <= self.target

    @property
    def late_by(self) -> timedelta | None:
        """How far past its target the measure ended (``None`` unless it ended LATE)."""
        if self.met is not False or self.value is None or self.target is None:
            return None
        return self.value - self.target

    def as_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "id": self.id,
            "label": self.label,
            "definition": self.definition,
            "start": to_iso(self.start) if self.start else None,
            "end": to_iso(self.end) if self.end else None,
            "seconds": value.total_seconds() if value is not None else None,
            "text": human_duration(value),
            "target_seconds": self.target.total_seconds() if self.target else None,
            "target_text": human_duration(self.target) if self.target else None,
            "met": self.met,
            "late_seconds": late.total_seconds() if (late := self.late_by) is not None else None,
            "impossible": self.impossible,
        }


@dataclass(frozen=True)
class OrderProblem:
    first: str
    second: str
    message: str


@dataclass(frozen=True)
class FollowUp:
    meeting_at: datetime | None
    unassigned: int
    without_deadline: int
    done: int
    total: int

    def as_json(self) -> dict[str, Any]:
        return {
            "meeting_at": to_iso(self.meeting_at) if self.meeting_at else None,
            "meeting_scheduled": self.meeting_at is not None,
            "unassigned": self.unassigned,
            "without_deadline": self.without_deadline,
            "done": self.done,
            "total": self.total,
        }


def durations(
    incident: Incident, runbook: Runbook, evidence: datetime | None
) -> tuple[Duration, ...]:
    """Each measure of the response, defined, with the runbook's target where it has one."""

    def due(clock_id: str) -> timedelta:
        return runbook.clock(clock_id).due_after_for(incident.impact)

    i = incident
    return (
        Duration(
            "detect",
            "Time to detect",
            "From the first failing probe evidence (the earliest probe flip to down or degraded "
            f"in the {human_duration(EVIDENCE_LOOKBACK)} before detection) to the recorded "
            "detection time; zero when no probe saw it earlier.",
            evidence or i.detected_at,
            i.detected_at,
        ),
        Duration(
            "declare",
            "Time to declare",
            "From detection (first failing evidence, or the time entered by hand) to the "
            "declaration.",
            i.detected_at,
            i.declared_at,
            due("declare"),
        ),
        Duration(
            "triage",
            "Time to triage",
            "From the declaration to the first triage decision (internal, external or unknown).",
            i.declared_at,
            i.triaged_at,
            due("triage"),
        ),
        Duration(
            "first_update",
            "Time to first update",
            "From the declaration to the first status update sent.",
            i.declared_at,
            i.first_update_at,
            due("communicate"),
        ),
        Duration(
            "escalate",
            "Time to escalate",
            "From the declaration to the first escalation.",
            i.declared_at,
            i.escalated_at,
            due("escalate"),
        ),
        Duration(
            "mitigate",
            "Time to mitigate",
            "From the declaration to the first move to “monitoring” (a fix in place, watching).",
            i.declared_at,
            i.mitigated_at,
        ),
        Duration(
            "resolve",
            "Time to resolve",
            "From detection to resolution: how long the incident lasted as we saw it.",
            i.detected_at,
            i.resolved_at,
        ),
        Duration(
            "review",
            "Time to review",
            "From resolution to the completed post-incident review.",
            i.resolved_at,
            i.review_done_at,
            runbook.review.deadline,
        ),
    )


_ORDER_RULES = (
    ("detected_at", "declared_at", "detected after it was declared"),
    ("declared_at", "triaged_at", "triaged before it was declared"),
    ("declared_at", "first_update_at", "first status update before the declaration"),
    ("declared_at", "escalated_at", "escalated before it was declared"),
    ("declared_at", "mitigated_at", "mitigated before it was declared"),
    ("detected_at", "resolved_at", "resolved before it was detected"),
    ("declared_at", "resolved_at", "resolved before it was declared"),
    ("mitigated_at", "resolved_at", "mitigated after it was resolved"),
    ("resolved_at", "closed_at", "closed before it was resolved"),
    ("resolved_at", "review_done_at", "review completed before resolution"),
)


def order_problems(incident: Incident, events: Sequence[Event]) -> list[OrderProblem]:
    """Milestones in an impossible order, and timeline events recorded back in time (an event
    entered after the fact with the time it happened, ``data["entered_at"]``, is timed back on
    purpose: only the events timed as they were recorded are compared)."""
    out = []
    for first, second, message in _ORDER_RULES:
        a, b = getattr(incident, first), getattr(incident, second)
        if a is not None and b is not None and b < a:
            out.append(
                OrderProblem(
                    first, second, f"{message} ({second} {to_iso(b)} < {first} {to_iso(a)})"
                )
            )
    as_recorded = [e for e in events if "entered_at" not in e.data]
    for prev, ev in pairwise(as_recorded):
        if ev.at < prev.at:
            out.append(
                OrderProblem(
                    f"event {prev.seq}",
                    f"event {ev.seq}",
                    f"event {ev.seq} ({ev.kind}) is timed {to_iso(ev.at)}, before event "
                    f"{prev.seq} ({prev.kind}) at {to_iso(prev.at)}: a clock went back",
                )
            )
    return out


_MILESTONE_KINDS: dict[str, tuple[Any, str]] = {
    "decision": ("response", "Triage decision"),
    "escalated": ("response", "Escalated"),
    "call_logged": ("response", "Call logged"),
    "message_sent": ("communication", "Status update sent"),
    "closed": ("resolution", "Closed"),
    "credits": ("review", "Service credits calculated"),
}


def milestones(
    incident: Incident, events: Sequence[Event], evidence: datetime | None
) -> tuple[Milestone, ...]:
    """Detection, response, mitigation, resolution, communication and review, in time order."""
    out = []
    if evidence is not None and evidence < incident.detected_at:
        out.append(Milestone(evidence, "detection", "First failing probe evidence"))
    out.append(Milestone(incident.detected_at, "detection", "Detected"))
    for ev in events:
        if ev.kind == "declared":
            out.append(Milestone(ev.at, "response", "Declared", ev.seq))
        elif ev.kind == "status_changed":
            to = str(ev.data.get("to"))
            category = {"monitoring": "mitigation", "resolved": "resolution"}.get(to, "response")
            out.append(Milestone(ev.at, category, f"Status → {to}", ev.seq))  # type: ignore[arg-type]
        elif ev.kind in _MILESTONE_KINDS:
            category, label = _MILESTONE_KINDS[ev.kind]
            detail = f": {ev.text}" if ev.kind in ("message_sent", "escalated") and ev.text else ""
            out.append(Milestone(ev.at, category, label + detail, ev.seq))
        elif ev.kind == "review" and ev.data.get("completed"):
            out.append(Milestone(ev.at, "review", "Post-incident review completed", ev.seq))
    return tuple(sorted(out, key=lambda m: (m.at, m.seq or 0)))


def record_problems(records: ReviewRecords) -> list[str]:
    """Stored records whose digest no longer matches the last event that covered them."""
    events = records.events
    problems = []
    closed = [e for e in events if e.kind == "closed"]
    close = records.close
    if closed and (close is None or digest(close.as_json()) != closed[-1].data.get("digest")):
        problems.append("the stored close record differs from the one the timeline recorded")
    # One "credits" event per month calculated; the last one of each month covers its report.
    recorded = {e.data.get("month"): e.data.get("digest") for e in events if e.kind == "credits"}
    stored = {report.month: (report, kept) for report, kept in records.credit_reports}
    for month, said in recorded.items():
        if month not in stored:
            problems.append(f"the credits for {month} the timeline recorded are not stored")
        elif stored[month][1] != said:
            problems.append(
                f"the stored credits for {month} differ from the ones the timeline recorded"
            )
    for month in stored.keys() - recorded.keys():
        problems.append(f"the stored credits for {month} are not in the timeline")
    for month, (report, kept) in stored.items():
        if kept != report.digest():
            problems.append(
                f"the stored credits for {month} were edited after they were calculated"
            )
    pir_events = [e for e in events if e.kind == "review" and "digest" in e.data]
    if pir_events and digest(records.pir.as_json()) != pir_events[-1].data["digest"]:
        problems.append("the stored review differs from the one the timeline recorded")
    items = {i.id: i for i in records.action_items}
    last_item: dict[int, Mapping[str, Any]] = {}
    for e in events:
        if e.kind == "review" and "action_item" in e.data:
            last_item[e.data["action_item"]["id"]] = e.data["action_item"]
    for item_id, data in last_item.items():
        item = items.get(item_id)
        if item is None or item.as_json() != data:
            problems.append(f"action item #{item_id} differs from the timeline's record of it")
    for item_id in items.keys() - last_item.keys():
        problems.append(f"action item #{item_id} is not in the timeline")
    return problems


def follow_up(pir: PirRecord, items: Sequence[ActionItem]) -> FollowUp:
    """The review meeting and how far the action items are."""
    return FollowUp(
        pir.meeting_at,
        unassigned=sum(1 for i in items if not i.owner),
        without_deadline=sum(1 for i in items if i.deadline is None),
        done=sum(1 for i in items if i.status == "done"),
        total=len(items),
    )


def review_section(runbook: Runbook, section_id: str) -> Section | None:
    """The runbook's review section ``section_id`` (``root_cause``, ``action_items``), if any."""
    return next((s for s in runbook.review.sections if s.id == section_id), None)


#: The review's RCA questions answered at close when the review leaves them empty.
_RCA_FROM_CLOSE = {
    "what-happened": "root_cause_analysis.document-what-happened",
    "why": "root_cause_analysis.identify-root-cause",
    "prevention": "lessons_learned.prevention",
}


def rca(
    runbook: Runbook, pir: PirRecord, close: CloseRecord | None
) -> tuple[tuple[str, str, str], ...]:
    """(item id, question, answer) of the review's root cause section; an answer left empty
    there is taken from the close record when it asked the same."""
    section = review_section(runbook, "root_cause")
    if section is None:
        return ()
    out = []
    for item in section.items:
        answer = pir.answers.get(item.id, "")
        if not answer and close is not None and item.id in _RCA_FROM_CLOSE:
            answer = close.answers.get(_RCA_FROM_CLOSE[item.id], "")
        out.append((item.id, item.text, answer))
    return tuple(out)
