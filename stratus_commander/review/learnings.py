"""Lessons learned, attached to the runbook step they concern, listed across incidents.

A step is named by a dotted path of runbook ids, so the same item id in two checklists stays
distinct: ``triage.database.db-pool``, ``mitigation.api.roll-back``,
``playbooks.payment-processing-down.app-logs``, ``close.fix_implementation.improve-alerting``,
``communicate.status-investigating``, ``review.follow_up.schedule-meeting``, a phase (``declare``)
or an escalation row (``escalation.critical``). A bare item id is accepted when only one step has
it. ``stratus-commander runbook learnings`` lists them so the runbook can be updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stratus_commander.clock import from_iso, to_iso
from stratus_commander.errors import InputError
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Item, Runbook
from stratus_commander.store import Store
from stratus_commander.text import multi_line, one_line

__all__ = ["Learning", "add_learning", "format_learnings", "list_learnings", "resolve_step",
           "runbook_steps"]  # fmt: skip


def runbook_steps(runbook: Runbook) -> dict[str, str]:
    """Every step a lesson can attach to: dotted id → its text, in runbook order."""
    steps: dict[str, str] = {}

    def items(prefix: str, values: Sequence[Item]) -> None:
        for item in values:
            steps[f"{prefix}.{item.id}"] = item.text

    for phase in runbook.phases:
        steps[phase.id] = f"{phase.title} ({phase.when})"
        if phase.id == "declare":
            for f in runbook.declare.fields:
                steps[f"declare.{f.id}"] = f"{f.label}: {f.help}"
        elif phase.id == "triage":
            for group in runbook.triage.groups:
                items(f"triage.{group.id}", group.items)
            for d in runbook.triage.decisions:
                steps[f"triage.decision.{d.id}"] = f"{d.label}: {d.action}"
        elif phase.id == "communicate":
            items("communicate", runbook.comms.status_page_steps)
        elif phase.id == "mitigate":
            for issue, values in runbook.mitigation.items():
                items(f"mitigation.{issue}", values)
            for book in runbook.playbooks:
                items(f"playbooks.{book.id}", book.items)
        elif phase.id == "close":
            for section in runbook.close.sections:
                items(f"close.{section.id}", section.items)
        elif phase.id == "review":
            for section in runbook.review.sections:
                items(f"review.{section.id}", section.items)
    for row in runbook.escalation:
        steps[f"escalation.{row.impact.lower()}"] = f"Escalate {row.impact}: {', '.join(row.who)}"
    return steps


def resolve_step(runbook: Runbook, ref: str, where: str = "step") -> str:
    """The dotted id ``ref`` names; a bare item id must be unambiguous."""
    ref = ref.strip()
    steps = runbook_steps(runbook)
    if ref in steps:
        return ref
    matches = [s for s in steps if s.rsplit(".", 1)[-1] == ref]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InputError(f"{ref!r} is ambiguous: say which of {', '.join(matches)}", where=where)
    near = [s for s in steps if ref and ref in s][:5]
    hint = f" (did you mean {', '.join(near)}?)" if near else " (see `runbook learnings --steps`)"
    raise InputError(f"{ref!r} is not a step of the runbook{hint}", where=where)


@dataclass(frozen=True, slots=True)
class Learning:
    id: int
    incident_id: int
    incident_title: str
    step: str
    text: str
    actor: str
    created_at: datetime

    @property
    def incident_label(self) -> str:
        return f"INC-{self.incident_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "incident": self.incident_label,
            "incident_title": self.incident_title,
            "step": self.step,
            "text": self.text,
            "actor": self.actor,
            "created_at": to_iso(self.created_at),
        }


def add_learning(
    incidents: Incidents, runbook: Runbook, incident_id: int, step: str, text: str
) -> Learning:
    """Attach a lesson to a runbook step (any time after the incident; one "review" event)."""
    one_line(step, "step")
    text = multi_line(text, "lesson")
    incident = incidents.get(incident_id)
    step = resolve_step(runbook, step)
    text = text.strip()
    if not text:
        raise InputError("must not be empty", where="lesson")
    now = incidents.clock.now()
    store = incidents.store
    with store.write():  # the lesson, the library's words and its event commit together
        (learning_id,) = store.insert_learnings(
            incident.id, [(step, text)], incidents.actor, to_iso(now)
        )
        store.save_review(incident.id, to_iso(now))
        store.add_search_text(incident.id, text)
        incidents.record(
            incident.id,
            "review",
            f"Lesson for {step}: {text}",
            {"learning": {"id": learning_id, "step": step, "text": text}},
            allow_closed=True,
        )
    return Learning(learning_id, incident.id, incident.title, step, text, incidents.actor, now)


def list_learnings(store: Store, step: str | None = None) -> list[Learning]:
    """Every lesson (of one step, or of its sub-steps), oldest first."""
    rows = store.learning_rows(step)
    return [
        Learning(
            r["id"],
            r["incident_id"],
            r["title"],
            r["step"],
            r["text"],
            r["actor"],
            from_iso(r["created_at"]),
        )
        for r in rows
    ]


def format_learnings(learnings: Sequence[Learning], runbook: Runbook) -> str:
    """Grouped by step in runbook order; steps the runbook no longer has come last."""
    if not learnings:
        return "No lessons recorded yet."
    steps = runbook_steps(runbook)
    order = {s: i for i, s in enumerate(steps)}
    by_step: dict[str, list[Learning]] = {}
    for item in learnings:
        by_step.setdefault(item.step, []).append(item)
    lines: list[str] = []
    for step in sorted(by_step, key=lambda s: (order.get(s, len(order)), s)):
        text = steps.get(step, "(no longer in this runbook)")
        lines.append(f"{step} — {text}")
        for item in by_step[step]:
            lines.append(
                f"  {item.incident_label:<8} {item.created_at:%Y-%m-%d}  {item.text}"
                f"  ({item.actor}; {item.incident_title})"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
