"""Incidents.listed: the library's list, each incident parsed only when asked, the same as get."""

from __future__ import annotations

from datetime import UTC, datetime

from stratus_commander.clock import FakeClock, from_iso, to_iso
from stratus_commander.incident import Incidents
from stratus_commander.store import SqliteStore

T0 = datetime(2026, 11, 27, 14, 30, 0, 123000, tzinfo=UTC)


def test_listed_reads_as_get_newest_first() -> None:
    inc = Incidents(SqliteStore.memory(), FakeClock(T0))
    first = inc.declare("API down", "Critical").id
    inc.clock.advance(minutes=5)  # type: ignore[attr-defined]
    second = inc.declare("Drill: webhooks", "Minor", drill=True).id
    inc.resolve(second)
    listed = inc.listed()
    assert [i.id for i in listed] == [second, first]
    assert [(i.label, i.impact, i.status, i.drill, i.is_open) for i in listed] == [
        (f"INC-{second}", "Minor", "resolved", True, False),
        (f"INC-{first}", "Critical", "investigating", False, True),
    ]
    assert [i.incident for i in listed] == [inc.get(second), inc.get(first)]
    assert listed[1].detected_iso == to_iso(T0)


def test_from_iso_reads_its_own_format_and_others_alike() -> None:
    assert from_iso(to_iso(T0)) == T0 and from_iso(to_iso(T0)).tzinfo is UTC
    assert from_iso("2026-11-27T15:30:00.123456+01:00") == T0
