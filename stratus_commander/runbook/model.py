"""The runbook's model: phases, clocks, checklists, comms, SLA, review, escalation.

Every model is a frozen dataclass that refuses unknown keys; lists keep the file's order (clocks
excepted: they are sorted into :data:`~stratus_commander.runbook.vocabulary.CLOCK_ORDER`).
pydantic validates a file into them (``validate`` in loader.py), reading each field's annotated
type (fields.py); a check on a whole model runs in its ``__post_init__``, once its fields are
valid. Checks that span sections (the cadence, the review deadline and the escalation table agree
with their clocks; a decision's checklist exists) run last, on :class:`Runbook`, and report every
disagreement. Nothing here imports pydantic: a runbook read back from the cache needs none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, get_args

from stratus_commander import validation
from stratus_commander.runbook.fields import (
    After,
    Constrained,
    Duration,
    Id,
    Percent,
    StrictBool,
    Template,
    Text,
    by_impact,
    check_id,
    is_placeholder,
    require,
    requiring,
    unique_ids,
)
from stratus_commander.runbook.vocabulary import (
    CLOCK_ORDER,
    CLOSE_SECTIONS,
    DECLARE_FIELDS,
    IMPACTS,
    MITIGATION_TYPES,
    PHASE_ORDER,
    REVIEW_SECTIONS,
    SERVICES,
    TEMPLATE_NAMES,
    TRIAGE_ORDER,
    Check,
    ClockId,
    DecisionId,
    DeclareFieldId,
    Impact,
    PhaseId,
)
from stratus_commander.timefmt import duration_notation


class _Model:
    """Every model is a frozen dataclass made with keyword arguments only; pydantic (reading
    ``__pydantic_config__``) refuses a key it does not know."""

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Item(_Model):
    """One step of a checklist; ``id`` is what the timeline records when it is ticked."""

    id: Id
    text: Text


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageItem(Item):
    check: Check | None = None  # the probe check group whose evidence answers it

    @property
    def manual(self) -> bool:
        """No probe reads it: the commander ticks it by hand."""
        return self.check is None


Items = Annotated[list[Item], Constrained(min_length=1), After(unique_ids)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Section(_Model):
    id: Id
    title: Text
    items: Items


Sections = Annotated[list[Section], Constrained(min_length=1), After(unique_ids)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Phase(_Model):
    id: PhaseId
    title: Text
    when: Text
    clock: ClockId | None = None  # the clock that times it; mitigate and close have none


def _every_impact(value: dict[str, timedelta]) -> dict[str, timedelta]:
    return by_impact(value) if value else value


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockDef(_Model):
    """One row of the DESIGN.md clock table: due ``due_after`` (or per impact) after ``anchor``."""

    id: ClockId
    label: Text
    anchor: Literal["detected", "declared", "last_update", "resolved"]
    due_after: Duration | None = None
    # Empty, or every impact: a partial table would leave an incident with no deadline.
    due_after_by_impact: Annotated[dict[str, Duration], After(_every_impact)] = field(
        default_factory=dict
    )
    while_unresolved: StrictBool = False

    def __post_init__(self) -> None:
        if (self.due_after is None) == (not self.due_after_by_impact):
            raise ValueError("give exactly one of due_after and due_after_by_impact")

    def due_after_for(self, impact: str) -> timedelta:
        if impact not in IMPACTS:
            raise ValueError(f"unknown impact {impact!r}")
        due = self.due_after_by_impact.get(impact, self.due_after)
        assert due is not None  # __post_init__ guarantees one of the two
        return due


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareField(_Model):
    id: DeclareFieldId
    label: Text
    help: Text
    choices: list[Text] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareExample(_Model):
    title: Text
    scope: Text
    start_time: Text
    impact: Text
    affected_services: Text


def _all_fields(value: list[DeclareField]) -> list[DeclareField]:
    require([f.id for f in value], DECLARE_FIELDS, "declare field")
    for declared in value:
        if declared.id == "scope" and not set(declared.choices) <= set(SERVICES):
            raise ValueError(f"scope choices must be among {', '.join(SERVICES)}")
        if declared.id == "impact" and sorted(declared.choices) != sorted(IMPACTS):
            raise ValueError(f"impact choices must be {', '.join(IMPACTS)}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Declare(_Model):
    fields: Annotated[list[DeclareField], After(_all_fields)]
    example: DeclareExample | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageGroup(_Model):
    id: Check
    title: Text
    items: Annotated[list[TriageItem], Constrained(min_length=1), After(unique_ids)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(_Model):
    id: DecisionId
    label: Text
    action: Text
    routes_to: Literal["mitigate", "escalate"]
    checklist: str | None = None  # mitigation checklist to open straight away


@dataclass(frozen=True, slots=True, kw_only=True)
class Triage(_Model):
    groups: Annotated[
        list[TriageGroup], After(requiring(TRIAGE_ORDER, "triage group", ordered=True))
    ]
    decisions: Annotated[list[Decision], After(requiring(get_args(DecisionId), "decision"))]


@dataclass(frozen=True, slots=True, kw_only=True)
class Comms(_Model):
    update_every: Duration
    status_page_steps: Items
    audience: Annotated[dict[str, Text], After(by_impact)]  # impact → who is told
    templates: Annotated[dict[str, Template], After(requiring(TEMPLATE_NAMES, "template"))]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditStep(_Model):
    below: Percent  # monthly uptime percent under which ...
    credit: Percent  # ... this percent of the monthly fee is credited


@dataclass(frozen=True, slots=True, kw_only=True)
class Sla(_Model):
    target: Percent
    ladder: Annotated[list[CreditStep], Constrained(min_length=1)]

    def __post_init__(self) -> None:
        for upper, lower in zip(self.ladder, self.ladder[1:], strict=False):
            if not (lower.below < upper.below and lower.credit > upper.credit):
                raise ValueError(
                    "ladder: each step must have a lower 'below' and a higher 'credit'"
                )
        if self.ladder[0].below > self.target:
            raise ValueError("ladder: the first step's 'below' must not exceed the target")


@dataclass(frozen=True, slots=True, kw_only=True)
class Close(_Model):
    sections: Annotated[Sections, After(requiring(CLOSE_SECTIONS, "close section"))]


@dataclass(frozen=True, slots=True, kw_only=True)
class Review(_Model):
    deadline: Duration
    sections: Annotated[Sections, After(requiring(REVIEW_SECTIONS, "review section"))]


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation(_Model):
    impact: Impact
    response: Duration
    who: Annotated[list[Text], Constrained(min_length=1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact(_Model):
    role: Text
    phone: Text | None = None
    email: Text | None = None
    portal: Text | None = None
    details: Text | None = None

    def __post_init__(self) -> None:
        if not (self.phone or self.email or self.portal or self.details):
            raise ValueError("give at least one of phone, email, portal, details")


def _url(value: str) -> str:
    if not (is_placeholder(value) or re.match(r"https?://\S+$", value)):
        raise ValueError(f"must be an http(s) URL or a [placeholder] (got {value!r})")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Dashboard(_Model):
    name: Text
    url: Annotated[Text, After(_url)]


def _clocks(value: list[ClockDef]) -> list[ClockDef]:
    require([c.id for c in value], CLOCK_ORDER, "clock")
    return sorted(value, key=lambda c: CLOCK_ORDER.index(c.id))  # the file's order is free


def _mitigation(value: dict[str, list[Item]]) -> dict[str, list[Item]]:
    for issue in value:
        check_id(issue)
    require(list(value), MITIGATION_TYPES, "checklist")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Runbook(_Model):
    name: Text
    subtitle: str = ""
    phases: Annotated[list[Phase], After(requiring(PHASE_ORDER, "phase", ordered=True))]
    clocks: Annotated[list[ClockDef], After(_clocks)]
    declare: Declare
    triage: Triage
    comms: Comms
    mitigation: Annotated[dict[str, Items], After(_mitigation)]
    playbooks: Sections
    close: Close
    sla: Sla
    review: Review
    escalation: Annotated[list[Escalation], After(requiring(IMPACTS, "impact", key="impact"))]
    contacts: list[Contact]
    emergency_contacts: list[Contact]
    dashboards: list[Dashboard]
    reminders: list[Text]
    motto: str = ""

    def __post_init__(self) -> None:
        problems = []
        cadence = self.clock("next_update").due_after
        if cadence != self.comms.update_every:
            problems.append(_disagree("comms.update_every", self.comms.update_every, "next_update"))
        pir = self.clock("pir").due_after
        if pir != self.review.deadline:
            problems.append(_disagree("review.deadline", self.review.deadline, "pir"))
        escalate = self.clock("escalate")
        for i, row in enumerate(self.escalation):
            if row.response != escalate.due_after_for(row.impact):
                problems.append(_disagree(f"escalation[{i}].response", row.response, "escalate"))
        for i, decision in enumerate(self.triage.decisions):
            if decision.checklist is not None and decision.checklist not in self.mitigation:
                problems.append(
                    (
                        f"triage.decisions[{i}].checklist",
                        f"no mitigation checklist {decision.checklist!r}"
                        f" (have {', '.join(self.mitigation)})",
                    )
                )
        if problems:
            raise validation.Problems(problems)

    def clock(self, id: str) -> ClockDef:
        for clock in self.clocks:
            if clock.id == id:
                return clock
        raise KeyError(f"no clock {id!r}")

    def escalation_for(self, impact: str) -> Escalation:
        for row in self.escalation:
            if row.impact == impact:
                return row
        raise KeyError(f"no escalation for impact {impact!r}")


def _disagree(loc: str, value: timedelta, clock: str) -> tuple[str, str]:
    return loc, f"{duration_notation(value)} disagrees with the {clock} clock; make them equal"
