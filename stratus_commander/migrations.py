"""The database schema, as sqlite-utils migrations applied in order by :meth:`Store.open`.

A separate module: an up-to-date database (the usual case) opens without importing sqlite-utils
(and the numpy, dateutil and pluggy it brings: a fifth of a second at the cockpit's start-up).
Every migration's name is listed in ``store.MIGRATIONS`` too, so the store can tell without them.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils
from sqlite_utils.migrations import Migrations

from stratus_commander.store import MIGRATION_SET, rebuild_sample_minutes

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
    rebuild_sample_minutes(db.conn)
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
