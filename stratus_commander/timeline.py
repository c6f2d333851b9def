"""The append-only, hash-chained timeline of an incident.

Each event stores ``hash = sha256(prev_hash + canonical(event))`` where ``canonical`` is the event's
fields as compact, key-sorted JSON. Editing or deleting a row breaks the chain at that row; the
incident row keeps the count and head hash so a deleted *last* event is caught too. This is
tamper-evidence (a careful forger could rewrite everything), not tamper-proofing.

This module is the chain itself, pure: :func:`next_event` makes the next link, :func:`verify`
walks a list of links. The store appends and reads them (``Store.append_event``, ``events``). Text,
actor and data are redacted before they are hashed: the chain covers what the store keeps (the
store redacts every write; redacting redacted text changes nothing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from stratus_commander.clock import from_iso, to_iso
from stratus_commander.secrets import redact, redact_data

GENESIS = "0" * 64

#: Every kind of event the product writes; anything else is refused.
EVENT_KINDS = frozenset(
    {
        "declared",
        "status_changed",
        "field_changed",
        "check_ticked",
        "check_unticked",
        "decision",
        "probe_flipped",
        "message_sent",
        "escalated",
        "call_logged",
        "reminder_set",
        "reminder_due",
        "note",
        "credits",
        "review",
        "closed",
        "reopened",
        "redacted",
        "role_assigned",
        "imported",
        "viewed",
    }
)
#: Kinds only the drill debrief shows (a cockpit tab looked at in a drill): the ordinary
#: timeline, the review and the exports leave them out; the hash chain covers them all the same.
DEBRIEF_ONLY_KINDS = frozenset({"viewed"})


@dataclass(frozen=True, slots=True)
class Event:
    incident_id: int
    seq: int
    at: datetime
    kind: str
    actor: str
    text: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def canonical(self) -> str:
        return json.dumps(
            {
                "incident": self.incident_id,
                "seq": self.seq,
                "at": to_iso(self.at),
                "kind": self.kind,
                "actor": self.actor,
                "text": self.text,
                "data": self.data,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def computed_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode("utf-8")).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": to_iso(self.at),
            "kind": self.kind,
            "actor": self.actor,
            "text": self.text,
            "data": dict(self.data),
            "hash": self.hash,
        }


def event_from_row(row: Mapping[str, Any]) -> Event:
    """An event as stored (the store reads rows; a value it cannot parse is damage)."""
    return Event(
        incident_id=row["incident_id"],
        seq=row["seq"],
        at=from_iso(row["at"]),
        kind=row["kind"],
        actor=row["actor"],
        text=row["text"],
        data=json.loads(row["data"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def next_event(
    last: tuple[int, str] | None,
    incident_id: int,
    at: datetime,
    kind: str,
    actor: str,
    text: str = "",
    data: Mapping[str, Any] | None = None,
) -> Event:
    """The event that follows ``last`` (its seq and hash; ``None`` for the first), hashed.

    Its text, actor and data are redacted first: the chain covers exactly what the store keeps
    (the store redacts every write too, and redacting redacted text changes nothing).
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    # Round-tripped through JSON so the data hashed is the data read back.
    clean = json.loads(json.dumps(redact_data(dict(data or {})), ensure_ascii=False))
    event = Event(incident_id, seq, at, kind, redact(actor), redact(text), clean, prev)
    return replace(event, hash=event.computed_hash())


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_at: int | None = None  # seq of the first bad link
    reason: str = ""


def verify(evs: Sequence[Event], head: tuple[int, str] | None) -> Verification:
    """Walk the chain; report the first broken link (edited, deleted or reordered event).

    ``head`` is what the incident row records (event count, last hash): a deleted *last* event
    leaves every link intact but disagrees with it.
    """
    prev = GENESIS
    for expected_seq, ev in enumerate(evs, start=1):
        if ev.seq != expected_seq:
            return Verification(
                False, expected_seq - 1, expected_seq, f"event {expected_seq} is missing"
            )
        if ev.prev_hash != prev:
            return Verification(
                False,
                expected_seq - 1,
                ev.seq,
                f"event {ev.seq} does not link to event {ev.seq - 1}",
            )
        if ev.computed_hash() != ev.hash:
            return Verification(
                False, expected_seq - 1, ev.seq, f"event {ev.seq} ({ev.kind}) was altered"
            )
        prev = ev.hash
    if head is not None and (head[0] != len(evs) or head[1] != prev):
        missing = head[0] if head[0] > len(evs) else len(evs)
        return Verification(
            False,
            len(evs),
            missing,
            f"the incident records {head[0]} events but {len(evs)} remain (last removed?)",
        )
    return Verification(True, len(evs))
