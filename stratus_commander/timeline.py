"""The append-only, hash-chained timeline of an incident.

Each event stores ``hash = sha256(prev_hash + canonical(event))`` where ``canonical`` is the event's
fields as compact, key-sorted JSON. Editing or deleting a row breaks the chain at that row; the
incident row keeps the count and head hash so a deleted *last* event is caught too. This is
tamper-evidence (a careful forger could rewrite everything), not tamper-proofing.

Text, actor and data are redacted before they are hashed: the chain covers what the store keeps
(the store redacts every write; redacting redacted text changes nothing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stratus_commander.clock import from_iso, to_iso
from stratus_commander.secrets import redact, redact_data
from stratus_commander.store import Json, RedactingConnection, damage, translate_errors

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
    }
)


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


def _row_to_event(row: Mapping[str, Any]) -> Event:
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


def append(
    conn: RedactingConnection,
    incident_id: int,
    at: datetime,
    kind: str,
    actor: str,
    text: str = "",
    data: Mapping[str, Any] | None = None,
) -> Event:
    """Append one event inside the caller's write transaction and return it (with its hash).

    The caller (incident.py) updates the incident projection in the same transaction, so the
    event and its effect commit or vanish together.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    last = conn.execute(
        "SELECT seq, hash FROM events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1",
        [incident_id],
    ).fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    # Hash exactly what the store will keep: redacted (the store would redact it anyway, and the
    # chain must agree with the row) and round-tripped through JSON.
    clean = json.loads(json.dumps(redact_data(dict(data or {})), ensure_ascii=False))
    event = Event(incident_id, seq, at, kind, redact(actor), redact(text), clean, prev)
    event = Event(**{**_fields(event), "hash": event.computed_hash()})
    conn.execute(
        "INSERT INTO events (incident_id, seq, at, kind, actor, text, data, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            incident_id,
            seq,
            to_iso(at),
            kind,
            event.actor,
            event.text,
            Json(clean, sort_keys=True),
            prev,
            event.hash,
        ],
    )
    conn.execute(
        "UPDATE incidents SET event_count = ?, head_hash = ? WHERE id = ?",
        [seq, event.hash, incident_id],
    )
    return event


def _fields(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in Event.__slots__}


def events(
    conn: RedactingConnection, incident_id: int, kinds: set[str] | None = None
) -> list[Event]:
    with translate_errors(conn):  # a damaged page or value: StoreDamaged, not a traceback
        rows = conn.execute(
            "SELECT incident_id, seq, at, kind, actor, text, data, prev_hash, hash "
            "FROM events WHERE incident_id = ? ORDER BY seq",
            [incident_id],
        )
        names = [d[0] for d in rows.description]
        out = []
        for r in rows:
            row = dict(zip(names, r, strict=True))
            try:
                out.append(_row_to_event(row))
            except (ValueError, TypeError) as exc:  # a time or JSON the app never wrote
                raise damage(conn, f"event {row['seq']} of INC-{incident_id}: {exc}") from exc
    return [e for e in out if kinds is None or e.kind in kinds]


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_at: int | None = None  # seq of the first bad link
    reason: str = ""


def verify(conn: RedactingConnection, incident_id: int) -> Verification:
    """Walk the chain; report the first broken link (edited, deleted or reordered event)."""
    with translate_errors(conn):
        head = conn.execute(
            "SELECT event_count, head_hash FROM incidents WHERE id = ?", [incident_id]
        ).fetchone()
    evs = events(conn, incident_id)
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
