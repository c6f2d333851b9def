"""Closing an incident: its close record, what the close still needs, the close message.

Close follows the runbook's close sections. Sections ``root_cause_analysis`` and
``lessons_learned`` (and any other section whose id is in :data:`TEXT_SECTIONS`) are answered in
words; every other section is a checklist whose items are ``done``, ``not_needed`` or ``deferred``
(tracked as an action item). Answers are keyed ``"<section>.<item>"`` by the runbook's ids. Closing
is allowed from ``resolved`` only and refused (:class:`CloseRefused`, naming each gap) while any
answer, tick or the fix applied is missing. The close template is rendered in a Jinja2 sandbox.
The "closed" event carries the record's SHA-256 digest, so the hash chain covers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from stratus_commander.clock import to_iso
from stratus_commander.credits import IncidentCredits, stored_credits
from stratus_commander.errors import DomainRefused, InputError, RefusedForGaps
from stratus_commander.incident import Incident, Incidents
from stratus_commander.review.learnings import resolve_step
from stratus_commander.review.records import CHECK_STATES, CheckState, CloseRecord
from stratus_commander.review.saving import store_learnings, write_review
from stratus_commander.runbook import Runbook, Section
from stratus_commander.store import digest
from stratus_commander.text import multi_line, one_line
from stratus_commander.timeline import Event

__all__ = [
    "TEXT_SECTIONS",
    "CloseRefused",
    "Closed",
    "close_incident",
    "close_record_from_mapping",
    "close_requirements",
    "render_close_message",
    "save_close_draft",
]

TEXT_SECTIONS = frozenset({"root_cause_analysis", "lessons_learned"})


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
        write_review(incidents.store, incident_id, now, close=record)
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
    incidents: Incidents,
    runbook: Runbook,
    incident_id: int,
    record: CloseRecord,
    at: datetime | None = None,
) -> Closed:
    """Close a resolved incident with its RCA, fix checklist and lessons (see module doc);
    ``at``: when it was closed, if not now (after the resolution, as ``incident/times.py``
    rules)."""
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
        write_review(store, incident_id, now, close=record)
        store_learnings(store, incident_id, record.learnings, incidents.actor, now)
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
            at=at,
        )
    return Closed(event, message)
