"""Calculating credits: each month's measured uptime through the ladder to an amount per account.

Credits are owed per calendar month (UTC). Each month is measured from samples, so two incidents
in one month see one and the same downtime; an account already credited for that month under
another incident is credited only the difference. Every amount comes with its calculation in
words. These functions read the store and write nothing (``record_credits`` stores the result).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from stratus_commander.clock import to_iso
from stratus_commander.credits.accounts import DEFAULT_SLA_GROUPS, Account
from stratus_commander.credits.ladder import credit_percent, step_for
from stratus_commander.credits.money import minor_unit, money, round_money
from stratus_commander.credits.report import AccountCredit, CreditReport, IncidentCredits
from stratus_commander.credits.uptime import (
    MaintenanceWindow,
    Period,
    Uptime,
    incident_period,
    maintenance_windows,
    measure_uptime,
    month_period,
    months_between,
    overlaps,
    uptime_by_group,
)
from stratus_commander.errors import InputError
from stratus_commander.incident import Incident
from stratus_commander.runbook import CreditStep
from stratus_commander.store import Store

__all__ = ["compute_credits", "compute_incident_credits", "credit_months"]


def _explain(
    account: Account,
    uptime: Uptime,
    ladder: Sequence[CreditStep],
    due: Decimal,
    previous: Decimal,
    previous_by: str,
    amount: Decimal,
) -> str:
    head = f"{account.name} ({account.account_id}): monthly uptime of {uptime.describe()}."
    value = uptime.percent
    if value is None:
        return head + " No credit: nothing was measured."
    step = step_for(value, ladder)
    if step is None:
        highest = max(s.below for s in ladder)
        return head + f" {uptime.percent_text} % is not below {highest} % → no credit."
    fee = money(account.monthly_fee, account.currency)
    minor = minor_unit(account.currency)
    text = (
        head + f" {uptime.percent_text} % is below {step.below} % → {step.credit} % of the monthly "
        f"fee: {step.credit} % × {fee} = {money(due, account.currency)} "
        f"(rounded half-up to {minor} {account.currency})."
    )
    if previous:
        text += (
            f" {money(previous, account.currency)} already credited for this month under "
            f"{previous_by}, so {money(amount, account.currency)} now."
        )
    return text


def _previously_credited(
    store: Store, incident_id: int, month: str
) -> dict[tuple[str, str], tuple[Decimal, list[str]]]:
    rows = store.credits_of_others(month, incident_id)
    out: dict[tuple[str, str], tuple[Decimal, list[str]]] = {}
    for r in rows:
        key = (r["account_id"], r["currency"])
        total, labels = out.get(key, (Decimal(0), []))
        out[key] = (total + Decimal(r["amount"]), [*labels, f"INC-{r['incident_id']}"])
    return out


def compute_credits(
    store: Store,
    incident: Incident,
    accounts: Sequence[Account],
    ladder: Sequence[CreditStep],
    now: datetime,
    month: datetime | None = None,
    maintenance: Iterable[MaintenanceWindow] | None = None,
    source: str = "",
) -> CreditReport:
    """One month's credits for ``accounts`` from measured uptime (reads only; see
    :func:`compute_incident_credits` for every month of an incident, :func:`record_credits`).

    ``month`` picks the month (default: the month of detection, UTC); ``maintenance`` defaults to
    the stored windows overlapping it.
    """
    if not ladder:
        raise InputError("the SLA ladder has no steps", where="ladder")
    period = month_period(month or incident.detected_at)
    window = incident_period(incident, now)
    if maintenance is None:
        windows = maintenance_windows(store, period) + maintenance_windows(store, window)
        maint = tuple(dict.fromkeys(windows))
    else:
        maint = tuple(maintenance)
    month_key = period.start.strftime("%Y-%m")
    previous = _previously_credited(store, incident.id, month_key)
    by_groups: dict[tuple[str, ...], Uptime] = {}
    credits = []
    totals: dict[str, Decimal] = {}
    for account in accounts:
        uptime = by_groups.get(account.groups)
        if uptime is None:
            uptime = by_groups[account.groups] = measure_uptime(
                store, account.groups, period, maint
            )
        pct = Decimal(0) if uptime.percent is None else credit_percent(uptime.percent, ladder)
        due = round_money(account.monthly_fee * pct / 100, account.currency)
        before, labels = previous.get((account.account_id, account.currency), (Decimal(0), []))
        amount = max(due - before, Decimal(0)).quantize(due)
        credits.append(
            AccountCredit(
                account,
                uptime,
                pct,
                due,
                before,
                amount,
                _explain(account, uptime, ladder, due, before, " and ".join(labels), amount),
            )
        )
        totals[account.currency] = totals.get(account.currency, Decimal(0)) + amount
    return CreditReport(
        incident_id=incident.id,
        month=month_key,
        month_label=period.label,
        ladder=tuple(ladder),
        maintenance=maint,
        window_uptime=uptime_by_group(store, window, maint),
        month_uptime=uptime_by_group(store, period, maint),
        accounts=tuple(credits),
        computed_at=now,
        source=source,
        totals=totals,
    )


def credit_months(
    store: Store,
    incident: Incident,
    now: datetime,
    groups: Sequence[str],
    maintenance: Iterable[MaintenanceWindow] = (),
) -> list[Period]:
    """The months (UTC) the incident's down time touches: those in which ``groups`` had a down
    minute inside the incident window, maintenance excluded (stored windows and ``maintenance``).

    With no down minute measured at all (probes off, a hand-declared incident) it is the month of
    detection, as before months were counted: the report then says what was (not) measured.
    """
    extra = list(maintenance)
    window = incident_period(incident, now)
    touched = []
    for month in months_between(window.start, window.end):
        part = Period(max(window.start, month.start), min(window.end, month.end), month.label)
        windows = maintenance_windows(store, part) + [w for w in extra if overlaps(w, part)]
        if measure_uptime(store, groups, part, windows).down_minutes:
            touched.append(month)
    return touched or [month_period(incident.detected_at)]


def compute_incident_credits(
    store: Store,
    incident: Incident,
    accounts: Sequence[Account],
    ladder: Sequence[CreditStep],
    now: datetime,
    month: datetime | None = None,
    maintenance: Iterable[MaintenanceWindow] = (),
    source: str = "",
) -> IncidentCredits:
    """Credits for every month the incident's down time touches (:func:`credit_months`, by the
    accounts' groups), or for the month of ``month`` alone. Reads only.

    ``maintenance`` are windows to exclude beside the stored ones, not stored yet: give the same
    to :func:`record_credits`, which stores them with the reports, so nothing is written before
    everything has been computed.
    """
    if not ladder:
        raise InputError("the SLA ladder has no steps", where="ladder")
    extra = list(maintenance)
    groups = tuple(dict.fromkeys(g for a in accounts for g in a.groups)) or DEFAULT_SLA_GROUPS
    window = incident_period(incident, now)
    if month is not None:
        months = [month_period(month)]
        touched = months_between(window.start, window.end)
        if months[0] not in touched:
            # Its credit would be counted in this incident's total, for downtime not its own.
            have = ", ".join(m.start.strftime("%Y-%m") for m in touched)
            raise InputError(
                f"{months[0].start:%Y-%m} is not a month of {incident.label}, which ran "
                f"{to_iso(window.start)} to {to_iso(window.end)} ({have})",
                where="--month",
            )
    else:
        months = credit_months(store, incident, now, groups, extra)
    reports = []
    for period in months:
        found = maintenance_windows(store, period) + maintenance_windows(store, window)
        found += [w for w in extra if overlaps(w, period) or overlaps(w, window)]
        # One window once, the stored one (with its reason) first.
        unique = {(w.start, w.end): w for w in reversed(found)}
        windows = sorted(unique.values(), key=lambda w: (w.start, w.end))
        reports.append(
            compute_credits(
                store,
                incident,
                accounts,
                ladder,
                now,
                month=period.start,
                maintenance=windows,
                source=source,
            )
        )
    return IncidentCredits(incident.id, tuple(reports))
