"""A fresh PostgreSQL database per test for the store's PostgreSQL backend (team mode).

``team_db`` creates a database owned by ``team`` (a password-authenticated non-superuser, as a
team's shared database would have) on the session's throwaway server (``pg_server.py``), and
returns its URL: ``postgresql://team@127.0.0.1:PORT/NAME``, with no password in it; the password
comes from ``PGPASSWORD``, as libpq reads it. The database is dropped after the test.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from tests.integration.pg_server import PgServer, pg_server

__all__ = ["TEAM_PASSWORD", "TeamDb", "pg_server", "team_db", "team_role"]

TEAM_PASSWORD = "team-Pa55-not-a-secret"  # a throwaway password for a throwaway server
_names = itertools.count()


@dataclass(frozen=True)
class TeamDb:
    server: PgServer
    name: str

    @property
    def url(self) -> str:
        return f"postgresql://team@127.0.0.1:{self.server.port}/{self.name}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection to this database (set-up, tampering, inspection)."""
        return psycopg.connect(self.server.admin_dsn(self.name), autocommit=True)

    def tables(self) -> set[str]:
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        return {str(r[0]) for r in rows}


@pytest.fixture(scope="session")
def team_role(pg_server: PgServer) -> str:
    with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE team LOGIN PASSWORD {}").format(sql.Literal(TEAM_PASSWORD))
        )
    return "team"


@pytest.fixture
def team_db(
    pg_server: PgServer, team_role: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamDb]:
    name = f"incidents_{os.getpid()}_{next(_names)}"
    with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(team_role)
            )
        )
    monkeypatch.setenv("PGPASSWORD", TEAM_PASSWORD)  # libpq's own source of the password
    try:
        yield TeamDb(pg_server, name)
    finally:
        with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
