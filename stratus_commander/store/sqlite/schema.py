"""The schema's names, known without importing sqlite-utils (an up-to-date database, the usual
case, opens without it: a fifth of a second of the cockpit's start-up)."""

from __future__ import annotations

#: The schema: sqlite-utils migrations in store/sqlite/migrations.py, by name, in order.
MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' own
MIGRATION_SET = "stratus_commander"
MIGRATIONS = (
    "m001_initial",
    "m002_review_credits",
    "m003_credits_by_month",
    "m004_redact_stored",
    "m005_compact_samples",
)
