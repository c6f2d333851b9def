"""A realistic worked incident for the review-desk tests: probe samples, a timeline, a close
record, review fields, action items and an accounts CSV.

The outage (times relative to ``T0`` of tests/qt/conftest.py): the api-health probe fails at
T0 − 2 min, the commander detects at T0 and declares at T0 + 3 min; the database runs out of
connections; monitoring from T0 + 40 min, resolved at T0 + 63 min. Samples every 15 s from
T0 − 30 min to T0 + 100 min for five probes in the four triage groups.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from stratus_commander import review as rv
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook
from stratus_commander.store import SampleRow, Store

from .conftest import T0

STEP_S = 15
SAMPLES_FROM = T0 - timedelta(minutes=30)
SAMPLES_TO = T0 + timedelta(minutes=100)
RESOLVED = T0 + timedelta(minutes=63)
NOTE_WORD = "pgbouncer"
ROOT_CAUSE = "Connection pool leak in the payout worker exhausted the Supabase pooler"
ACCOUNTS_CSV = (
    "account_id,name,monthly_fee,currency\n"
    "acct_skyline,Skyline Charters,1250.00,GBP\n"
    "acct_aerolux,AeroLux Jets,4800.00,GBP\n"
    "acct_cirrus,Cirrus Flight School,99.00,GBP\n"
)


def _probe_state(probe: str, minute: float) -> tuple[str, float | None]:
    """(outcome, latency ms) of a probe ``minute`` minutes after T0."""
    wobble = (minute * 7) % 5
    if probe == "api-health":
        if -2 <= minute < 38:
            return "down", None
        if 38 <= minute < 45:
            return "degraded", 900 + 20 * wobble
        return "up", 80 + 4 * wobble
    if probe == "checkout":
        if 0 <= minute < 35:
            return "down", None
        return "up", 140 + 6 * wobble
    if probe == "stripe-webhooks":
        if 5 <= minute < 30:
            return "degraded", 1600 + 50 * wobble
        return "up", 210 + 10 * wobble
    if probe == "supabase-db":
        if 1 <= minute < 33:
            return "down", None
        if -6 <= minute < 1:
            return "degraded", 600 + 60 * (minute + 6)
        return "up", 12 + wobble
    return "up", 300 + 15 * wobble  # stripe-status


PROBES = (
    ("api-health", "http", "api"),
    ("checkout", "http", "api"),
    ("stripe-webhooks", "webhook_signature", "webhooks"),
    ("supabase-db", "postgres", "database"),
    ("stripe-status", "stripe_status", "external"),
)


def add_samples(store: Store) -> int:
    rows = []
    at = SAMPLES_FROM
    while at < SAMPLES_TO:
        minute = (at - T0).total_seconds() / 60
        for name, kind, check in PROBES:
            outcome, latency = _probe_state(name, minute)
            rows.append(SampleRow(name, kind, check, to_ms(at), outcome, latency))
        at += timedelta(seconds=STEP_S)
    store.add_flip("api-health", "http", "api", to_ms(T0 - timedelta(minutes=2)), "up", "down", "")
    return store.add_samples(rows)


def stored_points(store: Store, probe: str, start: datetime, end: datetime) -> int:
    """How many samples of ``probe`` the store holds in ``[start, end)``."""
    return int(
        store.query(
            "SELECT count(*) AS n FROM samples s JOIN probes p ON p.id = s.probe_id "
            "WHERE p.name = ? AND s.at_ms >= ? AND s.at_ms < ?",
            [probe, to_ms(start), to_ms(end)],
        )[0]["n"]
    )


def worked_incident(incidents: Incidents) -> int:
    """Samples plus a timeline from declaration to resolution; returns the incident id."""
    clock = incidents.clock
    assert isinstance(clock, FakeClock)
    add_samples(incidents.store)
    clock.set(T0 + timedelta(minutes=3))
    iid = incidents.declare(
        "Payment API down: checkout failing",
        "Critical",
        ["API", "Database"],
        ["Checkout", "Payouts"],
        detected_at=T0,
    ).id
    clock.set(T0 + timedelta(minutes=6))
    incidents.record(iid, "escalated", "CTO, Head of Engineering", {"to": ["CTO"]})
    clock.set(T0 + timedelta(minutes=9))
    incidents.decide(iid, "internal", "our own API and database checks fail")
    clock.set(T0 + timedelta(minutes=12))
    incidents.note(iid, f"{NOTE_WORD} saturated: 200/200 client connections in use")
    clock.set(T0 + timedelta(minutes=14))
    incidents.record(iid, "message_sent", "Investigating posted", {"channel": "status page"})
    clock.set(T0 + timedelta(minutes=40))
    incidents.set_status(iid, "monitoring")
    clock.set(RESOLVED)
    incidents.resolve(iid)
    return iid


def full_close_record(runbook: Runbook) -> rv.CloseRecord:
    answers = {
        f"{s.id}.{i.id}": f"{i.text}: see the review notes"
        for s in runbook.close.sections
        if s.id in rv.TEXT_SECTIONS
        for i in s.items
    }
    answers["root_cause_analysis.identify-root-cause"] = ROOT_CAUSE
    answers["lessons_learned.prevention"] = "Alert on pool saturation above 80 %"
    checklist: dict[str, rv.CheckState] = {
        f"{s.id}.{i.id}": "done"
        for s in runbook.close.sections
        if s.id not in rv.TEXT_SECTIONS
        for i in s.items
    }
    checklist["service_credits.calculate-credits"] = "not_needed"
    checklist["fix_implementation.update-runbook"] = "deferred"
    return rv.CloseRecord(
        answers,
        checklist,
        "Rolled back payout worker to v2.31.4 and raised the pool limit to 400",
        (("triage.database.db-pool", "Alert on pool saturation above 80 %"),),
    )


def reviewed_incident(incidents: Incidents, runbook: Runbook) -> int:
    """The worked incident, closed, with impact, two action items and a meeting; the clock
    ends 47 h after resolution (the review is due within the hour; one item is overdue)."""
    clock = incidents.clock
    assert isinstance(clock, FakeClock)
    iid = worked_incident(incidents)
    clock.set(RESOLVED + timedelta(hours=2))
    rv.close_incident(incidents, runbook, iid, full_close_record(runbook))
    rv.update_review(
        incidents,
        runbook,
        iid,
        affected_users=1840,
        financial_impact="≈ GBP 38,000 of bookings delayed; GBP 2,100 in card fees refunded",
        reputation="Two charter operators escalated to account managers",
        meeting_at=RESOLVED + timedelta(days=3),
    )
    rv.add_action_item(
        incidents,
        runbook,
        iid,
        "monitoring-improvements",
        "Alert when the Supabase pooler passes 80 % of its connections",
        owner="Priya (SRE)",
        deadline=RESOLVED + timedelta(hours=20),
    )
    rv.add_action_item(
        incidents,
        runbook,
        iid,
        "process-improvements",
        "Add a pool-exhaustion drill to the quarterly game day",
        owner="",
        deadline=None,
    )
    clock.set(RESOLVED + timedelta(hours=47))
    return iid
