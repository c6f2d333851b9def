"""The runbook as validated data: schema, loader and the ``runbook check`` summary.

The bundled runbook is ``resources/runbooks/stratusconnect.toml`` (the company's seed runbook); a
user may point ``--runbook`` at an edited copy. :func:`load_runbook` reports every problem of a file
at once, one line each: ``<file>: <key.path>: <message>``.

Public surface (models are frozen; lists keep the file's order)::

    Runbook
      .name, .subtitle, .motto, .reminders[i]
      .phases[i]              Phase: id (PHASE_ORDER, in that order), title, when, clock (id | None)
      .clocks[i]              ClockDef, in CLOCK_ORDER (the DESIGN.md table) whatever the file's
                                order; .clock(id), clock.due_after_for(impact)
      .declare.fields[i]      DeclareField: id, label, help, choices; .declare.example
      .triage.groups[i]       TriageGroup: id (TRIAGE_ORDER, in that order), title,
                                .items[j] TriageItem: id, text, check (Check | None), manual
      .triage.decisions[i]    Decision: id (internal|external|unknown), label, action,
                                routes_to (mitigate|escalate), checklist (mitigation key | None)
      .comms                  Comms: update_every, status_page_steps[i] (Item), audience[impact],
                                templates[name] (Jinja2 source; at least TEMPLATE_NAMES)
      .mitigation[issue]      list[Item]; keys include MITIGATION_TYPES
      .playbooks[i]           Section: id, title, items[j] (Item: id, text)
      .close.sections[i]      Section; ids include CLOSE_SECTIONS
      .sla                    Sla: target, ladder[i] (CreditStep: below, credit), Decimal percents;
                                .credit_for(uptime_percent)
      .review                 Review: deadline, sections[i] (Section; ids include REVIEW_SECTIONS)
      .escalation[i]          Escalation: impact, response, who; .escalation_for(impact)
      .contacts[i], .emergency_contacts[i]   Contact: role, phone, email, portal, details
      .dashboards[i]          Dashboard: name, url

Helpers: parse_positive_duration ("5m" → timedelta; written back by
timefmt.duration_notation), is_placeholder; constants
IMPACTS, SERVICES, TRIAGE_ORDER, CLOCK_ORDER, PHASE_ORDER, TEMPLATE_NAMES, MITIGATION_TYPES.
Templates may use only TEMPLATE_VARIABLES (display strings the renderer supplies); values written
``[Like This]`` are placeholders still to fill in (:func:`is_placeholder`).
:class:`RunbookInvalid` (a ``RunbookError``) carries all problems of a file in ``problems``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, Protocol, Self, TypeVar

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from stratus_commander import validation
from stratus_commander.errors import RunbookError
from stratus_commander.resources import resource_path
from stratus_commander.timefmt import duration_notation

Impact = Literal["Minor", "Major", "Critical"]
IMPACTS: tuple[Impact, ...] = ("Minor", "Major", "Critical")
SERVICES = ("API", "Web", "Webhooks", "Database")
# Same values as probes.base.Check, repeated so loading a runbook does not import httpx.
Check = Literal["api", "webhooks", "database", "external"]
TRIAGE_ORDER: tuple[Check, ...] = ("api", "webhooks", "database", "external")
ClockId = Literal["declare", "triage", "communicate", "next_update", "escalate", "pir"]
CLOCK_ORDER: tuple[ClockId, ...] = (
    "declare",
    "triage",
    "communicate",
    "next_update",
    "escalate",
    "pir",
)
PhaseId = Literal["declare", "triage", "communicate", "mitigate", "close", "review"]
PHASE_ORDER: tuple[PhaseId, ...] = (
    "declare",
    "triage",
    "communicate",
    "mitigate",
    "close",
    "review",
)
DeclareFieldId = Literal["title", "scope", "start_time", "impact", "affected_services"]
DECLARE_FIELDS: tuple[DeclareFieldId, ...] = (
    "title",
    "scope",
    "start_time",
    "impact",
    "affected_services",
)
DecisionId = Literal["internal", "external", "unknown"]
TEMPLATE_NAMES = ("investigating", "update", "resolved", "close")
TEMPLATE_VARIABLES = frozenset(
    {
        "services",
        "affected_services",
        "impact",
        "started",
        "next_update",
        "resolved_at",
        "root_cause",
        "fix_applied",
        "service_credits",
    }
)
MITIGATION_TYPES = ("api", "webhooks", "database", "external", "rate_limiting")
CLOSE_SECTIONS = ("root_cause_analysis", "fix_implementation", "service_credits", "lessons_learned")
REVIEW_SECTIONS = ("timeline", "impact", "root_cause", "action_items", "follow_up")

_ANCHOR_TEXT = {
    "detected": "detection",
    "declared": "declaration",
    "last_update": "the last status update",
    "resolved": "resolution",
}

# ---------------------------------------------------------------- value types

_DURATION = re.compile(
    r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?", re.ASCII
)


def parse_positive_duration(value: object) -> timedelta:
    """``"30s"``, ``"5m"``, ``"1h30m"``, ``"2d"`` → timedelta; refuses zero, negative, loose."""
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ValueError(f"must be a positive duration (got {value})")
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a duration string such as '30s', '5m', '1h' (got {value!r})")
    match = _DURATION.fullmatch(value.removeprefix("-"))
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"not a duration: {value!r} (write e.g. '30s', '5m', '1h', '48h')")
    n = {unit: int(count) for unit, count in match.groupdict(default="0").items()}
    duration = timedelta(days=n["d"], hours=n["h"], minutes=n["m"], seconds=n["s"])
    if value.startswith("-") or not duration:
        raise ValueError(f"must be a positive duration (got {value!r})")
    return duration


def is_placeholder(text: str) -> bool:
    """``[Phone]``, ``[URL]``: a value the seed left for the company to fill in."""
    return text.startswith("[") and text.endswith("]")


def _check_id(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
        raise ValueError(f"ids use lowercase letters, digits, '-' and '_' (got {value!r})")
    return value


# Templates are parsed by the sandbox that renders them: a typo fails at load, not mid-outage.
_JINJA = SandboxedEnvironment()


def _check_template(source: str) -> str:
    try:
        ast = _JINJA.parse(source)
        _JINJA.compile(ast)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error at line {exc.lineno}: {exc.message}") from None
    unknown = meta.find_undeclared_variables(ast) - TEMPLATE_VARIABLES - set(_JINJA.globals)
    if unknown:
        raise ValueError(
            f"unknown template variable(s) {_names(sorted(unknown))}"
            f" (known: {', '.join(sorted(TEMPLATE_VARIABLES))})"
        )
    return source


Duration = Annotated[timedelta, BeforeValidator(parse_positive_duration)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, AfterValidator(_check_id)]
Template = Annotated[str, AfterValidator(_check_template)]
Percent = Annotated[Decimal, Field(gt=0, le=100)]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _unique_ids(items: list[_T]) -> list[_T]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id in first:
            raise ValueError(f"duplicate id {item.id!r} at [{first[item.id]}] and [{index}]")
        first[item.id] = index
    return items


def _names(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _require(
    ids: Sequence[str], expected: Sequence[str], what: str, *, ordered: bool = False
) -> None:
    """Each expected id present and none twice; with ``ordered``, in the expected order too."""
    problems = []
    missing = [e for e in expected if e not in ids]
    if missing:
        problems.append(f"missing {what} {_names(missing)}")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        problems.append(f"{what} {_names(twice)} given more than once")
    if ordered and not problems and list(ids) != list(expected):
        problems.append(f"{what}s must be in the order {', '.join(expected)}")
    if problems:
        raise ValueError("; ".join(problems))


_V = TypeVar("_V")


def _by_impact(value: dict[str, _V]) -> dict[str, _V]:
    unknown = [k for k in value if k not in IMPACTS]
    if unknown:
        raise ValueError(f"unknown impact {_names(unknown)} (use {', '.join(IMPACTS)})")
    _require(list(value), IMPACTS, "impact")
    return value


# ---------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


Items = Annotated[list[Item], AfterValidator(_unique_ids), Field(min_length=1)]


class Section(_Model):
    id: Id
    title: Text
    items: Items


Sections = Annotated[list[Section], AfterValidator(_unique_ids), Field(min_length=1)]


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
        return _by_impact(value) if value else value

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
        _require([f.id for f in value], DECLARE_FIELDS, "declare field")
        for field in value:
            if field.id == "scope" and not set(field.choices) <= set(SERVICES):
                raise ValueError(f"scope choices must be among {', '.join(SERVICES)}")
            if field.id == "impact" and sorted(field.choices) != sorted(IMPACTS):
                raise ValueError(f"impact choices must be {', '.join(IMPACTS)}")
        return value


class TriageGroup(_Model):
    id: Check
    title: Text
    items: Annotated[list[TriageItem], AfterValidator(_unique_ids), Field(min_length=1)]


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
        _require([g.id for g in value], TRIAGE_ORDER, "triage group", ordered=True)
        return value

    @field_validator("decisions")
    @classmethod
    def _every_decision(cls, value: list[Decision]) -> list[Decision]:
        _require([d.id for d in value], ("internal", "external", "unknown"), "decision")
        return value


class Comms(_Model):
    update_every: Duration
    status_page_steps: Items
    audience: Annotated[dict[str, Text], AfterValidator(_by_impact)]  # impact → who is told
    templates: dict[str, Template]

    @field_validator("templates")
    @classmethod
    def _required_templates(cls, value: dict[str, str]) -> dict[str, str]:
        _require(list(value), TEMPLATE_NAMES, "template")
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

    def credit_for(self, uptime_percent: Decimal) -> Decimal:
        """Percent of the fee credited for a month's uptime: the deepest step it falls below."""
        return max((s.credit for s in self.ladder if uptime_percent < s.below), default=Decimal(0))


class Close(_Model):
    sections: Sections

    @field_validator("sections")
    @classmethod
    def _required(cls, value: list[Section]) -> list[Section]:
        _require([s.id for s in value], CLOSE_SECTIONS, "close section")
        return value


class Review(_Model):
    deadline: Duration
    sections: Sections

    @field_validator("sections")
    @classmethod
    def _required(cls, value: list[Section]) -> list[Section]:
        _require([s.id for s in value], REVIEW_SECTIONS, "review section")
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
        _require([p.id for p in value], PHASE_ORDER, "phase", ordered=True)
        return value

    @field_validator("clocks")
    @classmethod
    def _clocks(cls, value: list[ClockDef]) -> list[ClockDef]:
        _require([c.id for c in value], CLOCK_ORDER, "clock")
        return sorted(value, key=lambda c: CLOCK_ORDER.index(c.id))  # the file's order is free

    @field_validator("mitigation")
    @classmethod
    def _mitigation(cls, value: dict[str, list[Item]]) -> dict[str, list[Item]]:
        for issue in value:
            _check_id(issue)
        _require(list(value), MITIGATION_TYPES, "checklist")
        return value

    @field_validator("escalation")
    @classmethod
    def _escalation(cls, value: list[Escalation]) -> list[Escalation]:
        _require([e.impact for e in value], IMPACTS, "impact")
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


# ---------------------------------------------------------------- loading


class RunbookInvalid(RunbookError):
    """Every problem of one file: ``where``/``message`` hold the first, ``str()`` all of them."""

    def __init__(self, file: str, problems: list[validation.Problem]) -> None:
        problems = [(loc or "(top level)", msg) for loc, msg in problems]
        loc, message = problems[0]
        super().__init__(message, where=f"{file}: {loc}")
        self.problems = [f"{file}: {loc}: {msg}" for loc, msg in problems]
        self.args = ("\n".join(self.problems),)


_WORDS = {"missing": "required key is missing", "extra_forbidden": "unknown key"}


def _words(err: ErrorDetails) -> str:
    loc = err["loc"]
    if err["type"] == "extra_forbidden" and len(loc) > 1 and loc[-1] in Runbook.model_fields:
        # The classic TOML slip: a plain key written below a [table] header belongs to that table.
        return f"unknown key (if it is the top-level {loc[-1]!r}, move it above the first [table])"
    return _WORDS.get(err["type"]) or validation.pydantic_words(err)


def load_runbook(path: Path | None = None) -> Runbook:
    """Read and validate a runbook TOML (``None``: the bundled StratusConnect runbook)."""
    path = path if path is not None else resource_path("runbooks", "stratusconnect.toml")
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RunbookError("no such file", where=file) from None
    except IsADirectoryError:
        raise RunbookError("is a directory, not a runbook file", where=file) from None
    except OSError as exc:
        raise RunbookError(f"cannot read: {exc.strerror}", where=file) from None
    except UnicodeDecodeError as exc:
        raise RunbookError(f"not UTF-8 text (byte {exc.start})", where=file) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RunbookError(f"invalid TOML: {exc}", where=file) from None
    try:
        return Runbook.model_validate(data)
    except ValidationError as exc:
        raise RunbookInvalid(file, validation.problems(exc, _words)) from None


# ---------------------------------------------------------------- summary


def _due(runbook: Runbook, clock: ClockDef) -> str:
    if clock.due_after is not None:
        due = duration_notation(clock.due_after)
    else:
        due = ", ".join(f"{i} {duration_notation(d)}" for i, d in clock.due_after_by_impact.items())
    text = f"{due} after {_ANCHOR_TEXT[clock.anchor]}"
    return text + " (while unresolved)" if clock.while_unresolved else text


def _checklist(items: Sequence[Item], indent: str = "    ") -> list[str]:
    return [f"{indent}- {item.text}  [{item.id}]" for item in items]


def summary(runbook: Runbook) -> str:
    """What ``runbook check`` prints: everything a commander relies on, in runbook order."""
    out = [runbook.name + (f" — {runbook.subtitle}" if runbook.subtitle else ""), "", "Phases"]
    for n, phase in enumerate(runbook.phases, 1):
        timed = f"  [{runbook.clock(phase.clock).label}]" if phase.clock else ""
        out.append(f"  {n}. {phase.title}: {phase.when}{timed}")

    out += ["", "Clocks"]
    out += [f"  {c.label:<22}{_due(runbook, c)}" for c in runbook.clocks]

    out += ["", "Triage (in this order)"]
    for group in runbook.triage.groups:
        out.append(f"  {group.title} [{group.id}]")
        for item in group.items:
            how = "manual tick" if item.manual else f"probe: {item.check}"
            out.append(f"    - {item.text:<44} {how}  [{item.id}]")
    out.append("  Decision")
    for d in runbook.triage.decisions:
        route = d.routes_to + (f" ({d.checklist} checklist)" if d.checklist else "")
        out.append(f"    {d.label} → {route}: {d.action}")

    comms = runbook.comms
    out += ["", f"Communicate (status updates every {duration_notation(comms.update_every)})"]
    out.append("  Status page")
    out += _checklist(comms.status_page_steps)
    out += [f"  Notify on {impact}: {who}" for impact, who in comms.audience.items()]
    out.append(f"  Templates: {', '.join(comms.templates)}")

    out += ["", "Mitigation checklists"]
    for issue, items in runbook.mitigation.items():
        out.append(f"  {issue}")
        out += _checklist(items)

    out += ["", "Playbooks"]
    out += [f"  {p.title} ({len(p.items)} steps)" for p in runbook.playbooks]

    out += ["", "Close"]
    out += [f"  {s.title} ({len(s.items)} items)" for s in runbook.close.sections]
    sla = runbook.sla
    ladder = ", ".join(f"<{s.below} % → {s.credit} %" for s in sla.ladder)
    out.append(f"  Service credits: target {sla.target} %; {ladder}")

    review = runbook.review
    out += ["", f"Post-incident review (within {duration_notation(review.deadline)} of resolution)"]
    out += [f"  {s.title} ({len(s.items)} items)" for s in review.sections]

    out += ["", "Escalation"]
    for row in runbook.escalation:
        out.append(f"  {row.impact:<10}{duration_notation(row.response):<5}{', '.join(row.who)}")

    values = [
        v
        for c in runbook.contacts + runbook.emergency_contacts
        for v in (c.phone, c.email, c.portal, c.details)
        if v
    ] + [d.url for d in runbook.dashboards]
    pending = sum(is_placeholder(v) for v in values)
    out += [
        "",
        f"Contacts: {len(runbook.contacts)} + {len(runbook.emergency_contacts)} emergency;"
        f" dashboards: {len(runbook.dashboards)}; placeholders still to fill in: {pending}",
        f"Reminders: {len(runbook.reminders)}",
    ]
    return "\n".join(out)
