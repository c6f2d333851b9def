"""The JSON export's document as pydantic models, one per part; :func:`document_schema` is its
JSON Schema for whoever reads the exports.

The document is built from each record's own ``as_json``
(:func:`~stratus_commander.export.document.incident_document`); these models describe it, so the
bytes of an export do not depend on them (nor does exporting pay for building them). The tests
validate real exports against them (``ExportDocument.model_validate_json(text)``) and check that
they name every key an export writes, so the description stays true. Validation is strict (a
number is not a string), and keys the models do not name are allowed: a later version of the same
format may add keys, never change them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stratus_commander.incident.deadlines import ClockState
from stratus_commander.review import CheckState
from stratus_commander.runbook import Impact

__all__ = ["ExportDocument", "document_schema"]

Time = Annotated[str, Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
#: Money and percentages as decimal text: exact, unlike a JSON number.
DecimalText = Annotated[str, Field(pattern=r"^\d+(\.\d+)?$")]
Hash = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)


class IncidentPart(_Part):
    id: int
    label: str
    title: str
    status: Literal["investigating", "identified", "monitoring", "resolved", "closed"]
    impact: Impact
    scope: list[str]
    affected_services: list[str]
    drill: bool
    detected_at: Time
    declared_at: Time
    triaged_at: Time | None
    triage_decision: Literal["internal", "external", "unknown"] | None
    first_update_at: Time | None
    last_update_at: Time | None
    escalated_at: Time | None
    mitigated_at: Time | None
    resolved_at: Time | None
    closed_at: Time | None
    review_done_at: Time | None
    event_count: int
    head_hash: Hash


class ClockPart(_Part):
    id: str
    label: str
    state: ClockState
    due_at: Time | None
    met_at: Time | None
    met_late: bool  # state "late": met after its deadline


class EventPart(_Part):
    seq: int
    at: Time
    kind: str
    actor: str
    text: str
    data: dict[str, Any]
    hash: Hash


class MilestonePart(_Part):
    at: Time
    category: str
    label: str
    seq: int | None


class DurationPart(_Part):
    id: str
    label: str
    definition: str
    start: Time | None
    end: Time | None
    seconds: float | None
    text: str
    target_seconds: float | None
    target_text: str | None
    met: bool | None  # on time; False when done after the target (late_seconds says by how much)
    late_seconds: float | None
    impossible: bool


class UpdateWindowPart(_Part):
    start: Time  # the status update that opened it
    due: Time
    end: Time | None  # the next update or the resolution; null while it runs
    kept: bool | None  # null: running, not yet due
    gap_seconds: float | None
    late_seconds: float | None


class CadencePart(_Part):
    every_seconds: float
    updates: int
    kept: int
    missed: int
    windows: list[UpdateWindowPart]
    longest_gap: UpdateWindowPart | None


class OrderProblemPart(_Part):
    first: str
    second: str
    message: str


class ImpactPart(_Part):
    affected_users: int | None
    financial_impact: str
    reputation: str
    credits_issued: str


class PeriodPart(_Part):
    start: Time
    end: Time
    label: str


class UptimePart(_Part):
    groups: list[str]
    period: PeriodPart
    period_minutes: int
    maintenance_minutes: int
    counted_minutes: int
    down_minutes: int
    unobserved_minutes: int
    uptime_percent: DecimalText | None


class UptimeTablesPart(_Part):
    window: dict[str, UptimePart]  # per check group
    months: dict[str, dict[str, UptimePart]]  # YYYY-MM -> per check group


class LessonPart(_Part):
    step: str
    text: str


class ClosePart(_Part):
    answers: dict[str, str]  # "section.item" -> text
    checklist: dict[str, CheckState]
    fix_applied: str
    learnings: list[LessonPart]


class RcaPart(_Part):
    item: str
    question: str
    answer: str


class ActionItemPart(_Part):
    id: int
    category: str
    text: str
    owner: str
    deadline: Time | None
    status: Literal["open", "done"]
    created_at: Time
    done_at: Time | None
    overdue: bool


class FollowUpPart(_Part):
    meeting_at: Time | None
    meeting_scheduled: bool
    unassigned: int
    without_deadline: int
    done: int
    total: int


class ReviewPart(_Part):
    deadline: Time | None
    deadline_state: Literal["waiting", "pending", "overdue", "done", "done late"]
    completed_at: Time | None
    milestones: list[MilestonePart]
    durations: list[DurationPart]
    cadence: CadencePart
    order_problems: list[OrderProblemPart]
    impact: ImpactPart
    uptime: UptimeTablesPart
    close: ClosePart | None
    rca: list[RcaPart]
    action_items: list[ActionItemPart]
    follow_up: FollowUpPart
    record_problems: list[str]


class CreditStepPart(_Part):
    below: DecimalText
    credit: DecimalText


class MaintenancePart(_Part):
    start: Time
    end: Time
    reason: str


class AccountCreditPart(_Part):
    account_id: str
    name: str
    monthly_fee: DecimalText
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")]
    groups: list[str]
    uptime: UptimePart
    credit_percent: DecimalText
    due: DecimalText
    previously_credited: DecimalText
    amount: DecimalText
    explanation: str


class CreditMonthPart(_Part):
    incident_id: int
    month: Annotated[str, Field(pattern=r"^\d{4}-\d\d$")]
    month_label: str
    ladder: list[CreditStepPart]
    maintenance: list[MaintenancePart]
    window_uptime: dict[str, UptimePart]
    month_uptime: dict[str, UptimePart]
    accounts: list[AccountCreditPart]
    totals: dict[str, DecimalText]  # per currency
    computed_at: Time
    source: str


class CreditsPart(_Part):
    incident_id: int
    months: list[CreditMonthPart]
    totals: dict[str, DecimalText]  # per currency, over the months


class LearningPart(_Part):
    id: int
    incident: str
    incident_title: str
    step: str
    text: str
    actor: str
    created_at: Time


class IntegrityPart(_Part):
    verified: bool
    events: int
    broken_at: int | None
    reason: str
    head_hash: Hash
    records_match: bool
    record_problems: list[str]


class ExportDocument(_Part):
    """Stratus Commander incident export: an incident, its review and credits, and whether its
    timeline's hash chain verified."""

    model_config = ConfigDict(title="Stratus Commander incident export")

    format: Literal["stratus-commander-incident/3"]  # export.document.FORMAT_ID
    exported_at: Time
    app_version: str
    incident: IncidentPart
    clocks: list[ClockPart]
    timeline: list[EventPart]
    review: ReviewPart
    credits: CreditsPart | None
    learnings: list[LearningPart]
    integrity: IntegrityPart


def document_schema() -> dict[str, Any]:
    """The export's JSON Schema (draft 2020-12)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **ExportDocument.model_json_schema(),
    }
