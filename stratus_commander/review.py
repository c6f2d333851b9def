"""Closing an incident and its post-incident review (PIR).

**Close** follows the runbook's close sections. Sections ``root_cause_analysis`` and
``lessons_learned`` (and any other section whose id is in :data:`TEXT_SECTIONS`) are answered in
words; every other section is a checklist whose items are ``done``, ``not_needed`` or ``deferred``
(tracked as an action item). Answers are keyed ``"<section>.<item>"`` by the runbook's ids. Closing
is allowed from ``resolved`` only and refused (:class:`CloseRefused`, naming each gap) while any
answer, tick or the fix applied is missing. The close template is rendered in a Jinja2 sandbox.

**Review** is computed from the incident, its timeline and the stored review record: milestones,
durations with their definitions, impossible orders, the 48 h deadline, impact, RCA, action items
(overdue ones flagged) and follow-up. Completing it (:func:`complete_review`) needs the impact,
the meeting time and an owner and deadline on every action item.

Each change is one timeline event ("closed", "review"); the structured record lives in the
``reviews`` / ``action_items`` tables and the event carries its SHA-256 digest, so the hash chain
covers it and :func:`build_review` can say whether the stored record still matches the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from stratus_commander.clock import from_iso, from_ms, to_iso, to_ms
from stratus_commander.credits import (
    DEFAULT_SLA_GROUPS,
    IncidentCredits,
    Uptime,
    credit_months,
    incident_period,
    maintenance_windows,
    stored_credits,
    stored_reports,
    uptime_by_group,
)
from stratus_commander.errors import DomainRefused, InputError, NotFound, RefusedForGaps
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.deadlines import clocks
from stratus_commander.learnings import resolve_step
from stratus_commander.runbook import Runbook, Section
from stratus_commander.store import Store, digest
from stratus_commander.text import multi_line, one_line
from stratus_commander.timefmt import human_duration
from stratus_commander.timeline import Event, Verification

__all__ = [
    "CHECK_STATES",
    "TEXT_SECTIONS",
    "ActionItem",
    "CloseRecord",
    "CloseRefused",
    "Closed",
    "Duration",
    "FollowUp",
    "ImpactAssessment",
    "Milestone",
    "OrderProblem",
    "PirRecord",
    "Review",
    "ReviewRefused",
    "action_items",
    "add_action_item",
    "build_review",
    "close_incident",
    "close_record_from_mapping",
    "close_requirements",
    "complete_review",
    "order_problems",
    "render_close_message",
    "review_requirements",
    "save_close_draft",
    "stored_close",
    "stored_pir",
    "update_action_item",
    "update_review",
]

TEXT_SECTIONS = frozenset({"root_cause_analysis", "lessons_learned"})
CheckState = Literal["done", "not_needed", "deferred"]
CHECK_STATES: tuple[CheckState, ...] = ("done", "not_needed", "deferred")
#: How far before detection a probe flip still counts as the first failing evidence.
EVIDENCE_LOOKBACK = timedelta(hours=1)


# ---------------------------------------------------------------- the close record


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


def _is_text(section: Section) -> bool:
    return section.id in TEXT_SECTIONS


def close_record_from_mapping(
    runbook: Runbook, data: Mapping[str, Any], source: str
) -> CloseRecord:
    """Read a close record from parsed TOML/JSON, refusing unknown keys and values by name.

    Shape: ``fix_applied = "..."``, one table per close section (``[root_cause_analysis]`` with
    ``identify-root-cause = "..."``; ``[fix_implementation]`` with ``deploy-fix = "done"``) and an
    optional ``[[learnings]]`` array of ``{step, text}``.
    """
    sections = {s.id: s for s in runbook.close.sections}
    answers: dict[str, str] = {}
    checklist: dict[str, CheckState] = {}
    fix_applied = ""
    learnings: list[tuple[str, str]] = []
    for key, value in data.items():
        if key == "fix_applied":
            if not isinstance(value, str):
                raise InputError("must be text", where=f"{source}: fix_applied")
            fix_applied = multi_line(value, f"{source}: fix_applied").strip()
        elif key == "learnings":
            if not isinstance(value, list):
                raise InputError("must be a list of {step, text}", where=f"{source}: learnings")
            for i, item in enumerate(value):
                if not (
                    isinstance(item, Mapping)
                    and set(item) == {"step", "text"}
                    and all(isinstance(v, str) for v in item.values())
                ):
                    raise InputError(
                        "must be a table with text keys step and text",
                        where=f"{source}: learnings[{i}]",
                    )
                one_line(item["step"], f"{source}: learnings[{i}].step")
                text = multi_line(item["text"], f"{source}: learnings[{i}].text")
                learnings.append((item["step"].strip(), text.strip()))
        elif key in sections:
            section = sections[key]
            if not isinstance(value, Mapping):
                raise InputError("must be a table of item = value", where=f"{source}: {key}")
            items = {i.id for i in section.items}
            for item, answer in value.items():
                where = f"{source}: {key}.{item}"
                if item not in items:
                    raise InputError(
                        f"not an item of this close section (have {', '.join(sorted(items))})",
                        where=where,
                    )
                if not isinstance(answer, str):
                    raise InputError("must be text", where=where)
                if _is_text(section):
                    answers[f"{key}.{item}"] = multi_line(answer, where).strip()
                else:
                    checklist[f"{key}.{item}"] = _check_state(answer, where)
        else:
            known = ", ".join(["fix_applied", "learnings", *sections])
            raise InputError(f"unknown key (use {known})", where=f"{source}: {key}")
    return CloseRecord(answers, checklist, fix_applied, tuple(learnings))


def _check_state(value: str, where: str) -> CheckState:
    state = value.strip().lower().replace(" ", "_").replace("-", "_")
    for allowed in CHECK_STATES:
        if state == allowed:
            return allowed
    raise InputError(f"{value!r} is not one of {', '.join(CHECK_STATES)}", where=where)


def close_requirements(
    runbook: Runbook, record: CloseRecord, credits: IncidentCredits | None
) -> list[str]:
    """What is still missing before the incident may close (empty: it may)."""
    missing = []
    for section in runbook.close.sections:
        for item in section.items:
            key = f"{section.id}.{item.id}"
            if _is_text(section):
                if not record.answers.get(key, "").strip():
                    missing.append(f"{section.title}: “{item.text}” is empty")
            elif key not in record.checklist:
                missing.append(
                    f"{section.title}: “{item.text}” not answered (done, not_needed or deferred)"
                )
    if not record.fix_applied.strip():
        missing.append("Fix applied is empty")
    if record.checklist.get("service_credits.calculate-credits") == "done" and credits is None:
        missing.append(
            "Service Credits: “Calculate based on actual uptime” is marked done but no credits "
            "were calculated (run `incidents credits`)"
        )
    return missing


class CloseRefused(RefusedForGaps):
    """Closing refused; ``missing`` lists each gap for the form to highlight."""

    def __init__(self, label: str, missing: Sequence[str]) -> None:
        super().__init__(f"{label} cannot close yet", missing)


def render_close_message(
    runbook: Runbook, incident: Incident, record: CloseRecord, credits: IncidentCredits | None
) -> str:
    """The runbook's close template, filled in (for copying to the status page or email)."""
    root_cause = record.answers.get("root_cause_analysis.identify-root-cause") or " ".join(
        v for k, v in record.answers.items() if k.startswith("root_cause_analysis.")
    )
    if credits is not None:
        service_credits = credits.summary()
    elif record.checklist.get("service_credits.calculate-credits") == "not_needed":
        service_credits = "None (not applicable to this incident)"
    else:
        service_credits = "Not calculated"
    values = {
        "services": ", ".join(incident.scope) or "our services",
        "affected_services": ", ".join(incident.affected_services) or "—",
        "impact": incident.impact,
        "started": _display(incident.detected_at),
        "next_update": "—",
        "resolved_at": _display(incident.resolved_at) if incident.resolved_at else "—",
        "root_cause": root_cause or "—",
        "fix_applied": record.fix_applied or "—",
        "service_credits": service_credits,
    }
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    return env.from_string(runbook.comms.templates["close"]).render(values).strip() + "\n"


def _display(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------- storage of the review record


def stored_close(store: Store, incident_id: int) -> CloseRecord | None:
    found = store.review_record(incident_id)
    if found is None or found[0] is None:
        return None
    return CloseRecord.from_json(found[0])


def _write_review(
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
        _refresh_search_text(store, incident_id)


def _refresh_search_text(store: Store, incident_id: int) -> None:
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


def _store_learnings(
    store: Store, incident_id: int, learnings: Sequence[tuple[str, str]], actor: str, now: datetime
) -> None:
    with store.write():
        store.insert_learnings(incident_id, learnings, actor, to_iso(now))
        _refresh_search_text(store, incident_id)


def _checked_text(record: CloseRecord) -> CloseRecord:
    """The record's words as multi-line text, its steps as one line (``stratus_commander.text``):
    the GUI builds records without :func:`close_record_from_mapping`."""
    return replace(
        record,
        answers={key: multi_line(text, key) for key, text in record.answers.items()},
        fix_applied=multi_line(record.fix_applied, "fix_applied"),
        learnings=tuple(
            (one_line(step, f"learnings[{i}].step"), multi_line(text, f"learnings[{i}].text"))
            for i, (step, text) in enumerate(record.learnings)
        ),
    )


def _check_learnings(runbook: Runbook, record: CloseRecord) -> CloseRecord:
    resolved = []
    for i, (step, text) in enumerate(record.learnings):
        if not text:
            raise InputError("the lesson is empty", where=f"learnings[{i}].text")
        resolved.append((resolve_step(runbook, step, where=f"learnings[{i}].step"), text))
    return replace(record, learnings=tuple(resolved))


def save_close_draft(
    incidents: Incidents, runbook: Runbook, incident_id: int, record: CloseRecord
) -> Event:
    """Keep a half-written close record (the form survives a restart); closes nothing."""
    record = _checked_text(record)
    incident = incidents.get(incident_id)
    if incident.status == "closed":
        raise DomainRefused(f"{incident.label} is closed; its close record is final")
    record = _check_learnings(runbook, record)
    now = incidents.clock.now()
    with incidents.store.write():
        _write_review(incidents.store, incident_id, now, close=record)
        return incidents.record(
            incident_id,
            "review",
            "Close record draft saved",
            {"close_draft": digest(record.as_json())},
        )


@dataclass(frozen=True)
class Closed:
    event: Event
    message: str  # the close template, rendered


def close_incident(
    incidents: Incidents, runbook: Runbook, incident_id: int, record: CloseRecord
) -> Closed:
    """Close a resolved incident with its RCA, fix checklist and lessons (see module doc)."""
    record = _checked_text(record)
    incident = incidents.get(incident_id)
    if incident.status == "closed":
        raise DomainRefused(f"{incident.label} is already closed")
    if incident.status != "resolved":
        raise DomainRefused(
            f"{incident.label} is {incident.status}; only a resolved incident can be closed "
            "(resolve it first)"
        )
    record = _check_learnings(runbook, record)
    store = incidents.store
    credits = stored_credits(store, incident_id)
    missing = close_requirements(runbook, record, credits)
    if missing:
        raise CloseRefused(incident.label, missing)
    message = render_close_message(runbook, incident, record, credits)
    now = incidents.clock.now()
    root_cause = record.answers.get("root_cause_analysis.identify-root-cause", "")
    # One transaction: the record, its lessons and the "closed" event commit together or not at all.
    with store.write():
        _write_review(store, incident_id, now, close=record)
        _store_learnings(store, incident_id, record.learnings, incidents.actor, now)
        event = incidents.record(
            incident_id,
            "closed",
            f"Closed. Root cause: {root_cause}" if root_cause else "Closed",
            {
                "digest": digest(record.as_json()),
                "resolved_at": to_iso(incident.resolved_at) if incident.resolved_at else None,
                "checklist": dict(record.checklist),
                "learnings": len(record.learnings),
                "credits_digest": credits.digest() if credits else None,
            },
        )
    return Closed(event, message)


# ---------------------------------------------------------------- the PIR record


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


def stored_pir(store: Store, incident_id: int) -> PirRecord:
    found = store.review_record(incident_id)
    if found is None or found[1] is None:
        return PirRecord()
    return PirRecord.from_json(found[1])


_UNCHANGED: Any = object()


def _review_open(incidents: Incidents, incident_id: int) -> Incident:
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
    affected_users: int | None = _UNCHANGED,
    financial_impact: str = _UNCHANGED,
    reputation: str = _UNCHANGED,
    meeting_at: datetime | None = _UNCHANGED,
    answers: Mapping[str, str] | None = None,
) -> Event:
    """Change the impact assessment, the meeting time or RCA answers; one "review" event."""
    if financial_impact is not _UNCHANGED:
        one_line(financial_impact, "financial impact")
    if reputation is not _UNCHANGED:
        one_line(reputation, "reputation")
    answers = {item: multi_line(text, f"answers.{item}") for item, text in (answers or {}).items()}
    _review_open(incidents, incident_id)
    pir = stored_pir(incidents.store, incident_id)
    changes: dict[str, Any] = {}
    impact = pir.impact
    if affected_users is not _UNCHANGED:
        if affected_users is not None and affected_users < 0:
            raise InputError("must be 0 or more", where="affected users")
        impact = replace(impact, affected_users=affected_users)
        changes["affected_users"] = affected_users
    if financial_impact is not _UNCHANGED:
        impact = replace(impact, financial_impact=financial_impact.strip())
        changes["financial_impact"] = financial_impact.strip()
    if reputation is not _UNCHANGED:
        impact = replace(impact, reputation=reputation.strip())
        changes["reputation"] = reputation.strip()
    meeting = pir.meeting_at
    if meeting_at is not _UNCHANGED:
        meeting = meeting_at
        changes["meeting_at"] = to_iso(meeting_at) if meeting_at else None
    new_answers = dict(pir.answers)
    if answers:
        section = _review_section(runbook, "root_cause")
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
        _write_review(incidents.store, incident_id, incidents.clock.now(), pir=record)
        return incidents.record(
            incident_id,
            "review",
            f"Review updated: {what}",
            {**changes, "digest": digest(record.as_json())},
            allow_closed=True,
        )


def _review_section(runbook: Runbook, section_id: str) -> Section | None:
    return next((s for s in runbook.review.sections if s.id == section_id), None)


# ---------------------------------------------------------------- action items


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


def _item_from_row(r: Mapping[str, Any]) -> ActionItem:
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


def action_items(store: Store, incident_id: int) -> list[ActionItem]:
    return [_item_from_row(r) for r in store.action_item_rows(incident_id)]


def _category(runbook: Runbook, value: str) -> str:
    section = _review_section(runbook, "action_items")
    ids = [i.id for i in section.items] if section else []
    value = value.strip().lower()
    if value in ids:
        return value
    matches = [i for i in ids if i.startswith(value)] if value else []
    if len(matches) == 1:
        return matches[0]
    raise InputError(f"{value!r} is not one of {', '.join(ids)}", where="category")


def _item_event(incidents: Incidents, item: ActionItem, verb: str) -> Event:
    return incidents.record(
        item.incident_id,
        "review",
        f"Action item #{item.id} {verb}: {item.text}",
        {"action_item": item.as_json()},
        allow_closed=True,
    )


def add_action_item(
    incidents: Incidents,
    runbook: Runbook,
    incident_id: int,
    category: str,
    text: str,
    owner: str = "",
    deadline: datetime | None = None,
) -> ActionItem:
    """A follow-up task (immediate fix, process, monitoring or documentation)."""
    one_line(category, "category")
    one_line(text, "action item")
    one_line(owner, "owner")
    _review_open(incidents, incident_id)
    text = " ".join(text.split())
    if not text:
        raise InputError("must not be empty", where="action item")
    cat = _category(runbook, category)
    now = incidents.clock.now()
    store = incidents.store
    with store.write():
        item_id = store.insert_action_item(
            {
                "incident_id": incident_id,
                "category": cat,
                "text": text,
                "owner": owner.strip(),
                "deadline": to_iso(deadline) if deadline else None,
                "status": "open",
                "created_at": to_iso(now),
            }
        )
        _write_review(store, incident_id, now)
        item = _item_from_row(store.action_item_row(item_id) or {})
        _item_event(incidents, item, "added")
    return item


def update_action_item(
    incidents: Incidents,
    item_id: int,
    *,
    owner: str = _UNCHANGED,
    deadline: datetime | None = _UNCHANGED,
    status: Literal["open", "done"] = _UNCHANGED,
) -> ActionItem:
    """Reassign, reschedule or tick off an action item (also after the review is complete)."""
    if owner is not _UNCHANGED:
        one_line(owner, "owner")
    store = incidents.store
    row = store.action_item_row(item_id)
    if row is None:
        raise NotFound(f"no action item #{item_id}")
    item = _item_from_row(row)
    # Progress is tracked after the review is complete too ("Track progress").
    incident = incidents.get(item.incident_id)
    if incident.is_open:
        raise DomainRefused(f"{incident.label} is still {incident.status}")
    now = incidents.clock.now()
    new = item
    if owner is not _UNCHANGED:
        new = replace(new, owner=owner.strip())
    if deadline is not _UNCHANGED:
        new = replace(new, deadline=deadline)
    if status is not _UNCHANGED:
        if status not in ("open", "done"):
            raise InputError(f"{status!r} is not open or done", where="status")
        new = replace(new, status=status, done_at=now if status == "done" else None)
    if new == item:
        raise InputError("nothing to change", where=f"action item #{item_id}")
    verb = "done" if new.status == "done" and item.status != "done" else "updated"
    with store.write():
        _save_item(store, new)
        _item_event(incidents, new, verb)
    return new


def _save_item(store: Store, item: ActionItem) -> None:
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
        _refresh_search_text(store, item.incident_id)


# ---------------------------------------------------------------- the computed review


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
        if self.value is None or self.target is None or self.impossible:
            return None
        return self.value <= self.target

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


@dataclass(frozen=True)
class Review:
    incident: Incident
    now: datetime
    milestones: tuple[Milestone, ...]
    durations: tuple[Duration, ...]
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


def _first_evidence(store: Store, incident: Incident) -> datetime | None:
    lo = to_ms(incident.detected_at - EVIDENCE_LOOKBACK)
    at = store.first_failing_flip(lo, to_ms(incident.detected_at))
    return from_ms(at) if at is not None else None


def _durations(
    incident: Incident, runbook: Runbook, evidence: datetime | None
) -> tuple[Duration, ...]:
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
    """Milestones in an impossible order, and timeline events recorded back in time."""
    out = []
    for first, second, message in _ORDER_RULES:
        a, b = getattr(incident, first), getattr(incident, second)
        if a is not None and b is not None and b < a:
            out.append(
                OrderProblem(
                    first, second, f"{message} ({second} {to_iso(b)} < {first} {to_iso(a)})"
                )
            )
    for prev, ev in pairwise(events):
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


def _milestones(
    incident: Incident, events: Sequence[Event], evidence: datetime | None
) -> tuple[Milestone, ...]:
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


def _record_problems(store: Store, incident_id: int, events: Sequence[Event]) -> list[str]:
    """Stored records whose digest no longer matches the last event that covered them."""
    problems = []
    closed = [e for e in events if e.kind == "closed"]
    close = stored_close(store, incident_id)
    if closed and (close is None or digest(close.as_json()) != closed[-1].data.get("digest")):
        problems.append("the stored close record differs from the one the timeline recorded")
    # One "credits" event per month calculated; the last one of each month covers its report.
    recorded = {e.data.get("month"): e.data.get("digest") for e in events if e.kind == "credits"}
    stored = {report.month: (report, kept) for report, kept in stored_reports(store, incident_id)}
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
    pir = stored_pir(store, incident_id)
    if pir_events and digest(pir.as_json()) != pir_events[-1].data["digest"]:
        problems.append("the stored review differs from the one the timeline recorded")
    items = {i.id: i for i in action_items(store, incident_id)}
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


def build_review(
    incidents: Incidents, runbook: Runbook, incident_id: int, now: datetime | None = None
) -> Review:
    """The post-incident review of one incident, computed from the store alone (offline)."""
    incident = incidents.get(incident_id)
    now = now or incidents.clock.now()
    store = incidents.store
    events = store.events(incident_id)
    evidence = _first_evidence(store, incident)
    credits = stored_credits(store, incident_id)
    if credits is not None:
        window_uptime = credits.reports[0].window_uptime
        monthly_uptime = {r.month: r.month_uptime for r in credits.reports}
    else:
        # The months the credits would cover, by every probed group (the accounts are unknown).
        window = incident_period(incident, now)
        groups = store.check_groups() or list(DEFAULT_SLA_GROUPS)
        window_maint = maintenance_windows(store, window)
        window_uptime = uptime_by_group(store, window, window_maint)
        monthly_uptime = {}
        for month in credit_months(store, incident, now, groups):
            maint = maintenance_windows(store, month) + window_maint
            monthly_uptime[month.start.strftime("%Y-%m")] = uptime_by_group(store, month, maint)
    pir_clock = next(c for c in clocks(incident, runbook, now) if c.id == "pir")
    if incident.resolved_at is None:
        state: Any = "waiting"
    elif incident.review_done_at is not None:
        state = "done late" if pir_clock.met_late else "done"
    else:
        state = "overdue" if pir_clock.state.value == "overdue" else "pending"
    pir = stored_pir(store, incident_id)
    close = stored_close(store, incident_id)
    items = action_items(store, incident_id)
    return Review(
        incident=incident,
        now=now,
        milestones=_milestones(incident, events, evidence),
        durations=_durations(incident, runbook, evidence),
        order_problems=tuple(order_problems(incident, events)),
        deadline=pir_clock.due_at,
        deadline_state=state,
        impact=pir.impact,
        credits=credits,
        window_uptime=window_uptime,
        monthly_uptime=monthly_uptime,
        close=close,
        rca=_rca(runbook, pir, close),
        action_items=tuple(items),
        follow_up=FollowUp(
            pir.meeting_at,
            unassigned=sum(1 for i in items if not i.owner),
            without_deadline=sum(1 for i in items if i.deadline is None),
            done=sum(1 for i in items if i.status == "done"),
            total=len(items),
        ),
        chain=incidents.verify(incident_id),
        record_problems=tuple(_record_problems(store, incident_id, events)),
    )


#: The review's RCA questions answered at close when the review leaves them empty.
_RCA_FROM_CLOSE = {
    "what-happened": "root_cause_analysis.document-what-happened",
    "why": "root_cause_analysis.identify-root-cause",
    "prevention": "lessons_learned.prevention",
}


def _rca(
    runbook: Runbook, pir: PirRecord, close: CloseRecord | None
) -> tuple[tuple[str, str, str], ...]:
    section = _review_section(runbook, "root_cause")
    if section is None:
        return ()
    out = []
    for item in section.items:
        answer = pir.answers.get(item.id, "")
        if not answer and close is not None and item.id in _RCA_FROM_CLOSE:
            answer = close.answers.get(_RCA_FROM_CLOSE[item.id], "")
        out.append((item.id, item.text, answer))
    return tuple(out)


class ReviewRefused(RefusedForGaps):
    """Completing the review refused; ``missing`` lists each gap."""

    def __init__(self, label: str, missing: Sequence[str]) -> None:
        super().__init__(f"{label} review cannot be completed yet", missing)


def review_requirements(review: Review) -> list[str]:
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


def complete_review(incidents: Incidents, runbook: Runbook, incident_id: int) -> Event:
    """Mark the post-incident review done (meets the 48 h clock); refused while incomplete."""
    incident = _review_open(incidents, incident_id)
    review = build_review(incidents, runbook, incident_id)
    missing = review_requirements(review)
    if missing:
        raise ReviewRefused(incident.label, missing)
    return incidents.record(
        incident_id,
        "review",
        "Post-incident review completed",
        {
            "completed": True,
            "digest": digest(stored_pir(incidents.store, incident_id).as_json()),
            "action_items": len(review.action_items),
            "late": review.deadline_state == "overdue",
        },
        allow_closed=True,
    )
