"""Drills recorded through the domain for the debrief's tests and screenshots (not a test
module): three rehearsals of payment-processing-down, each faster than the last."""

from __future__ import annotations

from datetime import datetime, timedelta

from stratus_commander.clock import FakeClock
from stratus_commander.debrief import record_view
from stratus_commander.incident import DrillRun, Incidents

#: Per drill: minutes after its start for detection, declaration, triage, escalation, first
#: update, resolution; the triage decision.
RUNS = (
    (1, 7, 20, 14, 24, 40, "internal"),
    (1, 4, 9, 8, 17, 38, "external"),
    (1, 2.5, 4, 5, 10, 36, "external"),
)


def record_drills(inc: Incidents, clock: FakeClock, first_start: datetime) -> list[int]:
    """The three drills, a week apart; their incident ids."""
    ids = []
    for week, (detected, declared, triaged, escalated, update, resolved, call) in enumerate(RUNS):
        start = first_start + timedelta(days=7 * week)

        def at(minutes: float, start: datetime = start) -> datetime:
            return start + timedelta(minutes=minutes)

        clock.set(at(declared))
        incident = inc.declare(
            "Stripe payments failing",
            "Critical",
            ["API"],
            detected_at=at(detected),
            drill_run=DrillRun("payment-processing-down", start),
        )
        record_view(inc, incident.id, "triage")
        for minutes, action in sorted(
            [
                (triaged, lambda i=incident.id, c=call: inc.decide(i, c)),
                (escalated, lambda i=incident.id: inc.escalate(i, ["CTO", "Head of Engineering"])),
                (update, lambda i=incident.id: inc.send_update(i, "Payments are delayed.")),
                (resolved, lambda i=incident.id: inc.resolve(i, "Stripe recovered")),
            ],
            key=lambda pair: pair[0],
        ):
            clock.set(at(minutes))
            action()
        ids.append(incident.id)
    return ids
