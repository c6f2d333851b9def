"""The review as plain text (``incidents review``): what a reader must act on stands out."""

from __future__ import annotations

from datetime import UTC, datetime

from stratus_commander import review as rv
from stratus_commander.clock import FakeClock
from stratus_commander.export import review_text
from stratus_commander.incident import Incidents
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SqliteStore

T0 = datetime(2026, 11, 27, 9, 58, tzinfo=UTC)


def test_missed_targets_overdue_items_and_a_late_review_are_spelled_out() -> None:
    runbook = load_runbook()
    inc = Incidents(SqliteStore.memory(), FakeClock(T0))
    iid = inc.declare("Payment API down", "Critical", ["API"], detected_at=T0).id
    inc.clock.advance(minutes=20)  # type: ignore[attr-defined]
    inc.decide(iid, "internal", "own checks failing")  # 20 min: triage target 10 min
    inc.resolve(iid)
    rv.add_action_item(inc, runbook, iid, "immediate-fixes", "Patch the leak", "bob", T0)
    inc.clock.advance(days=3)  # type: ignore[attr-defined]

    text = review_text(rv.build_review(inc, runbook, iid))
    lines = text.splitlines()
    assert lines[0] == "INC-1  Payment API down  (resolved, Critical)"
    assert lines[1] == "Review due 2026-11-29T10:18:00.000Z: OVERDUE"
    triage = next(line for line in lines if line.lstrip().startswith("Time to triage"))
    # Triaged after its target: LATE by how much, never "met".
    assert triage.endswith("LATE by 10\u00a0min") and "target 10\u00a0min" in triage
    assert (
        "  #1 [immediate-fixes] Patch the leak — bob, 2026-11-27T09:58:00.000Z, open  OVERDUE"
        in (lines)
    )
    assert lines[-2] == "Follow-up: meeting not scheduled; 0/1 items done"
    assert lines[-1].startswith("Integrity: hash chain verified")
    assert not text.endswith("\n")


def test_a_broken_timeline_is_named_in_the_integrity_line() -> None:
    inc = Incidents(SqliteStore.memory(), FakeClock(T0))
    iid = inc.declare("Payment API down", "Critical").id
    inc.note(iid, "Stripe status page green")
    inc.store.conn.execute("UPDATE events SET text = 'edited' WHERE seq = 2")

    text = review_text(rv.build_review(inc, load_runbook(), iid))
    assert text.splitlines()[-1].startswith("Integrity: hash chain BROKEN: event 2")
