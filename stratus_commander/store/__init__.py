"""The storage boundary: the only package with SQL statements and database connections.

    store/
      protocol.py     Store: what the domain may ask of a database (read this first)
      records.py      the rows it reads and writes (SampleRow, outcome codes)
      redaction.py    every text redacted on its way in; digests over the redacted form
      sqlite/         the SQLite backend: the file (files.py), the connection and its errors
                      (connection.py), the backend (backend.py), the per-minute rollup
                      (rollup.py), the schema (schema.py, migrations.py)

The domain imports from here: :func:`open_store` and the :class:`Store` protocol, the records,
:class:`Json` and :func:`digest`. No module outside ``store/`` imports ``sqlite3`` (a test
checks it).
"""

from __future__ import annotations

from pathlib import Path

from stratus_commander.store.protocol import Store
from stratus_commander.store.records import OUTCOME_CODES, OUTCOME_NAMES, SampleRow
from stratus_commander.store.redaction import Json, digest
from stratus_commander.store.sqlite.backend import SqliteStore
from stratus_commander.store.sqlite.connection import (
    RedactingConnection,
    damage,
    translate_errors,
)
from stratus_commander.store.sqlite.rollup import (
    check_groups,
    rebuild_sample_minutes,
    refresh_sample_minutes,
)
from stratus_commander.store.sqlite.schema import MIGRATION_SET, MIGRATIONS, MIGRATIONS_TABLE

__all__ = [
    "MIGRATIONS",
    "MIGRATIONS_TABLE",
    "MIGRATION_SET",
    "OUTCOME_CODES",
    "OUTCOME_NAMES",
    "Json",
    "RedactingConnection",
    "SampleRow",
    "SqliteStore",
    "Store",
    "check_groups",
    "damage",
    "digest",
    "open_store",
    "rebuild_sample_minutes",
    "refresh_sample_minutes",
    "translate_errors",
]


def open_store(
    location: Path | str, *, create: bool = True, readonly: bool = False, check: bool = False
) -> SqliteStore:
    """Open the database at ``location`` (a file path).

    ``create``: a missing file is created; ``readonly``: the caller only reads (nothing is
    written); ``check``: refuse a file whose timeline tables are damaged (one-off writers).
    """
    return SqliteStore.open(location, create=create, readonly=readonly, check=check)
