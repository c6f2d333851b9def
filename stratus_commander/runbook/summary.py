"""What ``runbook check`` prints: everything a commander relies on, in runbook order."""

from __future__ import annotations

from collections.abc import Sequence

from stratus_commander.runbook.fields import is_placeholder
from stratus_commander.runbook.model import ClockDef, Item, Runbook
from stratus_commander.timefmt import duration_notation

__all__ = ["summary"]

_ANCHOR_TEXT = {
    "detected": "detection",
    "declared": "declaration",
    "last_update": "the last status update",
    "resolved": "resolution",
}


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
