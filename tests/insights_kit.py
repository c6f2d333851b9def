"""Generated incidents for the insights tests (the command's, the view's): twenty incidents over
two months with times chosen so every median, worst case and clock share can be worked out by
hand, two drills, and service credits paid from measured downtime. Not a test module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from stratus_commander import credits as cr
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook
from tests.unit.credits_kit import per_minute

__all__ = ["MIN", "NOW", "account", "credit", "record", "twenty_incidents"]

MIN = timedelta(minutes=1)
#: When the insights are counted: after every incident below was resolved.
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def record(inc: Incidents, detected: datetime, declare: int, triage: int, update: int,
           resolve: int, impact: str, drill: bool = False) -> int:  # fmt: skip
    """One incident; each figure in minutes (triage and the first update from the declaration,
    the declaration and the resolution from detection)."""
    declared = detected + declare * MIN
    i = inc.declare("Generated", impact, detected_at=detected, declared_at=declared, drill=drill)
    inc.decide(i.id, "internal", at=declared + triage * MIN)
    inc.send_update(i.id, "Investigating", at=declared + update * MIN)
    inc.resolve(i.id, at=detected + resolve * MIN)
    return i.id


def twenty_incidents(inc: Incidents) -> None:
    """INC-1..10 in October 2026 (Major): declared 1..10 min after detection, triaged 3..12 and
    first update 10..19 min after the declaration, resolved 60..150 min after detection.
    INC-11..20 in November (Critical): declared 2, 4 … 20 min after detection, triaged at 5,
    first update at 12, resolved at 90. INC-21 and 22: drills in October (Minor), 30 min each."""
    for k in range(10):
        day = datetime(2026, 10, k + 1, 10, tzinfo=UTC)
        record(inc, day, k + 1, k + 3, 10 + k, 60 + 10 * k, "Major")
    for k in range(10):
        day = datetime(2026, 11, k + 1, 10, tzinfo=UTC)
        record(inc, day, 2 * (k + 1), 5, 12, 90, "Critical")
    for k in range(2):
        day = datetime(2026, 10, 20 + k, 10, tzinfo=UTC)
        record(inc, day, 30, 30, 30, 300, "Minor", drill=True)


def account(account_id: str, fee: str, currency: str) -> cr.Account:
    return cr.Account(
        account_id=account_id, name=account_id.title(), monthly_fee=Decimal(fee), currency=currency
    )


def credit(
    inc: Incidents, runbook: Runbook, incident_id: int, accounts: Sequence[cr.Account]
) -> None:
    """The API down (one sample a minute) from the incident's detection to its resolution, then
    the credits for ``accounts`` calculated from it and stored, as ``incidents credits`` does."""
    incident = inc.get(incident_id)
    assert incident.resolved_at is not None
    minutes = int((incident.resolved_at - incident.detected_at) / MIN)
    per_minute(inc.store, incident.detected_at, minutes + 10, range(minutes))
    credits = cr.compute_incident_credits(
        inc.store, incident, list(accounts), runbook.sla.ladder, inc.clock.now()
    )
    cr.record_credits(inc, credits)
