"""Storing credits on the incident and reading them back, through the :class:`Store` protocol.

Each month's report is stored beside its per-account rows and its digest, and recorded as a
"credits" event on the incident's timeline, so the hash chain covers the stored tables.
"""

from __future__ import annotations

from collections.abc import Iterable

from stratus_commander.clock import to_iso
from stratus_commander.credits.money import money
from stratus_commander.credits.report import CreditReport, IncidentCredits, report_from_json
from stratus_commander.credits.uptime import MaintenanceWindow, add_maintenance
from stratus_commander.errors import DomainRefused, InputError
from stratus_commander.incident import Incidents
from stratus_commander.store import Store
from stratus_commander.timeline import Event

__all__ = ["every_stored_credits", "record_credits", "stored_credits", "stored_reports"]


def record_credits(
    incidents: Incidents,
    credits: IncidentCredits | CreditReport,
    maintenance: Iterable[MaintenanceWindow] = (),
) -> tuple[Event, ...]:
    """Store each month's report on the incident (replacing that month's earlier one; other
    months are kept), the new ``maintenance`` windows, and one "credits" event per month — all
    in one transaction, so a refusal stores none of it.

    Each event carries its month's digest and totals, so the hash chain covers the stored tables.
    """
    reports = credits.reports if isinstance(credits, IncidentCredits) else (credits,)
    if not reports:
        raise InputError("no month to credit", where="credits")
    incident = incidents.get(reports[0].incident_id)
    if any(r.incident_id != incident.id for r in reports):
        raise ValueError("credit reports of several incidents recorded as one")
    if incident.is_open:
        raise DomainRefused(
            f"{incident.label} is still {incident.status}; credits are calculated once it is "
            "resolved (the downtime is not over)"
        )
    store = incidents.store
    now = incidents.clock.now()
    events = []
    with store.write():  # the windows, the tables and their events commit together
        for w in maintenance:
            add_maintenance(store, w.start, w.end, w.reason, now)
        for report in reports:
            _write(store, report)
            text = f"Service credits for {report.month_label}: " + (
                ", ".join(money(v, c) for c, v in report.totals.items()) or "no accounts"
            )
            events.append(
                incidents.record(
                    incident.id,
                    "credits",
                    text,
                    {
                        "digest": report.digest(),
                        "month": report.month,
                        "accounts": len(report.accounts),
                        "credited_accounts": sum(1 for a in report.accounts if a.amount),
                        "totals": {c: str(v) for c, v in report.totals.items()},
                        "source": report.source,
                    },
                    allow_closed=True,
                )
            )
    return tuple(events)


def _write(store: Store, report: CreditReport) -> None:
    store.save_credit_report(
        report.incident_id,
        report.month,
        report.as_json(),
        report.digest(),
        to_iso(report.computed_at),
        [
            {
                "account_id": a.account.account_id,
                "name": a.account.name,
                "currency": a.account.currency,
                "monthly_fee": str(a.account.monthly_fee),
                "groups": ";".join(a.account.groups),
                "uptime": a.uptime.percent_text,
                "credit_percent": str(a.credit_percent),
                "due_amount": str(a.due),
                "previously_credited": str(a.previously_credited),
                "amount": str(a.amount),
                "explanation": a.explanation,
            }
            for a in report.accounts
        ],
    )


def stored_reports(store: Store, incident_id: int) -> list[tuple[CreditReport, str]]:
    """Each stored month's report of an incident with the digest stored beside it, oldest
    month first (the digest lets a reader tell a report edited after it was calculated)."""
    return [(report_from_json(data), kept) for data, kept in store.credit_reports(incident_id)]


def stored_credits(store: Store, incident_id: int) -> IncidentCredits | None:
    """The stored credits of an incident, every month of them, or ``None``."""
    reports = tuple(report for report, _ in stored_reports(store, incident_id))
    return IncidentCredits(incident_id, reports) if reports else None


def every_stored_credits(store: Store) -> dict[int, IncidentCredits]:
    """The stored credits of every incident that has any, read at once (incident id -> every
    month of them, as :func:`stored_credits` gives one incident's)."""
    reports: dict[int, list[CreditReport]] = {}
    for incident_id, data, _ in store.every_credit_report():
        reports.setdefault(incident_id, []).append(report_from_json(data))
    return {i: IncidentCredits(i, tuple(r)) for i, r in reports.items()}
