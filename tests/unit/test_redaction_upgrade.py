"""m004: a database written by an earlier version, with secrets stored raw, is redacted on open.

The legacy file is built as those versions wrote it: the schema up to m003, raw titles, close and
review records, action items and search text, and events hashed over their raw text.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from stratus_commander.clock import FakeClock, from_iso
from stratus_commander.incident import Incidents
from stratus_commander.review import CloseRecord, build_review
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store
from stratus_commander.store.sqlite import migrations
from stratus_commander.timeline import GENESIS, Event

KEY = "sk_live_51LegacyKeyAbCdEfGhIjKlMn"
ENCODED = "u1234567-0123456789abcdef01234567"  # an UptimeRobot key, percent-encoded in a URL
T0 = "2026-11-27T14:30:00.000Z"


def _legacy_digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class LegacyWriter:
    """Writes rows as versions before m004 did: nothing redacted, events hashed raw."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        migrations.migrations.apply(
            sqlite_utils.Database(self.conn), stop_before="m004_redact_stored"
        )

    def incident(self, title: str, affected: str = f"Stripe {KEY}") -> int:
        cur = self.conn.execute(
            "INSERT INTO incidents (title, scope, impact, affected_services, status, drill, "
            "detected_at, declared_at, head_hash) VALUES (?, '[]', 'Major', ?, 'investigating', "
            "0, ?, ?, '')",
            [title, json.dumps([affected]), T0, T0],
        )
        incident_id = int(cur.lastrowid or 0)
        data = {
            "title": title,
            "impact": "Major",
            "scope": [],
            "affected_services": [affected],
            "detected_at": T0,
            "drill": False,
        }
        self.event(incident_id, "declared", title, data)
        return incident_id

    def event(self, incident_id: int, kind: str, text: str, data: dict[str, Any]) -> None:
        last = self.conn.execute(
            "SELECT seq, hash FROM events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1",
            [incident_id],
        ).fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = Event(incident_id, seq, from_iso(T0), kind, "alice", text, data, prev)
        digest = event.computed_hash()
        self.conn.execute(
            "INSERT INTO events (incident_id, seq, at, kind, actor, text, data, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [incident_id, seq, T0, kind, "alice", text, json.dumps(data), prev, digest],
        )
        self.conn.execute(
            "UPDATE incidents SET event_count = ?, head_hash = ? WHERE id = ?",
            [seq, digest, incident_id],
        )

    def close_record(self, incident_id: int) -> None:
        close = CloseRecord(
            answers={"root_cause_analysis.identify-root-cause": f"leaked {KEY}"}
        ).as_json()
        self.conn.execute(
            "INSERT INTO reviews (incident_id, close, search_text, updated_at) VALUES (?, ?, ?, ?)",
            [incident_id, json.dumps(close), f"leaked {KEY}", T0],
        )
        cur = self.conn.execute(
            "INSERT INTO action_items (incident_id, category, text, created_at) "
            "VALUES (?, 'immediate-fixes', ?, ?)",
            [incident_id, f"rotate {KEY}", T0],
        )
        item = {
            "id": cur.lastrowid,
            "category": "immediate-fixes",
            "text": "rotate sk_live_[REDACTED]",  # the timeline redacted; the table did not
            "owner": "",
            "deadline": None,
            "status": "open",
            "created_at": T0,
            "done_at": None,
        }
        self.event(incident_id, "review", "Action item added", {"action_item": item})
        self.event(incident_id, "closed", "Closed", {"digest": _legacy_digest(close)})
        self.conn.execute(
            "UPDATE incidents SET status = 'closed', closed_at = ? WHERE id = ?", [T0, incident_id]
        )


def _bytes_on_disk(path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


def test_an_old_database_loses_its_secrets_and_keeps_a_true_chain(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    legacy = LegacyWriter(path)
    iid = legacy.incident(f"Stripe down, key {KEY}")
    legacy.event(iid, "note", f"redirect to /cb?api_key%3D{ENCODED}", {})
    legacy.close_record(iid)
    old_head = legacy.conn.execute("SELECT head_hash FROM incidents").fetchone()[0]
    legacy.conn.close()
    assert KEY.encode() in _bytes_on_disk(path)  # the premise: it was there

    store = open_store(path)
    incidents = Incidents(store, FakeClock(from_iso("2026-12-05T10:00:00Z")))
    store.close()  # a checkpoint: what the next reader of the file finds
    raw = _bytes_on_disk(path)
    for secret in (KEY, KEY[len("sk_live_") :], ENCODED, ENCODED[1:]):
        assert secret.encode() not in raw

    store = open_store(path)
    incidents = Incidents(store, FakeClock(from_iso("2026-12-05T10:00:00Z")))
    assert incidents.verify(iid).ok
    assert incidents.verify_projection(iid) == []
    assert incidents.get(iid).title == "Stripe down, key sk_live_[REDACTED]"
    last = incidents.events(iid)[-1]
    assert (last.kind, last.actor) == ("redacted", "upgrade")
    assert last.data["previous_head"] == old_head and last.data["from_seq"] == 1
    review = build_review(incidents, load_runbook(None), iid)
    # The close record's digest followed its redaction; the action item now agrees with the
    # timeline's (redacted) record of it, which the raw row did not.
    assert not review.record_problems
    assert incidents.search("leaked") and not incidents.search("51LegacyKey")


def test_a_tampered_chain_stays_broken_but_loses_its_secrets(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    legacy = LegacyWriter(path)
    iid = legacy.incident("API down")
    legacy.event(iid, "note", f"key {KEY}", {})
    legacy.event(iid, "note", "later", {})
    legacy.conn.execute("UPDATE events SET text = 'edited' WHERE seq = 3")  # tampering
    legacy.conn.close()

    store = open_store(path)
    incidents = Incidents(store, FakeClock(from_iso("2026-12-05T10:00:00Z")))
    result = incidents.verify(iid)
    assert not result.ok and result.broken_at == 3  # an upgrade does not launder it
    assert [e.kind for e in incidents.events(iid)] == ["declared", "note", "note"]
    store.close()
    assert KEY.encode() not in _bytes_on_disk(path)


def test_a_clean_old_database_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    legacy = LegacyWriter(path)
    iid = legacy.incident("API down", affected="Stripe")
    legacy.event(iid, "note", "pool exhausted", {})
    before = legacy.conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    legacy.conn.close()

    store = open_store(path)
    after = store.conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    assert [tuple(r) for r in after] == before  # no "redacted" event, no re-hash
    assert Incidents(store, FakeClock(from_iso(T0))).verify(iid).ok
