"""Service credits from measured uptime, per incident and calendar month (UTC).

Uptime is measured per probe check group from the stored samples, minute by minute (unobserved
minutes count as available and are reported, maintenance is excluded from both sides); the SLA
ladder turns a month's exact uptime into a percent of each account's monthly fee; an incident
gets one report per month its down time touches, and an account already credited for a month
under another incident is credited only the difference. Money is Decimal, rounded half-up to
the currency's minor unit.

    accounts.py     Account (a pydantic row model) and the accounts CSV: every bad field named
                    ``file:line:column``; the accounts a stored report keeps, validated again
    money.py        the currencies we bill in, their minor units, rounding
    uptime.py       periods (incident window, months), maintenance windows, measured Uptime
    ladder.py       the credit ladder: uptime → percent of the fee (exact comparison)
    report.py       CreditReport (one month), IncidentCredits (every month), JSON and CSV
    calculate.py    compute_credits / compute_incident_credits: read the store, write nothing
    stored.py       record_credits (one transaction, one event per month) and reading back

Imports the store, the incident model, the runbook and the base modules; never the review,
the exports or the GUI. Every SQL statement stays behind the :class:`Store` protocol.
"""

from stratus_commander.credits.accounts import (
    DEFAULT_SLA_GROUPS,
    KNOWN_GROUPS,
    Account,
    AccountsInvalid,
    parse_accounts,
    read_accounts,
    stored_account,
)
from stratus_commander.credits.calculate import (
    compute_credits,
    compute_incident_credits,
    credit_months,
)
from stratus_commander.credits.ladder import credit_percent, parse_ladder
from stratus_commander.credits.money import CURRENCY_MINOR_UNITS, money, round_money
from stratus_commander.credits.report import (
    CSV_COLUMNS,
    AccountCredit,
    CreditReport,
    IncidentCredits,
    credits_csv,
)
from stratus_commander.credits.stored import record_credits, stored_credits, stored_reports
from stratus_commander.credits.uptime import (
    MaintenanceWindow,
    Period,
    Uptime,
    add_maintenance,
    incident_period,
    maintenance_window,
    maintenance_windows,
    measure_uptime,
    month_period,
    months_between,
    uptime_by_group,
)

__all__ = [
    "CSV_COLUMNS",
    "CURRENCY_MINOR_UNITS",
    "DEFAULT_SLA_GROUPS",
    "KNOWN_GROUPS",
    "Account",
    "AccountCredit",
    "AccountsInvalid",
    "CreditReport",
    "IncidentCredits",
    "MaintenanceWindow",
    "Period",
    "Uptime",
    "add_maintenance",
    "compute_credits",
    "compute_incident_credits",
    "credit_months",
    "credit_percent",
    "credits_csv",
    "incident_period",
    "maintenance_window",
    "maintenance_windows",
    "measure_uptime",
    "money",
    "month_period",
    "months_between",
    "parse_accounts",
    "parse_ladder",
    "read_accounts",
    "record_credits",
    "round_money",
    "stored_account",
    "stored_credits",
    "stored_reports",
    "uptime_by_group",
]
