"""Incidents: the model, its projection from the timeline, and the commander's actions.

Every action is one timeline event; the incident row is the projection of its events and is updated
in the same transaction (``project`` is the single place that says what an event changes). The CLI
and the GUI both call :class:`Incidents`. An action may be given the time it happened (``at``,
default now), checked by the rules of :mod:`~stratus_commander.incident.times`; such an event
also records when it was entered (``data["entered_at"]``).
"""

from __future__ import annotations

import builtins  # Incidents.list shadows the builtin inside the class
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, get_args

from stratus_commander.clock import Clock, from_iso, to_iso, truncate_ms
from stratus_commander.errors import AlreadyDone, DomainRefused, InputError, NotFound, TimeRefused
from stratus_commander.incident.drill_run import DrillRun
from stratus_commander.incident.holders import by_whom
from stratus_commander.incident.times import check_time, declaration_times, plausible_time
from stratus_commander.runbook import SERVICES, Impact
from stratus_commander.store import Json, Store
from stratus_commander.store.outbox import local_label
from stratus_commander.text import each_one_line, multi_line, one_line
from stratus_commander.timeline import DEBRIEF_ONLY_KINDS, Event, Verification, verify

IMPACTS: tuple[str, ...] = get_args(Impact)
STATUSES = ("investigating", "identified", "monitoring", "resolved", "closed")
OPEN_STATUSES = ("investigating", "identified", "monitoring")
DECISIONS = ("internal", "external", "unknown")
#: Where a status update was sent (the cockpit's "Sent via").
CHANNELS = ("status_page", "email", "slack", "sms", "other")
#: How someone was escalated to.
ESCALATION_MEANS = ("paged", "called", "messaged")
#: Ids are SQLite integers (signed 64-bit); a larger number is no incident's and cannot be asked.
MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    title: str
    scope: tuple[str, ...]
    impact: str
    affected_services: tuple[str, ...]
    status: str
    drill: bool
    detected_at: datetime
    declared_at: datetime
    triaged_at: datetime | None = None
    triage_decision: str | None = None
    first_update_at: datetime | None = None
    last_update_at: datetime | None = None
    escalated_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    review_done_at: datetime | None = None
    event_count: int = 0
    head_hash: str = ""

    @property
    def label(self) -> str:
        return incident_label(self.id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = to_iso(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        out["label"] = self.label
        return out


_TIME_FIELDS = {f.name for f in fields(Incident) if f.name.endswith("_at")}
_LIST_FIELDS = {"scope", "affected_services"}


_FIELD_NAMES = tuple(f.name for f in fields(Incident))
_PLAIN_FIELDS = tuple(n for n in _FIELD_NAMES if n not in _TIME_FIELDS | _LIST_FIELDS | {"drill"})


@lru_cache(maxsize=1024)
def _names(text: str) -> tuple[str, ...]:
    # Scopes and services repeat from incident to incident: each distinct list parsed once.
    return tuple(json.loads(text))


def _from_row(row: Mapping[str, Any]) -> Incident:
    # Field by kind, not one loop testing each name: the library reads thousands at once.
    values: dict[str, Any] = {name: row[name] for name in _PLAIN_FIELDS}
    for name in _TIME_FIELDS:
        value = row[name]
        values[name] = from_iso(value) if value else None
    for name in _LIST_FIELDS:
        values[name] = _names(row[name])
    values["drill"] = bool(row["drill"])
    return Incident(**values)


class Listed:
    """One incident as a long list shows it: the stored row's plain fields at once, the whole
    :class:`Incident` (times parsed) only when first asked for. Ten thousand incidents list in
    the time of reading their rows."""

    __slots__ = ("_incident", "_row", "detected_iso", "drill", "id", "impact", "status", "title")

    def __init__(self, row: Mapping[str, Any]) -> None:
        self._row = row
        self._incident: Incident | None = None
        self.id: int = row["id"]
        self.title: str = row["title"]
        self.impact: str = row["impact"]
        self.status: str = row["status"]
        self.drill = bool(row["drill"])
        self.detected_iso: str = row["detected_at"]  # ISO UTC with ms: sorts as the time does

    @property
    def label(self) -> str:
        return incident_label(self.id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def incident(self) -> Incident:
        if self._incident is None:
            self._incident = _from_row(self._row)
        return self._incident


def _to_column(name: str, value: Any) -> Any:
    if name in _TIME_FIELDS:
        return to_iso(value) if value is not None else None
    if name in _LIST_FIELDS:
        return Json(list(value))
    return value


def project(incident: Incident, event: Event) -> Incident:
    """What one event changes in the incident (pure; replayed by ``verify_projection``)."""
    d, at = event.data, event.at
    if event.kind == "status_changed":
        to = d["to"]
        return replace(
            incident,
            status=to,
            mitigated_at=incident.mitigated_at or (at if to == "monitoring" else None),
            resolved_at=at
            if to == "resolved"
            else (None if to in OPEN_STATUSES else incident.resolved_at),
        )
    if event.kind == "decision":
        return replace(
            incident, triaged_at=incident.triaged_at or at, triage_decision=d["decision"]
        )
    if event.kind == "message_sent":
        return replace(incident, first_update_at=incident.first_update_at or at, last_update_at=at)
    if event.kind == "escalated":
        return replace(incident, escalated_at=incident.escalated_at or at)
    if event.kind == "field_changed":
        value = d["value"]
        if d["field"] == "detected_at":
            value = from_iso(value)
        elif d["field"] in _LIST_FIELDS:
            value = tuple(value)
        return replace(incident, **{d["field"]: value})
    if event.kind == "closed":
        return replace(incident, status="closed", closed_at=at)
    if event.kind == "review" and d.get("completed"):
        return replace(incident, review_done_at=incident.review_done_at or at)
    return incident


def parse_incident_id(text: str | int) -> int:
    """Accept ``7`` or ``INC-7``; ``L1`` or ``INC-L1`` (an incident declared while the team
    server was away) is the local id -1."""
    m = re.fullmatch(r"(?:INC-)?(L?)(\d+)", str(text).strip(), flags=re.IGNORECASE)
    shown = repr(str(text)) if len(str(text)) <= 40 else repr(str(text)[:30]) + "…"
    if not m:
        raise InputError(f"not an incident id: {shown} (expected e.g. 7 or INC-7)", where="ID")
    # Length first: int() refuses strings of over 4300 digits with its own ValueError.
    digits = m.group(2).lstrip("0") or "0"
    if len(digits) > len(str(MAX_ID)) or int(digits) > MAX_ID:
        raise InputError(f"{shown} is beyond the largest incident id ({MAX_ID})", where="ID")
    if m.group(1):
        if digits == "0":
            raise InputError(f"not an incident id: {shown} (local ids start at L1)", where="ID")
        return -int(digits)
    return int(digits)


def _check_services(
    values: Iterable[str], allowed: Iterable[str] | None, field: str
) -> tuple[str, ...]:
    out = tuple(v.strip() for v in values if v.strip())
    if allowed is not None:
        allowed = tuple(allowed)
        lookup = {a.lower(): a for a in allowed}
        bad = [v for v in out if v.lower() not in lookup]
        if bad:
            raise InputError(
                f"unknown {', '.join(bad)} (choose from {', '.join(allowed)})", where=field
            )
        out = tuple(lookup[v.lower()] for v in out)
    return tuple(dict.fromkeys(out))


Listener = Callable[[Incident, Event], object]


def already_decided(label: str, events: Sequence[Event]) -> AlreadyDone:
    """The answer to a triage decision made again (or otherwise, unseen): the decision that
    stands, who made it and when (``events``: a timeline with a decision). The rule of
    :meth:`Incidents.decide`, and of the outbox's replay."""
    last = next(e for e in reversed(events) if e.kind == "decision")
    current = last.data.get("decision")
    return AlreadyDone(
        f"{label}: triage was already decided: {current}", by_whom(events, last), last.at, last
    )


def incident_label(incident_id: int) -> str:
    """``INC-7``; ``INC-L1`` for an incident declared while the team server was away (a local
    id, negative, until the server numbers it: ``store/outbox.py``)."""
    return f"INC-{incident_id}" if incident_id >= 0 else local_label(incident_id)


class Incidents:
    """The commander's actions on incidents: one call, one durable timeline event."""

    def __init__(self, store: Store, clock: Clock, actor: str = "commander") -> None:
        self.store = store
        self.clock = clock
        self.actor = actor
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """``listener(incident_after, event)`` after every committed event; returns a function
        that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # --- reading ----------------------------------------------------------------------------

    def get(self, incident_id: int) -> Incident:
        row = self.store.incident_row(incident_id)
        if row is None:
            raise NotFound(f"no incident {incident_label(incident_id)} in {self.store.location}")
        return _from_row(row)

    def list(self, open_only: bool = False) -> list[Incident]:
        return [_from_row(r) for r in self.store.incident_rows(open_only)]

    def listed(self) -> builtins.list[Listed]:
        """Every incident, newest declared first, each parsed only when first needed."""
        return [Listed(r) for r in self.store.incident_rows(False)]

    def last_open(self) -> Incident | None:
        open_ = self.list(open_only=True)
        return open_[0] if open_ else None

    def events(self, incident_id: int, kinds: Iterable[str] | None = None) -> builtins.list[Event]:
        """The timeline, of ``kinds`` when given; by default without the kinds only the drill
        debrief shows (``DEBRIEF_ONLY_KINDS``: ask for them by kind)."""
        self.get(incident_id)
        wanted = None if kinds is None else frozenset(kinds)
        return [
            e
            for e in self.store.events(incident_id)
            if (e.kind in wanted if wanted is not None else e.kind not in DEBRIEF_ONLY_KINDS)
        ]

    def verify(self, incident_id: int) -> Verification:
        self.get(incident_id)
        return verify(self.store.events(incident_id), self.store.timeline_head(incident_id))

    def verify_projection(self, incident_id: int) -> builtins.list[str]:
        """Replay the timeline; list the incident fields that disagree with the stored row."""
        stored = self.get(incident_id)
        evs = self.store.events(incident_id)
        if not evs or evs[0].kind != "declared":
            return ["the timeline does not start with the declaration"]
        d = evs[0].data
        replayed = replace(
            stored,
            title=d["title"],
            impact=d["impact"],
            scope=tuple(d["scope"]),
            affected_services=tuple(d["affected_services"]),
            detected_at=from_iso(d["detected_at"]),
            declared_at=evs[0].at,
            status="investigating",
            drill=bool(d.get("drill", False)),
            triage_decision=None,
            **dict.fromkeys(_TIME_FIELDS - {"detected_at", "declared_at"}),  # type: ignore[arg-type]
        )
        for ev in evs[1:]:
            replayed = project(replayed, ev)
        return [
            f.name for f in fields(Incident) if getattr(replayed, f.name) != getattr(stored, f.name)
        ]

    def search(self, text: str) -> builtins.list[Incident]:
        """Full-text search over titles, timeline text (notes, messages, ...) and the close and
        review records (RCA, fix, lessons, action items; ``reviews.search_text``)."""
        words = text.replace('"', " ").split()
        if not words:
            return []
        # Every word must appear; the last one may be a prefix ("pool" finds "pools").
        return [_from_row(r) for r in self.store.search_incident_rows(words)]

    # --- acting -----------------------------------------------------------------------------

    def declare(
        self,
        title: str,
        impact: str,
        scope: Iterable[str] = (),
        affected_services: Iterable[str] = (),
        detected_at: datetime | None = None,
        drill: bool = False,
        declared_at: datetime | None = None,
        drill_run: DrillRun | None = None,
    ) -> Incident:
        """A new incident: the first event of its timeline, at ``declared_at`` (default now);
        detected at ``detected_at`` (default: when it was declared). ``drill_run``: the drill
        scenario it rehearses and when that started (makes it a drill; the debrief reads it back
        with :func:`drill_run_of`)."""
        one_line(title, "title")
        scope = each_one_line(scope, "scope")
        affected_services = each_one_line(affected_services, "affected services")
        now = self.clock.now()
        title = " ".join(title.split())
        if not title:
            raise InputError("must not be empty", where="title")
        if len(title) > 200:
            raise InputError("longer than 200 characters", where="title")
        if impact.capitalize() not in IMPACTS:
            raise InputError(f"{impact!r} is not one of {', '.join(IMPACTS)}", where="impact")
        impact = impact.capitalize()
        scope_t = _check_services(scope, SERVICES, "scope")
        affected_t = _check_services(affected_services, None, "affected services")
        detected, declared = declaration_times(detected_at, declared_at, now)
        if drill_run is not None:
            drill = True
            started = plausible_time(drill_run.started_at, now, "drill started at")
            if started > detected:
                raise TimeRefused(
                    "the drill's start",
                    started,
                    "is after the detection at",
                    detected,
                    "drill started at",
                )
            drill_run = replace(drill_run, started_at=truncate_ms(started))
        data: dict[str, Any] = {
            "title": title,
            "impact": impact,
            "scope": list(scope_t),
            "affected_services": list(affected_t),
            "detected_at": to_iso(detected),
            "drill": drill,
        }
        if drill_run is not None:
            data["drill_run"] = drill_run.as_json()
        if declared_at is not None:
            data["entered_at"] = to_iso(now)
        with self.store.write():
            incident_id = self.store.insert_incident(
                {
                    "title": title,
                    "scope": Json(data["scope"]),
                    "impact": impact,
                    "affected_services": Json(data["affected_services"]),
                    "status": "investigating",
                    "drill": int(drill),
                    "detected_at": to_iso(detected),
                    "declared_at": to_iso(declared),
                }
            )
            event = self.store.append_event(
                incident_id, declared, "declared", self.actor, title, data
            )
        incident = self.get(incident_id)
        self.store.after_commit(lambda: self.announce(incident, event))
        return incident

    def record(
        self,
        incident_id: int,
        kind: str,
        text: str = "",
        data: Mapping[str, Any] | None = None,
        allow_closed: bool = False,
        actor: str | None = None,
        at: datetime | None = None,
    ) -> Event:
        """Append any event and apply its effect, in one durable transaction; signed by
        ``actor`` (default: this instance's person; the system signs what it does by itself).

        ``at``: when it happened, if not now; refused (``TimeRefused``, naming the rule) when the
        timeline cannot hold it (``incident/times.py``). The event then records when it was
        entered too.
        """
        now = self.clock.now()
        with self.store.write():
            before = self.get(incident_id)
            if before.status == "closed" and not allow_closed:
                raise DomainRefused(f"{before.label} is closed; its timeline is read-only")
            when = now
            if at is not None:
                evs = self.store.events(incident_id)
                when = check_time(before, evs, kind, data or {}, at, now)
                data = {**(data or {}), "entered_at": to_iso(now)}
            event = self.store.append_event(
                incident_id, when, kind, actor or self.actor, text, data
            )
            after = project(before, event)
            changed = {
                f.name: _to_column(f.name, getattr(after, f.name))
                for f in fields(Incident)
                if f.name not in ("event_count", "head_hash")
                and getattr(after, f.name) != getattr(before, f.name)
            }
            self.store.update_incident(incident_id, changed)
        incident = replace(after, event_count=event.seq, head_hash=event.hash)
        self.store.after_commit(lambda: self.announce(incident, event))
        return event

    def note(self, incident_id: int, text: str, at: datetime | None = None) -> Event:
        text = multi_line(text, "note").strip()
        if not text:
            raise InputError("must not be empty", where="note")
        return self.record(incident_id, "note", text, allow_closed=True, at=at)

    def set_status(
        self, incident_id: int, status: str, text: str = "", at: datetime | None = None
    ) -> Event:
        one_line(status, "status")
        one_line(text, "status text")
        status = status.lower()
        if status not in STATUSES or status == "closed":
            choices = ", ".join(s for s in STATUSES if s != "closed")
            raise InputError(
                f"{status!r} is not one of {choices} (close with `close`)", where="status"
            )
        current = self.get(incident_id)
        if current.status == status:
            raise DomainRefused(f"{current.label} is already {status}")
        return self.record(
            incident_id,
            "status_changed",
            f"Status: {current.status} → {status}" + (f" — {text}" if text else ""),
            {"from": current.status, "to": status},
            at=at,
        )

    def resolve(self, incident_id: int, text: str = "", at: datetime | None = None) -> Event:
        return self.set_status(incident_id, "resolved", text, at)

    def decide(
        self,
        incident_id: int,
        decision: str,
        reason: str = "",
        at: datetime | None = None,
        seen: str | bool | None = False,
    ) -> Event:
        """The triage decision (meets TRIAGE the first time).

        Answered with :class:`AlreadyDone` (who decided, when) when it already stands, or, given
        ``seen`` (the decision the caller was looking at: ``None`` for none), when someone
        decided otherwise meanwhile: of two responders deciding at once, the second is told.
        Checked inside the append's serialised section. What was seen is recorded with the
        decision (``data["seen"]``): a decision queued while the team server was away is held
        to the same rule when it is sent (``incident/outbox.py``)."""
        one_line(reason, "reason")
        if decision not in DECISIONS:
            raise InputError(f"{decision!r} is not one of {', '.join(DECISIONS)}", where="decision")
        text = f"Triage decision: {decision}" + (f" — {reason}" if reason else "")
        data: dict[str, Any] = {"decision": decision, "reason": reason}
        if seen is not False:
            data["seen"] = seen
        with self.store.write():
            current = self.get(incident_id).triage_decision  # locks the incident on a server
            if current is not None and (
                current == decision or (seen is not False and seen != current)
            ):
                raise already_decided(incident_label(incident_id), self.store.events(incident_id))
            return self.record(incident_id, "decision", text, data, at=at)

    def send_update(
        self,
        incident_id: int,
        text: str,
        channel: str = "other",
        template: str | None = None,
        format: str | None = None,
        at: datetime | None = None,
    ) -> Event:
        """A status update sent (``text`` as sent, via ``channel``; ``template`` and ``format``
        when the cockpit generated it): meets COMMUNICATE the first time, restarts NEXT UPDATE.
        Recorded on a resolved incident too (the resolved message is an update)."""
        text = multi_line(text, "text").strip()
        if not text:
            raise InputError("must not be empty: the message as sent", where="text")
        if channel not in CHANNELS:
            raise InputError(f"{channel!r} is not one of {', '.join(CHANNELS)}", where="channel")
        data: dict[str, Any] = {"channel": channel}
        if template is not None:
            data["template"] = template
        if format is not None:
            data["format"] = format
        return self.record(incident_id, "message_sent", text, data, at=at)

    def escalate(
        self, incident_id: int, to: Iterable[str], how: str = "", at: datetime | None = None
    ) -> Event:
        """Escalated to ``to`` (people or roles), ``how`` (paged, called, messaged): meets
        ESCALATE the first time."""
        who = _check_services(each_one_line(to, "to"), None, "to")
        if not who:
            raise InputError("whom? name at least one person or role", where="to")
        if how and how not in ESCALATION_MEANS:
            raise InputError(f"{how!r} is not one of {', '.join(ESCALATION_MEANS)}", where="how")
        text = f"Escalated to {', '.join(who)}" + (f" ({how})" if how else "")
        data: dict[str, Any] = {"to": list(who)}
        if how:
            data["how"] = how
        return self.record(incident_id, "escalated", text, data, at=at)

    def announce(self, incident: Incident, event: Event) -> None:
        """Tell the listeners of a committed event (this instance's own events are told at once;
        the recorder's, written on its thread, are announced here by whoever owns this one)."""
        for listener in list(self._listeners):
            listener(incident, event)
