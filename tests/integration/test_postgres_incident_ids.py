"""Incident numbers on a team database never skip (a real PostgreSQL server): a declare that
rolls back leaves no gap — which in a tamper-evident record would read as a deleted incident —
two processes declaring at once get distinct, contiguous numbers, and a database made before
this (numbered by a sequence) is upgraded on open and numbers on from its highest."""

from __future__ import annotations

import multiprocessing
from typing import Any

import psycopg
import pytest

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.store import open_store
from stratus_commander.store.postgres.schema import MIGRATION_NAMES, MIGRATIONS_TABLE, apply
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

pytestmark = pytest.mark.postgres
__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest


class Crash(Exception):
    """The declaring process failing after its incident was inserted, before the commit."""


def test_a_declare_rolled_back_leaves_no_gap(team_db: TeamDb) -> None:
    with open_store(team_db.url) as store:
        incidents = Incidents(store, SystemClock())
        assert incidents.declare("Payment API down", "Critical").id == 1
        with pytest.raises(Crash), store.write():
            assert incidents.declare("Declared, then rolled back", "Major").id == 2
            raise Crash
        assert incidents.declare("Webhooks failing", "Major").id == 2
        assert [i.label for i in incidents.list()] == ["INC-2", "INC-1"]
        assert all(incidents.verify(i).ok for i in (1, 2))


def _declare_many(url: str, who: str, n: int, start: Any, results: Any) -> None:
    """One responder declaring ``n`` incidents as fast as it can (a process of its own)."""
    with open_store(url) as store:
        incidents = Incidents(store, SystemClock(), actor=who)
        start.wait(timeout=60)
        ids = [incidents.declare(f"{who} #{i}", "Minor").id for i in range(n)]
    results.put((who, ids))


def test_two_processes_declaring_at_once_get_distinct_contiguous_numbers(
    team_db: TeamDb,
) -> None:
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Event(), spawn.Queue()
    with open_store(team_db.url):  # the schema, made before the race
        pass
    workers = [
        spawn.Process(target=_declare_many, args=(team_db.url, who, 50, start, results))
        for who in ("alice", "bob")
    ]
    for w in workers:
        w.start()
    start.set()
    outcomes = dict(results.get(timeout=300) for _ in workers)
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    ids = outcomes["alice"] + outcomes["bob"]
    assert sorted(ids) == list(range(1, 101))
    assert outcomes["alice"] == sorted(outcomes["alice"])  # each in the order it declared
    with open_store(team_db.url, readonly=True) as store:
        incidents = Incidents(store, SystemClock())
        rows = {i.id: i for i in incidents.list()}
        assert sorted(rows) == list(range(1, 101))
        assert all(rows[i].title.startswith("alice #") for i in outcomes["alice"])
        assert all(incidents.verify(i).ok for i in rows)


def test_a_database_numbered_by_a_sequence_upgrades_and_numbers_on_from_its_highest(
    team_db: TeamDb,
) -> None:
    with psycopg.connect(team_db.url, autocommit=True) as conn:  # as the version before wrote
        apply(conn, team_db.url, stop_before="p003_incident_ids")
        for title in ("one", "rolled back", "three"):
            conn.execute(
                "INSERT INTO incidents (title, impact, status, detected_at, declared_at, "
                "head_hash) VALUES (%s, 'Minor', 'investigating', '2026-11-27T14:30:00.000Z', "
                "'2026-11-27T14:30:00.000Z', '')",
                [title],
            )
        conn.execute("DELETE FROM incidents WHERE title = 'rolled back'")
    with open_store(team_db.url) as store:
        applied = {r["name"] for r in store.query(f"SELECT name FROM {MIGRATIONS_TABLE}")}
        assert applied == set(MIGRATION_NAMES)
        incidents = Incidents(store, SystemClock())
        assert incidents.declare("After the upgrade", "Major").id == 4
        with pytest.raises(Crash), store.write():
            incidents.declare("Declared, then rolled back", "Major")
            raise Crash
        assert incidents.declare("And the next", "Major").id == 5
