"""The database schema, as sqlite-utils migrations applied in order by :meth:`SqliteStore.open`.

A separate module: an up-to-date database (the usual case) opens without importing sqlite-utils
(and the numpy, dateutil and pluggy it brings: a fifth of a second at the cockpit's start-up).
Every migration's name is listed in ``schema.MIGRATIONS`` too, so the store can tell without them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from stratus_commander.actors import UPGRADE
from stratus_commander.clock import from_iso, truncate_ms
from stratus_commander.secrets import redact, redact_data
from stratus_commander.store.redaction import digest
from stratus_commander.store.sqlite.compact_samples import compact_samples
from stratus_commander.store.sqlite.connection import RedactingConnection
from stratus_commander.store.sqlite.rollup import rebuild_sample_minutes
from stratus_commander.store.sqlite.schema import MIGRATION_SET, MIGRATIONS_TABLE
from stratus_commander.store.sqlite.timeline import TimelineQueries
from stratus_commander.timeline import GENESIS, Event

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    # Incident rows are a projection of their timeline (see incident.py); the events are the record.
    db.execute(
        """
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            scope TEXT NOT NULL DEFAULT '[]',
            impact TEXT NOT NULL,
            affected_services TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL,
            drill INTEGER NOT NULL DEFAULT 0,
            detected_at TEXT NOT NULL,
            declared_at TEXT NOT NULL,
            triaged_at TEXT,
            triage_decision TEXT,
            first_update_at TEXT,
            last_update_at TEXT,
            escalated_at TEXT,
            mitigated_at TEXT,
            resolved_at TEXT,
            closed_at TEXT,
            review_done_at TEXT,
            event_count INTEGER NOT NULL DEFAULT 0,
            head_hash TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            seq INTEGER NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            UNIQUE (incident_id, seq)
        )
        """
    )
    db.execute("CREATE INDEX events_incident_at ON events(incident_id, at)")
    db.execute(
        """
        CREATE TABLE probes (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            "check" TEXT NOT NULL
        )
        """
    )
    # Millions of rows: integer times, an outcome code, a clustered key per probe and time so a
    # window of one probe is one range scan. detail is kept only when the sample is not "up".
    # No foreign key: probe ids come from our own registry, and the per-row check halves the
    # batch insert rate.
    db.execute(
        """
        CREATE TABLE samples (
            probe_id INTEGER NOT NULL,
            at_ms INTEGER NOT NULL,
            outcome INTEGER NOT NULL,
            latency_ms REAL,
            detail TEXT,
            metrics TEXT,
            PRIMARY KEY (probe_id, at_ms)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE flips (
            id INTEGER PRIMARY KEY,
            probe_id INTEGER NOT NULL REFERENCES probes(id),
            at_ms INTEGER NOT NULL,
            previous TEXT,
            current TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX flips_at ON flips(at_ms)")
    db.table("incidents").enable_fts(["title"], create_triggers=True)
    db.table("events").enable_fts(["text"], create_triggers=True)


_MARK_DIRTY = """
INSERT INTO sample_minutes_dirty (probe_id, minute) VALUES ({row}.probe_id, {row}.at_ms / 60000)
ON CONFLICT DO NOTHING;
"""


@migrations()
def m002_review_credits(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE sample_minutes (
            "check" TEXT NOT NULL,
            minute INTEGER NOT NULL,
            probe_id INTEGER NOT NULL,
            n INTEGER NOT NULL,
            n_known INTEGER NOT NULL,
            n_degraded INTEGER NOT NULL,
            n_down INTEGER NOT NULL,
            lat_max REAL,
            PRIMARY KEY ("check", minute, probe_id)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE sample_minutes_dirty (
            probe_id INTEGER NOT NULL,
            minute INTEGER NOT NULL,
            PRIMARY KEY (probe_id, minute)
        ) WITHOUT ROWID
        """
    )
    # The WHEN clause keeps the common case (the minute is already marked) to one lookup.
    db.execute(
        "CREATE TRIGGER samples_minute_ins AFTER INSERT ON samples WHEN NOT EXISTS ("
        "SELECT 1 FROM sample_minutes_dirty WHERE probe_id = NEW.probe_id "
        f"AND minute = NEW.at_ms / 60000) BEGIN {_MARK_DIRTY.format(row='NEW')} END"
    )
    db.execute(
        "CREATE TRIGGER samples_minute_del AFTER DELETE ON samples "
        f"BEGIN {_MARK_DIRTY.format(row='OLD')} END"
    )
    db.execute(
        "CREATE TRIGGER samples_minute_upd AFTER UPDATE ON samples "
        f"BEGIN {_MARK_DIRTY.format(row='OLD')} {_MARK_DIRTY.format(row='NEW')} END"
    )
    rebuild_sample_minutes(db.conn, before_m005=True)
    # The close record and the review (JSON), with their text flattened for full-text search.
    db.execute(
        """
        CREATE TABLE reviews (
            incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
            close TEXT,
            pir TEXT,
            search_text TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        )
        """
    )
    db.table("reviews").enable_fts(["search_text"], create_triggers=True)
    db.execute(
        """
        CREATE TABLE action_items (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            category TEXT NOT NULL,
            text TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            deadline TEXT,
            status TEXT NOT NULL DEFAULT 'open',
            created_at TEXT NOT NULL,
            done_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX action_items_incident ON action_items(incident_id)")
    db.execute(
        """
        CREATE TABLE maintenance_windows (
            id INTEGER PRIMARY KEY,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (start_ms, end_ms),
            CHECK (end_ms > start_ms)
        )
        """
    )
    # Amounts and percentages are Decimal text, never REAL: credits are money.
    db.execute(
        """
        CREATE TABLE credit_runs (
            incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
            month TEXT NOT NULL,
            data TEXT NOT NULL,
            digest TEXT NOT NULL,
            computed_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE credits (
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            account_id TEXT NOT NULL,
            name TEXT NOT NULL,
            currency TEXT NOT NULL,
            monthly_fee TEXT NOT NULL,
            groups TEXT NOT NULL,
            month TEXT NOT NULL,
            uptime TEXT,
            credit_percent TEXT NOT NULL,
            due_amount TEXT NOT NULL,
            previously_credited TEXT NOT NULL,
            amount TEXT NOT NULL,
            explanation TEXT NOT NULL,
            PRIMARY KEY (incident_id, account_id)
        )
        """
    )
    db.execute("CREATE INDEX credits_month_account ON credits(month, account_id)")
    db.execute(
        """
        CREATE TABLE learnings (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            step TEXT NOT NULL,
            text TEXT NOT NULL,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX learnings_step ON learnings(step)")


@migrations()
def m003_credits_by_month(db: sqlite_utils.Database) -> None:
    # An outage across a month end owes a credit in each month: one report per incident AND
    # month. SQLite cannot change a primary key in place, so each table is rebuilt and its rows
    # copied (a stored report keeps its month); the migration is one transaction.
    db.execute(
        """
        CREATE TABLE credit_runs_by_month (
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            month TEXT NOT NULL,
            data TEXT NOT NULL,
            digest TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            PRIMARY KEY (incident_id, month)
        )
        """
    )
    db.execute(
        "INSERT INTO credit_runs_by_month (incident_id, month, data, digest, computed_at) "
        "SELECT incident_id, month, data, digest, computed_at FROM credit_runs"
    )
    db.execute("DROP TABLE credit_runs")
    db.execute("ALTER TABLE credit_runs_by_month RENAME TO credit_runs")
    columns = (
        "incident_id, account_id, name, currency, monthly_fee, groups, month, uptime, "
        "credit_percent, due_amount, previously_credited, amount, explanation"
    )
    db.execute(
        """
        CREATE TABLE credits_by_month (
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            account_id TEXT NOT NULL,
            name TEXT NOT NULL,
            currency TEXT NOT NULL,
            monthly_fee TEXT NOT NULL,
            groups TEXT NOT NULL,
            month TEXT NOT NULL,
            uptime TEXT,
            credit_percent TEXT NOT NULL,
            due_amount TEXT NOT NULL,
            previously_credited TEXT NOT NULL,
            amount TEXT NOT NULL,
            explanation TEXT NOT NULL,
            PRIMARY KEY (incident_id, month, account_id)
        )
        """
    )
    db.execute(f"INSERT INTO credits_by_month ({columns}) SELECT {columns} FROM credits")
    db.execute("DROP TABLE credits")  # and its index
    db.execute("ALTER TABLE credits_by_month RENAME TO credits")
    db.execute("CREATE INDEX credits_month_account ON credits(month, account_id)")


#: JSON documents (redacted string by string, so they stay valid and keep their shape).
_JSON_COLUMNS = {
    ("incidents", "scope"),
    ("incidents", "affected_services"),
    ("reviews", "close"),
    ("reviews", "pir"),
    ("credit_runs", "data"),
    ("samples", "metrics"),
}


@migrations()
def m004_redact_stored(db: sqlite_utils.Database) -> None:
    """Redact what earlier versions stored raw (titles, close and review records, action items,
    search text; events written before today's patterns), everywhere in the file.

    Events are links of a hash chain: an incident whose events change has its chain re-hashed from
    the first changed event, and the digests its events recorded of its close, review and credit
    records follow those records' redacted forms, but only where chain and digest held before (an
    upgrade must not launder tampering). Such an incident gets a ``redacted`` event naming the head
    hash it had. Freed pages are zeroed and the full-text indexes rebuilt, so no old copy of a
    secret stays in the file.
    """
    conn = db.conn
    secure_delete = conn.execute("PRAGMA secure_delete").fetchone()[0]
    conn.execute("PRAGMA secure_delete = ON")
    conn.create_function("redact", 1, _redact_text, deterministic=True)
    conn.create_function("redact_json", 1, _redact_json, deterministic=True)
    # What the records' digests were, and whether they held, before anything changes.
    before = _Digests.read(conn)
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            " AND name NOT LIKE '%_fts%' AND name NOT IN ('events', ?)",
            [MIGRATIONS_TABLE],
        ).fetchall()
    ]
    for table in tables:
        for _, column, kind, *_ in conn.execute(f"PRAGMA table_info([{table}])").fetchall():
            if kind.upper() != "TEXT":
                continue
            fn = "redact_json" if (table, column) in _JSON_COLUMNS else "redact"
            conn.execute(
                f'UPDATE [{table}] SET "{column}" = {fn}("{column}") '
                f'WHERE "{column}" IS NOT NULL AND "{column}" != {fn}("{column}")'
            )
    after = before.carried(conn)
    for (incident_id,) in conn.execute("SELECT id FROM incidents ORDER BY id").fetchall():
        _redact_timeline(conn, incident_id, before, after)
    for (fts,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%USING FTS%'"
    ).fetchall():
        conn.execute(f"INSERT INTO [{fts}] ([{fts}]) VALUES ('rebuild')")
    # Zeroing every freed page costs every later write of this connection: only for this upgrade.
    conn.execute(f"PRAGMA secure_delete = {int(secure_delete)}")


def _redact_text(value: str | None) -> str | None:
    return redact(value) if isinstance(value, str) else value


def _redact_json(value: str | None) -> str | None:
    if not isinstance(value, str):
        return value
    try:
        document = json.loads(value)
    except ValueError:
        return redact(value)
    clean = redact_data(document)
    return value if clean == document else json.dumps(clean, ensure_ascii=False)


def _legacy_digest(data: Any) -> str:
    """The digest versions before m004 recorded: the raw document's canonical JSON."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _credit_body(text: str) -> Any:
    return {k: v for k, v in json.loads(text).items() if k != "computed_at"}


@dataclass
class _Digests:
    """Digests of the records that timeline events vouch for, keyed (incident, record), where
    record is "close", "pir" or a credit month."""

    of: dict[tuple[int, str], str]
    intact_credits: set[tuple[int, str]]

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> _Digests:
        of: dict[tuple[int, str], str] = {}
        for incident_id, close, pir in conn.execute("SELECT incident_id, close, pir FROM reviews"):
            for name, text in (("close", close), ("pir", pir)):
                if text:
                    of[(incident_id, name)] = _legacy_digest(json.loads(text))
        intact = set()
        for incident_id, month, data, kept in conn.execute(
            "SELECT incident_id, month, data, digest FROM credit_runs"
        ):
            of[(incident_id, month)] = kept
            if kept == _legacy_digest(_credit_body(data)):
                intact.add((incident_id, month))
        return cls(of, intact)

    def carried(self, conn: sqlite3.Connection) -> dict[tuple[int, str], str]:
        """The same digests over the redacted records; a credit report that matched its stored
        digest gets the new one stored beside it."""
        of: dict[tuple[int, str], str] = {}
        for incident_id, close, pir in conn.execute("SELECT incident_id, close, pir FROM reviews"):
            for name, text in (("close", close), ("pir", pir)):
                if text:
                    of[(incident_id, name)] = digest(json.loads(text))
        for incident_id, month, data in conn.execute(
            "SELECT incident_id, month, data FROM credit_runs"
        ).fetchall():
            of[(incident_id, month)] = fresh = digest(_credit_body(data))
            if (incident_id, month) in self.intact_credits:
                conn.execute(
                    "UPDATE credit_runs SET digest = ? WHERE incident_id = ? AND month = ?",
                    [fresh, incident_id, month],
                )
        return of


#: Which record an event's ``digest`` vouches for.
def _vouches_for(kind: str, data: Mapping[str, Any]) -> str | None:
    if kind == "closed":
        return "close"
    if kind == "review" and "digest" in data:
        return "pir"
    if kind == "credits" and "month" in data:
        return str(data["month"])
    return None


def _redact_timeline(
    conn: sqlite3.Connection,
    incident_id: int,
    before: _Digests,
    after: dict[tuple[int, str], str],
) -> None:
    rows = conn.execute(
        "SELECT id, seq, at, kind, actor, text, data, prev_hash, hash FROM events "
        "WHERE incident_id = ? ORDER BY seq",
        [incident_id],
    ).fetchall()
    head = conn.execute("SELECT head_hash FROM incidents WHERE id = ?", [incident_id]).fetchone()
    # Links before the first broken one are re-hashed; from it on, only the secrets go, so
    # `verify` still stops where it stopped (an upgrade must not launder tampering).
    broken = _first_broken_link(incident_id, rows, head[0] if head else None)
    prev, changed, first_changed = GENESIS, 0, None
    for row_id, seq, at, kind, actor, text, data_text, prev_hash, hash_ in rows:
        holds = broken is None or seq < broken
        data = json.loads(data_text)
        clean = redact_data(data)
        record = _vouches_for(kind, clean)
        if (
            holds
            and record is not None
            and clean.get("digest") == before.of.get((incident_id, record))
        ):
            clean = {**clean, "digest": after.get((incident_id, record), clean["digest"])}
        event = Event(
            incident_id, seq, from_iso(at), kind, redact(actor), redact(text), clean, prev_hash
        )
        if holds:
            event = replace(event, prev_hash=prev)
            event = replace(event, hash=event.computed_hash())
        else:
            event = replace(event, hash=hash_)
        if (event.actor, event.text, clean, event.prev_hash, event.hash) != (
            actor,
            text,
            data,
            prev_hash,
            hash_,
        ):
            changed += 1
            first_changed = first_changed or seq
            conn.execute(
                "UPDATE events SET actor = ?, text = ?, data = ?, prev_hash = ?, hash = ? "
                "WHERE id = ?",
                [
                    event.actor,
                    event.text,
                    json.dumps(clean, ensure_ascii=False, sort_keys=True),
                    event.prev_hash,
                    event.hash,
                    row_id,
                ],
            )
        prev = event.hash
    if not changed or broken is not None:
        return
    old_head = head[0]
    TimelineQueries.on(RedactingConnection(conn)).append_event(
        incident_id,
        truncate_ms(datetime.now(UTC)),
        "redacted",
        UPGRADE,
        f"An upgrade removed secrets stored by an earlier version from {changed} event(s) and "
        f"re-hashed the chain from event {first_changed}; the head was {old_head}",
        {"changed_events": changed, "from_seq": first_changed, "previous_head": old_head},
    )


def _first_broken_link(
    incident_id: int, rows: list[tuple[Any, ...]], head: str | None
) -> int | None:
    """The seq of the first event whose link does not hold (one past the last when the
    incident's head disagrees), or ``None`` when the chain holds."""
    prev = GENESIS
    for expected, (_, seq, at, kind, actor, text, data_text, prev_hash, hash_) in enumerate(
        rows, start=1
    ):
        event = Event(
            incident_id, seq, from_iso(at), kind, actor, text, json.loads(data_text), prev_hash
        )
        if seq != expected or prev_hash != prev or event.computed_hash() != hash_:
            return expected
        prev = hash_
    return None if head == prev else len(rows) + 1


@migrations()
def m005_compact_samples(db: sqlite_utils.Database) -> None:
    compact_samples(db.conn)  # latency as an integer of 0.1 ms


def apply(conn: sqlite3.Connection) -> None:
    """Apply every pending migration, and sqlite-utils' own table, in ONE transaction.

    sqlite-utils (4.2) wraps each migration with its ``_sqlite_migrations`` row, but creates that
    table outside them and decides what is pending before it takes any lock. Here the whole
    upgrade is one ``BEGIN IMMEDIATE`` (its ``atomic()`` blocks nest as savepoints): a kill
    mid-upgrade leaves the old schema as it was, and two processes upgrading one file at once
    serialise, the second finding nothing pending instead of "table ... already exists".
    """
    # No recursive_triggers (sqlite-utils' default): it would stay on for the caller's
    # connection and change what REPLACE fires; no plugins run on our connection either.
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db)
        if not conn.in_transaction:  # a library change that commits midway must not pass
            raise sqlite3.OperationalError("a migration step committed outside the upgrade")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
