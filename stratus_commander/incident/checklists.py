"""Checklist ticks as timeline events: what was ticked, when, by whom.

A tick is a ``check_ticked`` event, an untick a ``check_unticked`` one, both with data
``{"group": group, "item": item_id}``; the state of a checklist is a fold over its events, so it
survives restarts and the review can replay it. Groups in use:

    "mitigate:<issue type>"   a mitigation checklist of the runbook (api, webhooks, ...)
    "playbook:<id>"           a common-issue playbook
    "status_page"             the status-page steps of the Communicate phase
    "triage:<group id>"       a triage group's manual items

Outside the cockpit a check is named by the dotted id :func:`runbook_checks` gives it (the id a
lesson attaches to, ``runbook learnings --steps``): ``triage.api.api-logs``,
``communicate.open-admin-panel``, ``mitigation.database.restart-database``,
``playbooks.high-error-rates.scale-up``; :func:`find_check` also takes a bare item id that only
one check has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from stratus_commander.errors import AlreadyDone, DomainRefused, InputError
from stratus_commander.incident import Incidents
from stratus_commander.incident.holders import by_whom
from stratus_commander.runbook import Item, Runbook
from stratus_commander.timeline import Event

__all__ = [
    "ISSUE_LABELS",
    "TICK_KINDS",
    "Check",
    "already_ticked",
    "find_check",
    "issue_label",
    "runbook_checks",
    "set_tick",
    "ticked",
]

TICK_KINDS = frozenset({"check_ticked", "check_unticked"})
#: What the mitigation checklists are called (the cockpit's checklist picker says the same).
ISSUE_LABELS = {
    "api": "API issues",
    "webhooks": "Webhook issues",
    "database": "Database issues",
    "external": "External dependencies",
    "rate_limiting": "Rate limiting",
}


def issue_label(issue: str) -> str:
    """What the mitigation checklist of ``issue`` is called (a runbook's own: its key, titled)."""
    return ISSUE_LABELS.get(issue, issue.title())


@dataclass(frozen=True, slots=True)
class Check:
    """One tickable item of the runbook: ``id`` names it, ``group`` is what its ticks record,
    ``checklist`` what a tick's text says it belongs to."""

    id: str
    group: str
    item: Item
    checklist: str


def runbook_checks(runbook: Runbook) -> dict[str, Check]:
    """Every item that is ticked by hand, by dotted id, in runbook order. Triage items a probe
    answers are not ticked: their evidence is."""
    out: dict[str, Check] = {}

    def add(prefix: str, group: str, checklist: str, items: Iterable[Item]) -> None:
        for item in items:
            out[f"{prefix}.{item.id}"] = Check(f"{prefix}.{item.id}", group, item, checklist)

    for tg in runbook.triage.groups:
        manual = [i for i in tg.items if i.manual]
        add(f"triage.{tg.id}", f"triage:{tg.id}", f"triage: {tg.title}", manual)
    add("communicate", "status_page", "status page", runbook.comms.status_page_steps)
    for issue, items in runbook.mitigation.items():
        add(f"mitigation.{issue}", f"mitigate:{issue}", issue_label(issue), items)
    for book in runbook.playbooks:
        add(f"playbooks.{book.id}", f"playbook:{book.id}", f"Playbook: {book.title}", book.items)
    return out


def find_check(runbook: Runbook, ref: str, where: str = "CHECK") -> Check:
    """The check ``ref`` names: its dotted id, or an item id only one check has."""
    ref = ref.strip()
    checks = runbook_checks(runbook)
    if ref in checks:
        return checks[ref]
    matches = [c for c in checks.values() if c.item.id == ref]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(c.id for c in matches)
        raise InputError(f"{ref!r} is in more than one checklist: say which of {ids}", where)
    for group in runbook.triage.groups:
        for item in group.items:
            if ref in (item.id, f"triage.{group.id}.{item.id}") and not item.manual:
                raise InputError(
                    f"{ref!r} is answered by the {item.check} probes, not ticked by hand", where
                )
    shown = repr(ref) if len(ref) <= 60 else repr(ref[:50]) + "…"
    near = [c for c in checks if ref and ref in c][:5]
    hint = f"did you mean {', '.join(near)}?" if near else "see `runbook check --json`"
    raise InputError(f"{shown} is not a check of the runbook ({hint})", where)


def ticked(events: Iterable[Event], group: str) -> dict[str, datetime]:
    """Item id → time of its (last) tick, for the items of ``group`` ticked now."""
    state: dict[str, datetime] = {}
    for event in events:
        if event.kind not in TICK_KINDS or event.data.get("group") != group:
            continue
        item = str(event.data.get("item", ""))
        if event.kind == "check_ticked":
            state[item] = event.at
        else:
            state.pop(item, None)
    return state


def already_ticked(
    events: Sequence[Event], label: str, group: str, item_id: str, what: str, on: bool
) -> AlreadyDone | None:
    """The answer when ``item_id`` of ``group`` already is as asked (ticked, ``on``, or
    unticked): who did it and when; None when the tick (or untick) would change it. The rule
    of :func:`set_tick`, and of the outbox's replay."""
    since = ticked(events, group).get(item_id)
    last = next(
        (
            e
            for e in reversed(events)
            if e.kind in TICK_KINDS
            and e.data.get("group") == group
            and e.data.get("item") == item_id
        ),
        None,
    )
    if last is None or (since is not None) != on:
        return None
    done = "ticked" if on else "unticked"
    return AlreadyDone(
        f"{label}: “{what}” was already {done}", by_whom(events, last), last.at, last
    )


def set_tick(
    incidents: Incidents,
    incident_id: int,
    group: str,
    item: Item,
    on: bool,
    context: str = "",
    at: datetime | None = None,
) -> Event:
    """Tick (``on``) or untick ``item`` of ``group``: one timeline event, at ``at`` (default
    now). Ticking a ticked item (or unticking an unticked one) is answered with
    :class:`AlreadyDone` naming who did it and when; unticking one never ticked is refused."""
    verb = "Ticked" if on else "Unticked"
    text = f"{verb}: {item.text}" + (f" ({context})" if context else "")
    kind = "check_ticked" if on else "check_unticked"
    # The state read and the tick written as one, inside the append's serialised section (on a
    # server the incident's row is locked by the read): of two responders ticking at once, the
    # second gets the first one's tick as an answer, not a duplicate.
    with incidents.store.write():
        events = incidents.events(incident_id)
        done = already_ticked(events, f"INC-{incident_id}", group, item.id, item.text, on)
        if done is not None:
            raise done
        if not on and ticked(events, group).get(item.id) is None:
            raise DomainRefused(f"INC-{incident_id}: “{item.text}” is not ticked")
        return incidents.record(incident_id, kind, text, {"group": group, "item": item.id}, at=at)
