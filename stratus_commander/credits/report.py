"""The credit reports: one per incident and month (UTC), their totals, JSON and CSV forms.

An incident gets one :class:`CreditReport` for every month its down time touches (an outage
from 30 September 23:00 to 1 October 01:00 owes September's credit and October's), together an
:class:`IncidentCredits` with the totals. Each report is plain data: :meth:`CreditReport.as_json`
is what the store keeps (and digests), :func:`report_from_json` reads it back, and
:func:`credits_csv` is the per-account table people are handed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from stratus_commander.clock import from_iso, to_iso
from stratus_commander.credits.accounts import Account, stored_account
from stratus_commander.credits.money import money
from stratus_commander.credits.uptime import MaintenanceWindow, Uptime, uptime_from_json
from stratus_commander.runbook import CreditStep, validate
from stratus_commander.store import digest

__all__ = [
    "CSV_COLUMNS",
    "AccountCredit",
    "CreditReport",
    "IncidentCredits",
    "credits_csv",
    "report_from_json",
]


@dataclass(frozen=True, slots=True)
class AccountCredit:
    account: Account
    uptime: Uptime
    credit_percent: Decimal
    due: Decimal  # for the whole month
    previously_credited: Decimal  # under other incidents, same month
    amount: Decimal  # credited under this incident
    explanation: str

    def as_json(self) -> dict[str, Any]:
        return {
            **self.account.as_json(),
            "uptime": self.uptime.as_json(),
            "credit_percent": str(self.credit_percent),
            "due": str(self.due),
            "previously_credited": str(self.previously_credited),
            "amount": str(self.amount),
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class CreditReport:
    incident_id: int
    month: str  # YYYY-MM (UTC)
    month_label: str
    ladder: tuple[CreditStep, ...]
    maintenance: tuple[MaintenanceWindow, ...]
    window_uptime: Mapping[str, Uptime]  # per check group, over the incident window
    month_uptime: Mapping[str, Uptime]  # per check group, over the month
    accounts: tuple[AccountCredit, ...]
    computed_at: datetime
    source: str = ""
    totals: Mapping[str, Decimal] = field(default_factory=dict)  # per currency

    def as_json(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "month": self.month,
            "month_label": self.month_label,
            "ladder": [{"below": str(s.below), "credit": str(s.credit)} for s in self.ladder],
            "maintenance": [w.as_json() for w in self.maintenance],
            "window_uptime": {g: u.as_json() for g, u in self.window_uptime.items()},
            "month_uptime": {g: u.as_json() for g, u in self.month_uptime.items()},
            "accounts": [a.as_json() for a in self.accounts],
            "totals": {c: str(v) for c, v in self.totals.items()},
            "computed_at": to_iso(self.computed_at),
            "source": self.source,
        }

    def digest(self) -> str:
        return digest({k: v for k, v in self.as_json().items() if k != "computed_at"})

    def summary(self) -> str:
        """One line for the close template's ``service_credits``."""
        credited = [a for a in self.accounts if a.amount]
        if not credited:
            return "None due (" + _sla_line(self) + ")"
        totals = ", ".join(money(v, c) for c, v in self.totals.items() if v)
        n = len(credited)
        return f"{totals} to {n} account{'s' * (n != 1)} ({_sla_line(self)})"


def _uptime_text(report: CreditReport) -> str:
    parts = [
        f"{g} {u.percent_text} %" for g, u in report.month_uptime.items() if u.percent is not None
    ]
    return ", ".join(parts) or "not measured"


def _sla_target(report: CreditReport) -> str:
    return str(report.ladder[0].below) if report.ladder else "?"


def _sla_line(report: CreditReport) -> str:
    return f"{report.month_label} uptime {_uptime_text(report)}; SLA {_sla_target(report)} %"


def _money_totals(totals: Mapping[str, Decimal]) -> str:
    return ", ".join(money(v, c) for c, v in totals.items() if v)


@dataclass(frozen=True, slots=True)
class IncidentCredits:
    """The credits of one incident: a report per month (UTC) its down time touches, oldest
    first, and their totals (what the incident owes, whatever the months)."""

    incident_id: int
    reports: tuple[CreditReport, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(r.month for r in self.reports)

    @property
    def totals(self) -> dict[str, Decimal]:
        """Per currency, over every month."""
        out: dict[str, Decimal] = {}
        for report in self.reports:
            for currency, amount in report.totals.items():
                out[currency] = out.get(currency, Decimal(0)) + amount
        return out

    @property
    def computed_at(self) -> datetime:
        return max(r.computed_at for r in self.reports)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.source for r in self.reports if r.source))

    def as_json(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "months": [r.as_json() for r in self.reports],
            "totals": {c: str(v) for c, v in self.totals.items()},
        }

    def digest(self) -> str:
        """Over the months' digests: what the "closed" event records of the credits it saw."""
        return digest({r.month: r.digest() for r in self.reports})

    def summary(self) -> str:
        """One line for the close template's ``service_credits``: the total, then each month."""
        if len(self.reports) == 1:
            return self.reports[0].summary()
        target = _sla_target(self.reports[0])
        credited = {a.account.account_id for r in self.reports for a in r.accounts if a.amount}
        if not credited:
            months = "; ".join(f"{r.month_label} uptime {_uptime_text(r)}" for r in self.reports)
            return f"None due ({months}; SLA {target} %)"
        n = len(credited)
        months = "; ".join(
            f"{r.month_label} {_money_totals(r.totals) or 'none due'} (uptime {_uptime_text(r)})"
            for r in self.reports
        )
        return (
            f"{_money_totals(self.totals)} to {n} account{'s' * (n != 1)} over "
            f"{len(self.reports)} months: {months}; SLA {target} %"
        )


def report_from_json(d: Mapping[str, Any]) -> CreditReport:
    """A :class:`CreditReport` read back from its :meth:`CreditReport.as_json`; its accounts
    are validated (:func:`~stratus_commander.credits.accounts.stored_account`)."""
    at = f"INC-{d['incident_id']} credits {d['month']}: accounts"
    accounts = tuple(
        AccountCredit(
            stored_account(a, f"{at}[{i}]"),
            uptime_from_json(a["uptime"]),
            Decimal(a["credit_percent"]),
            Decimal(a["due"]),
            Decimal(a["previously_credited"]),
            Decimal(a["amount"]),
            a["explanation"],
        )
        for i, a in enumerate(d["accounts"])
    )
    return CreditReport(
        incident_id=d["incident_id"],
        month=d["month"],
        month_label=d["month_label"],
        ladder=tuple(validate(CreditStep, s) for s in d["ladder"]),
        maintenance=tuple(
            MaintenanceWindow(from_iso(w["start"]), from_iso(w["end"]), w["reason"])
            for w in d["maintenance"]
        ),
        window_uptime={g: uptime_from_json(u) for g, u in d["window_uptime"].items()},
        month_uptime={g: uptime_from_json(u) for g, u in d["month_uptime"].items()},
        accounts=accounts,
        computed_at=from_iso(d["computed_at"]),
        source=d["source"],
        totals={c: Decimal(v) for c, v in d["totals"].items()},
    )


CSV_COLUMNS = (
    "account_id",
    "name",
    "currency",
    "monthly_fee",
    "groups",
    "month",
    "uptime_percent",
    "period_minutes",  # with maintenance_minutes, the denominator: unobserved minutes count up
    "observed_minutes",
    "down_minutes",
    "maintenance_minutes",
    "credit_percent",
    "due",
    "previously_credited",
    "credit",
    "calculation",
)


def credits_csv(credits: IncidentCredits | CreditReport) -> str:
    """The per-account credit table as CSV, a row per account and month (amounts exact, in the
    account's currency)."""
    reports = credits.reports if isinstance(credits, IncidentCredits) else (credits,)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for report, a in ((r, a) for r in reports for a in r.accounts):
        writer.writerow(
            [
                a.account.account_id,
                a.account.name,
                a.account.currency,
                str(a.account.monthly_fee),
                ";".join(a.account.groups),
                report.month,
                a.uptime.percent_text,
                a.uptime.period_minutes,
                a.uptime.counted_minutes,
                a.uptime.down_minutes,
                a.uptime.maintenance_minutes,
                str(a.credit_percent),
                str(a.due),
                str(a.previously_credited),
                str(a.amount),
                a.explanation,
            ]
        )
    return buf.getvalue()
