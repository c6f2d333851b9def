"""The storage boundary: the only package with SQL statements and database connections.

    store/
      protocol.py     Store: what the domain may ask of a database (read this first)
      records.py      the rows it reads and writes (SampleRow, outcome codes)
      redaction.py    every text redacted on its way in; digests over the redacted form
      sqlite/         the SQLite backend: the file (files.py), the connection and its errors
                      (connection.py), the backend (backend.py), the per-minute rollup
                      (rollup.py), the schema (schema.py, migrations.py)
      postgres/       the PostgreSQL backend (team mode), the same split; loaded only for a
                      ``postgresql://`` location
      outbox.py       a team database's local outbox: actions taken while its server was away
      offline.py      the team store that queues to it (the cockpit's and the recording
                      commands'; ``incident/outbox.py`` sends it when the server is back)
      link.py         the team server as the cockpit shows it, and one not reached at open

The domain imports from here: :func:`open_store` and the :class:`Store` protocol, the records,
:class:`Json` and :func:`digest`. A database's *location* is a file path or a
``postgresql://`` URL (a string: a :class:`~pathlib.Path` would fold its ``//``);
:func:`as_location` tells them apart. No module outside ``store/`` imports ``sqlite3``, and none
but ``store/`` and the postgres probe imports ``psycopg`` (a test checks both).
"""

from __future__ import annotations

from pathlib import Path

from stratus_commander.store.postgres.url import is_postgres_url
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
    "Location",
    "RedactingConnection",
    "SampleRow",
    "SqliteStore",
    "Store",
    "as_location",
    "check_groups",
    "damage",
    "digest",
    "is_postgres_url",
    "open_store",
    "rebuild_sample_minutes",
    "refresh_sample_minutes",
    "translate_errors",
]


#: Where a database is: a file, or a ``postgresql://`` URL (kept as a string).
Location = Path | str


def as_location(value: Path | str) -> Location:
    """A URL stays a string; anything else is a file :class:`~pathlib.Path`."""
    return value if is_postgres_url(value) else Path(value)


def open_store(
    location: Path | str, *, create: bool = True, readonly: bool = False, check: bool = False
) -> Store:
    """Open the database at ``location``: a file path, or a ``postgresql://`` URL (team mode).

    ``create``: a missing file (or a database without our tables) is created; ``readonly``: the
    caller only reads (nothing is written); ``check``: refuse a database whose timeline tables
    are damaged (one-off writers).
    """
    if is_postgres_url(location):
        from stratus_commander.store.postgres.backend import PostgresStore  # psycopg: only here

        return PostgresStore.open(str(location), create=create, readonly=readonly, check=check)
    return SqliteStore.open(location, create=create, readonly=readonly, check=check)
