"""The runbook's pydantic model: phases, clocks, checklists, comms, SLA, review, escalation.

Every model is frozen and refuses unknown keys; lists keep the file's order (clocks excepted:
they are sorted into :data:`~stratus_commander.runbook.vocabulary.CLOCK_ORDER`). Checks that span
sections (the cadence, the review deadline and the escalation table agree with their clocks;
a decision's checklist exists) run last, on :class:`Runbook`, and report every disagreement.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from stratus_commander import validation
from stratus_commander.runbook.fields import (
    Duration,
    Id,
    Percent,
    Template,
    Text,
    by_impact,
    check_id,
    is_placeholder,
    require,
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


class _Model(BaseModel):
    # Schemas are built when a runbook is first validated: one read back from the cache
    # (cache.py) needs none.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Item(_Model):
    """One step of a checklist; ``id`` is what the timeline records when it is ticked."""

    id: Id
    text: Text


class TriageItem(Item):
    check: Check | None = None  # the probe check group whose evidence answers it

    @property
    def manual(self) -> bool:
        """No probe reads it: the commander ticks it by hand."""
        return self.check is None


Items = Annotated[list[Item], AfterValidator(unique_ids), Field(min_length=1)]


class Section(_Model):
    id: Id
    title: Text
    items: Items


Sections = Annotated[list[Section], AfterValidator(unique_ids), Field(min_length=1)]


class Phase(_Model):
    id: PhaseId
    title: Text
    when: Text
    clock: ClockId | None = None  # the clock that times it; mitigate and close have none


class ClockDef(_Model):
    """One row of the DESIGN.md clock table: due ``due_after`` (or per impact) after ``anchor``."""

    id: ClockId
    label: Text
    anchor: Literal["detected", "declared", "last_update", "resolved"]
    due_after: Duration | None = None
    # Empty, or every impact: a partial table would leave an incident with no deadline.
    due_after_by_impact: dict[str, Duration] = Field(default_factory=dict)
    while_unresolved: StrictBool = False

    @field_validator("due_after_by_impact")
    @classmethod
    def _every_impact(cls, value: dict[str, timedelta]) -> dict[str, timedelta]:
        return by_impact(value) if value else value

    @model_validator(mode="after")
    def _one_rule(self) -> Self:
        if (self.due_after is None) == (not self.due_after_by_impact):
            raise ValueError("give exactly one of due_after and due_after_by_impact")
        return self

    def due_after_for(self, impact: str) -> timedelta:
        if impact not in IMPACTS:
            raise ValueError(f"unknown impact {impact!r}")
        due = self.due_after_by_impact.get(impact, self.due_after)
        assert due is not None  # _one_rule guarantees one of the two
        return due


class DeclareField(_Model):
    id: DeclareFieldId
    label: Text
    help: Text
    choices: list[Text] = Field(default_factory=list)


class DeclareExample(_Model):
    title: Text
    scope: Text
    start_time: Text
    impact: Text
    affected_services: Text


class Declare(_Model):
    fields: list[DeclareField]
    example: DeclareExample | None = None

    @field_validator("fields")
    @classmethod
    def _all_fields(cls, value: list[DeclareField]) -> list[DeclareField]:
        require([f.id for f in value], DECLARE_FIELDS, "declare field")
        for field in value:
            if field.id == "scope" and not set(field.choices) <= set(SERVICES):
                raise ValueError(f"scope choices must be among {', '.join(SERVICES)}")
            if field.id == "impact" and sorted(field.choices) != sorted(IMPACTS):
                raise ValueError(f"impact choices must be {', '.join(IMPACTS)}")
        return value


class TriageGroup(_Model):
    id: Check
    title: Text
    items: Annotated[list[TriageItem], AfterValidator(unique_ids), Field(min_length=1)]


class Decision(_Model):
    id: DecisionId
    label: Text
    action: Text
    routes_to: Literal["mitigate", "escalate"]
    checklist: str | None = None  # mitigation checklist to open straight away


class Triage(_Model):
    groups: list[TriageGroup]
    decisions: list[Decision]

    @field_validator("groups")
    @classmethod
    def _in_order(cls, value: list[TriageGroup]) -> list[TriageGroup]:
        require([g.id for g in value], TRIAGE_ORDER, "triage group", ordered=True)
        return value

    @field_validator("decisions")
    @classmethod
    def _every_decision(cls, value: list[Decision]) -> list[Decision]:
        require([d.id for d in value], ("internal", "external", "unknown"), "decision")
        return value


class Comms(_Model):
    update_every: Duration
    status_page_steps: Items
    audience: Annotated[dict[str, Text], AfterValidator(by_impact)]  # impact → who is told
    templates: dict[str, Template]

    @field_validator("templates")
    @classmethod
    def _required_templates(cls, value: dict[str, str]) -> dict[str, str]:
        require(list(value), TEMPLATE_NAMES, "template")
        return value


class CreditStep(_Model):
    below: Percent  # monthly uptime percent under which ...
    credit: Percent  # ... this percent of the monthly fee is credited


class Sla(_Model):
    target: Percent
    ladder: Annotated[list[CreditStep], Field(min_length=1)]

    @model_validator(mode="after")
    def _ladder_descends(self) -> Self:
        for upper, lower in zip(self.ladder, self.ladder[1:], strict=False):
            if not (lower.below < upper.below and lower.credit > upper.credit):
                raise ValueError(
                    "ladder: each step must have a lower 'below' and a higher 'credit'"
                )
        if self.ladder[0].below > self.target:
            raise ValueError("ladder: the first step's 'below' must not exceed the target")
        return self


class Close(_Model):
    sections: Sections

    @field_validator("sections")
    @classmethod
    def _required(cls, value: list[Section]) -> list[Section]:
        require([s.id for s in value], CLOSE_SECTIONS, "close section")
        return value


class Review(_Model):
    deadline: Duration
    sections: Sections

    @field_validator("sections")
    @classmethod
    def _required(cls, value: list[Section]) -> list[Section]:
        require([s.id for s in value], REVIEW_SECTIONS, "review section")
        return value


class Escalation(_Model):
    impact: Impact
    response: Duration
    who: Annotated[list[Text], Field(min_length=1)]


class Contact(_Model):
    role: Text
    phone: Text | None = None
    email: Text | None = None
    portal: Text | None = None
    details: Text | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if not (self.phone or self.email or self.portal or self.details):
            raise ValueError("give at least one of phone, email, portal, details")
        return self


class Dashboard(_Model):
    name: Text
    url: Text

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not (is_placeholder(value) or re.match(r"https?://\S+$", value)):
            raise ValueError(f"must be an http(s) URL or a [placeholder] (got {value!r})")
        return value


class Runbook(_Model):
    name: Text
    subtitle: str = ""
    phases: list[Phase]
    clocks: list[ClockDef]
    declare: Declare
    triage: Triage
    comms: Comms
    mitigation: dict[str, Items]
    playbooks: Sections
    close: Close
    sla: Sla
    review: Review
    escalation: list[Escalation]
    contacts: list[Contact]
    emergency_contacts: list[Contact]
    dashboards: list[Dashboard]
    reminders: list[Text]
    motto: str = ""

    @field_validator("phases")
    @classmethod
    def _phases(cls, value: list[Phase]) -> list[Phase]:
        require([p.id for p in value], PHASE_ORDER, "phase", ordered=True)
        return value

    @field_validator("clocks")
    @classmethod
    def _clocks(cls, value: list[ClockDef]) -> list[ClockDef]:
        require([c.id for c in value], CLOCK_ORDER, "clock")
        return sorted(value, key=lambda c: CLOCK_ORDER.index(c.id))  # the file's order is free

    @field_validator("mitigation")
    @classmethod
    def _mitigation(cls, value: dict[str, list[Item]]) -> dict[str, list[Item]]:
        for issue in value:
            check_id(issue)
        require(list(value), MITIGATION_TYPES, "checklist")
        return value

    @field_validator("escalation")
    @classmethod
    def _escalation(cls, value: list[Escalation]) -> list[Escalation]:
        require([e.impact for e in value], IMPACTS, "impact")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
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
        return self

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
