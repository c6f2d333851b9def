"""The post-incident review of one incident (:class:`Review`), computed from the store alone.

:func:`build_review` reads the records once (:func:`~.records.load_records`), measures the uptime
unless stored credits carry it (:mod:`.uptime`) and computes the rest (:mod:`.analysis`). The
review desk does the same in two steps so that it can show the review before the uptime is
measured: :func:`review_from` with the :func:`~.uptime.stored_uptime` (``None`` when there is
none), then :func:`with_uptime` once :func:`~.uptime.measure_review_uptime` has measured it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from stratus_commander.clock import to_iso
from stratus_commander.credits import IncidentCredits, Uptime
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.cadence import Cadence, update_cadence
from stratus_commander.incident.deadlines import clocks
from stratus_commander.review.analysis import (
    Duration,
    FollowUp,
    Milestone,
    OrderProblem,
    durations,
    follow_up,
    milestones,
    order_problems,
    rca,
    record_problems,
)
from stratus_commander.review.records import (
    ActionItem,
    CloseRecord,
    ImpactAssessment,
    ReviewRecords,
    load_records,
)
from stratus_commander.review.uptime import ReviewUptime, measure_review_uptime, stored_uptime
from stratus_commander.runbook import Runbook
from stratus_commander.timeline import Verification

__all__ = ["Review", "build_review", "review_from", "with_uptime"]


@dataclass(frozen=True)
class Review:
    incident: Incident
    now: datetime
    milestones: tuple[Milestone, ...]
    durations: tuple[Duration, ...]
    cadence: Cadence  # every update window from the first status update to the resolution
    order_problems: tuple[OrderProblem, ...]
    deadline: datetime | None  # resolution + the runbook's review deadline
    deadline_state: Literal["waiting", "pending", "overdue", "done", "done late"]
    impact: ImpactAssessment
    credits: IncidentCredits | None
    window_uptime: Mapping[str, Uptime]  # per check group
    monthly_uptime: Mapping[str, Mapping[str, Uptime]]  # "YYYY-MM" -> check group -> uptime
    close: CloseRecord | None
    rca: tuple[tuple[str, str, str], ...]  # (item id, question, answer) of the review's RCA
    action_items: tuple[ActionItem, ...]
    follow_up: FollowUp
    chain: Verification
    record_problems: tuple[str, ...]  # stored records that no longer match their events

    @property
    def overdue_items(self) -> list[ActionItem]:
        return [i for i in self.action_items if i.overdue(self.now)]

    @property
    def credits_issued(self) -> str:
        return self.credits.summary() if self.credits else "Not calculated"

    @property
    def month_uptime(self) -> Mapping[str, Uptime]:
        """The first month's (the month of detection, unless it held no down time)."""
        return next(iter(self.monthly_uptime.values()), {})

    def as_json(self) -> dict[str, Any]:
        return {
            "deadline": to_iso(self.deadline) if self.deadline else None,
            "deadline_state": self.deadline_state,
            "completed_at": (
                to_iso(self.incident.review_done_at) if self.incident.review_done_at else None
            ),
            "milestones": [
                {"at": to_iso(m.at), "category": m.category, "label": m.label, "seq": m.seq}
                for m in self.milestones
            ],
            "durations": [d.as_json() for d in self.durations],
            "cadence": self.cadence.as_json(),
            "order_problems": [
                {"first": p.first, "second": p.second, "message": p.message}
                for p in self.order_problems
            ],
            "impact": {**self.impact.as_json(), "credits_issued": self.credits_issued},
            "uptime": {
                "window": {g: u.as_json() for g, u in self.window_uptime.items()},
                "months": {
                    month: {g: u.as_json() for g, u in groups.items()}
                    for month, groups in self.monthly_uptime.items()
                },
            },
            "close": self.close.as_json() if self.close else None,
            "rca": [{"item": i, "question": q, "answer": a} for i, q, a in self.rca],
            "action_items": [i.as_json(self.now) for i in self.action_items],
            "follow_up": self.follow_up.as_json(),
            "record_problems": list(self.record_problems),
        }


def build_review(
    incidents: Incidents, runbook: Runbook, incident_id: int, now: datetime | None = None
) -> Review:
    """The post-incident review of one incident, computed from the store alone (offline)."""
    records = load_records(incidents, incident_id)
    now = now or incidents.clock.now()
    uptime = stored_uptime(records)
    if uptime is None:
        uptime = measure_review_uptime(incidents.store, records.incident, now)
    return review_from(records, runbook, now, uptime)


def review_from(
    records: ReviewRecords, runbook: Runbook, now: datetime, uptime: ReviewUptime | None
) -> Review:
    """The review computed from ``records``; ``uptime`` None: not measured yet, the review's
    uptime mappings are empty until :func:`with_uptime` adds it."""
    incident = records.incident
    pir_clock = next(c for c in clocks(incident, runbook, now) if c.id == "pir")
    state: Any
    if incident.resolved_at is None:
        state = "waiting"
    elif incident.review_done_at is not None:
        state = "done late" if pir_clock.met_late else "done"
    else:
        state = "overdue" if pir_clock.state.value == "overdue" else "pending"
    return Review(
        incident=incident,
        now=now,
        milestones=milestones(incident, records.events, records.evidence),
        durations=durations(incident, runbook, records.evidence),
        cadence=update_cadence(incident, records.events, runbook, now),
        order_problems=tuple(order_problems(incident, records.events)),
        deadline=pir_clock.due_at,
        deadline_state=state,
        impact=records.pir.impact,
        credits=records.credits,
        window_uptime=uptime.window if uptime else {},
        monthly_uptime=uptime.months if uptime else {},
        close=records.close,
        rca=rca(runbook, records.pir, records.close),
        action_items=records.action_items,
        follow_up=follow_up(records.pir, records.action_items),
        chain=records.chain,
        record_problems=tuple(record_problems(records)),
    )


def with_uptime(review: Review, uptime: ReviewUptime) -> Review:
    """``review`` with its measured uptime."""
    return replace(review, window_uptime=uptime.window, monthly_uptime=uptime.months)
