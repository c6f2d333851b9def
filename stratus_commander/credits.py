"""Service credits from measured uptime.

Uptime is measured per probe check group (api, webhooks, database, external) from the stored
samples, by the minute (the ``sample_minutes`` rollup the store keeps beside the samples):

* a minute is **unavailable** when the worst sample of the group's probes in it is ``down``;
* ``degraded`` counts as available (slow is not down);
* a minute with no sample, or only ``unknown`` ones (the probe could not run), is **unobserved**:
  it counts as available — a credit is owed for downtime we measured, not for a laptop that was
  off — and the figure says how many minutes were unobserved, so a reader can judge it;
* a minute that overlaps a maintenance window is excluded from both sides.

``uptime % = 100 − 100 × unavailable / (period − maintenance)`` (DESIGN.md: 100 % minus the share
of minutes unavailable, maintenance excluded), compared with the SLA ladder exactly
(fractions, no float): exactly 99.9 % is *not* below 99.9 %. Credits are owed per calendar month
(UTC): an incident gets one :class:`CreditReport` for every month its down time touches (an outage
from 30 September 23:00 to 1 October 01:00 owes September's credit and October's), together an
:class:`IncidentCredits` with the totals. Each month is measured from samples, so two incidents in
one month see one and the same downtime; an account already credited for that month under another
incident is credited only the difference. Money is Decimal, rounded half-up to the currency's minor
unit.

Accounts come from a CSV file (``account_id,name,monthly_fee,currency[,groups]``); any bad row
refuses the whole file, each problem named ``file:line:column``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stratus_commander.clock import from_iso, from_ms, to_iso, to_ms
from stratus_commander.errors import DomainRefused, InputError
from stratus_commander.incident import Incident, Incidents
from stratus_commander.runbook import CreditStep, Sla
from stratus_commander.store import Store, digest
from stratus_commander.text import one_line, text_problem
from stratus_commander.timeline import Event

__all__ = [
    "CURRENCY_MINOR_UNITS",
    "DEFAULT_SLA_GROUPS",
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
    "month_period",
    "months_between",
    "parse_accounts",
    "parse_ladder",
    "read_accounts",
    "record_credits",
    "round_money",
    "stored_credits",
    "stored_reports",
    "uptime_by_group",
]

#: The groups an account's SLA covers unless its CSV row says otherwise: our own service. The
#: ``external`` group watches providers' status pages; their outages count when they show in ours.
DEFAULT_SLA_GROUPS: tuple[str, ...] = ("api", "webhooks", "database")
KNOWN_GROUPS: tuple[str, ...] = ("api", "webhooks", "database", "external")

#: ISO 4217 codes we bill in, with their minor unit (decimal places).
CURRENCY_MINOR_UNITS: dict[str, int] = {
    "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2, "CZK": 2,
    "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0,
    "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NOK": 2, "NZD": 2, "OMR": 3,
    "PHP": 2, "PLN": 2, "QAR": 2, "RON": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TRY": 2,
    "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip

_MINUTE_MS = 60_000
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


# ---------------------------------------------------------------- periods and maintenance


@dataclass(frozen=True, slots=True)
class Period:
    """A measured span ``[start, end)``; ``label`` is what people call it."""

    start: datetime
    end: datetime
    label: str

    @property
    def minutes(self) -> range:
        """The minute numbers (ms // 60000) that overlap the period."""
        return range(to_ms(self.start) // _MINUTE_MS, -(-to_ms(self.end) // _MINUTE_MS))


def month_period(when: datetime) -> Period:
    """The calendar month (UTC) containing ``when``."""
    when = when.astimezone(UTC)
    start = datetime(when.year, when.month, 1, tzinfo=UTC)
    end = datetime(when.year + (when.month == 12), when.month % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end, start.strftime("%B %Y"))


def months_between(start: datetime, end: datetime) -> list[Period]:
    """The calendar months (UTC) that ``[start, end)`` overlaps, oldest first."""
    months = [month_period(start)]
    while months[-1].end < end:
        months.append(month_period(months[-1].end))
    return months


def incident_period(incident: Incident, now: datetime) -> Period:
    """Detection to resolution (or ``now`` while unresolved)."""
    end = incident.resolved_at or now
    end = max(end, incident.detected_at + timedelta(milliseconds=1))
    return Period(incident.detected_at, end, f"{incident.label} window")


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    start: datetime
    end: datetime
    reason: str = ""

    def as_json(self) -> dict[str, str]:
        return {"start": to_iso(self.start), "end": to_iso(self.end), "reason": self.reason}


def maintenance_window(
    start: datetime, end: datetime, reason: str = "", where: str = "maintenance"
) -> MaintenanceWindow:
    """A checked window (stored by :func:`add_maintenance` or :func:`record_credits`)."""
    one_line(reason, f"{where} reason")
    if end <= start:
        raise InputError(f"ends {to_iso(end)}, not after its start {to_iso(start)}", where)
    return MaintenanceWindow(start, end, reason)


def _overlaps(window: MaintenanceWindow, period: Period) -> bool:
    return window.end > period.start and window.start < period.end


def add_maintenance(
    store: Store, start: datetime, end: datetime, reason: str, now: datetime
) -> MaintenanceWindow:
    """Record a service-wide maintenance window (idempotent for the same start and end)."""
    maintenance_window(start, end, reason)
    store.save_maintenance(to_ms(start), to_ms(end), reason, to_iso(now))
    return MaintenanceWindow(start, end, reason)


def maintenance_windows(store: Store, period: Period | None = None) -> list[MaintenanceWindow]:
    """Stored windows, those overlapping ``period`` when given, oldest first."""
    lo, hi = (to_ms(period.start), to_ms(period.end)) if period else (0, 2**62)
    rows = store.maintenance_rows(lo, hi)
    return [
        MaintenanceWindow(from_ms(r["start_ms"]), from_ms(r["end_ms"]), r["reason"]) for r in rows
    ]


# ---------------------------------------------------------------- uptime


def _percent_text(value: Fraction, places: int = 4) -> str:
    """Truncated, never rounded up: 99.89999 % must not read as 99.9000 %."""
    scaled = value.numerator * 10**places // value.denominator
    return f"{Decimal(scaled).scaleb(-places):.{places}f}"


@dataclass(frozen=True, slots=True)
class Uptime:
    """Measured availability of a set of check groups over a period."""

    groups: tuple[str, ...]
    period: Period
    period_minutes: int
    maintenance_minutes: int
    counted_minutes: int  # minutes with a known sample (observed); not the denominator
    down_minutes: int

    @property
    def unobserved_minutes(self) -> int:
        return self.period_minutes - self.maintenance_minutes - self.counted_minutes

    @property
    def thinly_observed(self) -> bool:
        """Probes saw under half of the period: its unobserved minutes, counted as up, may hide
        downtime, so the uptime may be too high and a credit too low (say it loudly)."""
        return 2 * self.counted_minutes < self.period_minutes - self.maintenance_minutes

    @property
    def percent(self) -> Fraction | None:
        """Exact uptime percent; ``None`` when no minute was observed at all."""
        minutes = self.period_minutes - self.maintenance_minutes
        if not self.counted_minutes or minutes <= 0:
            return None
        return Fraction(100 * (minutes - self.down_minutes), minutes)

    @property
    def percent_text(self) -> str:
        value = self.percent
        return "n/a" if value is None else _percent_text(value)

    def describe(self) -> str:
        """The measurement in words."""
        groups = _and(self.groups)
        if self.percent is None:
            return f"{groups}: no observed minutes in {self.period.label}, uptime not measurable"
        text = (
            f"{groups} in {self.period.label}: {self.down_minutes:,} of "
            f"{self.period_minutes - self.maintenance_minutes:,} minutes unavailable = "
            f"{self.percent_text} %"
        )
        extra = []
        if self.maintenance_minutes:
            extra.append(f"{self.maintenance_minutes:,} maintenance minutes excluded")
        if self.unobserved_minutes:
            extra.append(
                f"{self.unobserved_minutes:,} minutes without samples counted as available"
            )
        return text + (f" ({'; '.join(extra)})" if extra else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "period": {
                "start": to_iso(self.period.start),
                "end": to_iso(self.period.end),
                "label": self.period.label,
            },
            "period_minutes": self.period_minutes,
            "maintenance_minutes": self.maintenance_minutes,
            "counted_minutes": self.counted_minutes,
            "down_minutes": self.down_minutes,
            "unobserved_minutes": self.unobserved_minutes,
            "uptime_percent": None if self.percent is None else self.percent_text,
        }


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items) or "no groups"
    return ", ".join(items[:-1]) + " and " + items[-1]


def _maintenance_minutes(period: Period, windows: Iterable[MaintenanceWindow]) -> list[list[int]]:
    """Each window as the minute range [lo, hi) it touches, clipped to the period."""
    minutes = period.minutes
    out = []
    for w in windows:
        lo = max(to_ms(w.start) // _MINUTE_MS, minutes.start)
        hi = min(-(-to_ms(w.end) // _MINUTE_MS), minutes.stop)
        if hi > lo:
            out.append([lo, hi])
    return out


def _covered(ranges: list[list[int]]) -> int:
    total, reach = 0, None
    for lo, hi in sorted(ranges):
        if reach is not None and lo < reach:
            lo = reach
        if hi > lo:
            total += hi - lo
            reach = hi
    return total


def measure_uptime(
    store: Store,
    groups: Sequence[str],
    period: Period,
    maintenance: Iterable[MaintenanceWindow] = (),
) -> Uptime:
    """Uptime of ``groups`` together (a minute is down when any of them is) over ``period``."""
    store.refresh_rollup()
    minutes = period.minutes
    maint = _maintenance_minutes(period, maintenance)
    counted, down = store.uptime_minutes(groups, minutes.start, minutes.stop, maint)
    return Uptime(
        groups=tuple(groups),
        period=period,
        period_minutes=len(minutes),
        maintenance_minutes=_covered(maint),
        counted_minutes=counted,
        down_minutes=down,
    )


def uptime_by_group(
    store: Store, period: Period, maintenance: Iterable[MaintenanceWindow] = ()
) -> dict[str, Uptime]:
    """One :class:`Uptime` per check group that has probes."""
    windows = list(maintenance)
    return {g: measure_uptime(store, (g,), period, windows) for g in store.check_groups()}


# ---------------------------------------------------------------- ladder and money


def parse_ladder(text: str, where: str = "--ladder") -> tuple[CreditStep, ...]:
    """``"99.9:10,99.0:25,95.0:100"`` (below-percent:credit-percent) → validated steps."""
    steps = []
    for part in (p.strip() for p in text.split(",")):
        below, sep, credit = part.partition(":")
        if not sep or not _AMOUNT.fullmatch(below.strip()) or not _AMOUNT.fullmatch(credit.strip()):
            raise InputError(f"{part!r} is not BELOW:CREDIT (e.g. 99.9:10)", where=where)
        steps.append({"below": below.strip(), "credit": credit.strip()})
    try:
        sla = Sla.model_validate({"target": steps[0]["below"], "ladder": steps})
    except ValidationError as exc:
        raise InputError(exc.errors(include_url=False)[0]["msg"], where=where) from None
    return tuple(sla.ladder)


def credit_percent(uptime: Fraction, ladder: Sequence[CreditStep]) -> Decimal:
    """The deepest step whose ``below`` the uptime is strictly under (exact comparison)."""
    return max(
        (s.credit for s in ladder if uptime < Fraction(s.below)),
        default=Decimal(0),
    )


def _step_for(uptime: Fraction, ladder: Sequence[CreditStep]) -> CreditStep | None:
    steps = [s for s in ladder if uptime < Fraction(s.below)]
    return max(steps, key=lambda s: s.credit) if steps else None


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (GBP 0.01, JPY 1, KWD 0.001)."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_MINOR_UNITS[currency]), ROUND_HALF_UP)


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {round_money(amount, currency):,}"


# ---------------------------------------------------------------- accounts CSV


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    name: str
    monthly_fee: Decimal
    currency: str
    groups: tuple[str, ...] = DEFAULT_SLA_GROUPS

    def as_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "monthly_fee": str(self.monthly_fee),
            "currency": self.currency,
            "groups": list(self.groups),
        }


class AccountsInvalid(InputError):
    """Every problem of an accounts file; ``where`` is the first (``file:line:column``)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        where, message = problems[0]
        super().__init__(message, where=where)
        self.problems = [f"{w}: {m}" for w, m in problems]
        self.args = ("\n".join(self.problems),)


REQUIRED_COLUMNS = ("account_id", "name", "monthly_fee", "currency")
OPTIONAL_COLUMNS = ("groups",)


def parse_accounts(
    text: str, source: str = "accounts.csv", currency: str | None = None
) -> list[Account]:
    """Parse the accounts CSV; raise :class:`AccountsInvalid` listing every bad field.

    ``currency`` (optional) is the one currency every row must be in.
    """
    problems: list[tuple[str, str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise AccountsInvalid([(f"{source}:1:1", f"not CSV: {exc}")]) from None
    if header is None or not any(h.strip() for h in header):
        raise AccountsInvalid(
            [(f"{source}:1:1", f"empty file: expected a header row {','.join(REQUIRED_COLUMNS)}")]
        )
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        have = ", ".join(n for n in names if n) or "none"
        raise AccountsInvalid(
            [
                (f"{source}:1:{len(names) + 1}", f"missing column {c!r} (have: {have})")
                for c in missing
            ]
        )
    col = {n: i for i, n in reversed(list(enumerate(names)))}
    accounts: list[Account] = []
    first_line: dict[str, int] = {}
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((f"{source}:{reader.line_num}:1", f"not CSV: {exc}"))
            break
        line = start
        if not any(v.strip() for v in row):
            continue  # blank lines are not accounts

        def where(column: str, line: int = line) -> str:
            return f"{source}:{line}:{col[column] + 1}"

        if len(row) != len(names):
            problems.append(
                (f"{source}:{line}:1", f"{len(row)} fields, the header has {len(names)}")
            )
            continue
        value = {c: row[i].strip() for c, i in col.items()}
        unsafe = {c: problem for c, v in value.items() if (problem := text_problem(v))}
        if unsafe:  # an account's name is printed; its other fields would be refused anyway
            problems += [(where(c), f"{c}: {problem}") for c, problem in unsafe.items()]
            continue
        row_problems = len(problems)
        account_id, name = value["account_id"], value["name"]
        if not account_id:
            problems.append((where("account_id"), "account_id: empty"))
        elif account_id in first_line:
            problems.append(
                (
                    where("account_id"),
                    f"account_id: duplicate {account_id!r} "
                    f"(first on line {first_line[account_id]})",
                )
            )
        else:
            first_line[account_id] = line
        if not name:
            problems.append((where("name"), "name: empty"))
        code = value["currency"].upper()
        if code not in CURRENCY_MINOR_UNITS:
            problems.append(
                (
                    where("currency"),
                    f"currency: {value['currency']!r} is not a supported "
                    "ISO 4217 code (e.g. GBP, EUR, USD)",
                )
            )
        elif currency is not None and code != currency.upper():
            problems.append(
                (
                    where("currency"),
                    f"currency: {code} differs from the expected {currency.upper()}",
                )
            )
        fee_text = value["monthly_fee"]
        fee = Decimal(0)
        if not _AMOUNT.fullmatch(fee_text):
            problems.append(
                (
                    where("monthly_fee"),
                    f"monthly_fee: {fee_text!r} is not an amount "
                    "(digits with an optional decimal point, e.g. 1250.00; "
                    "no symbols or separators)",
                )
            )
        else:
            fee = Decimal(fee_text)
            places = -fee.as_tuple().exponent  # type: ignore[operator]
            if code in CURRENCY_MINOR_UNITS and places > CURRENCY_MINOR_UNITS[code]:
                problems.append(
                    (
                        where("monthly_fee"),
                        f"monthly_fee: {fee_text} has {places} decimal places; "
                        f"{code} has {CURRENCY_MINOR_UNITS[code]}",
                    )
                )
        groups = DEFAULT_SLA_GROUPS
        if "groups" in col and value["groups"]:
            groups = tuple(
                dict.fromkeys(g.strip().lower() for g in value["groups"].split(";") if g.strip())
            )
            unknown = [g for g in groups if g not in KNOWN_GROUPS]
            if unknown:
                problems.append(
                    (
                        where("groups"),
                        f"groups: unknown {', '.join(unknown)} "
                        f"(use {';'.join(KNOWN_GROUPS)}, separated by ';')",
                    )
                )
        if len(problems) == row_problems:
            accounts.append(Account(account_id, name, round_money(fee, code), code, groups))
    if problems:
        raise AccountsInvalid(problems)
    if not accounts:
        raise AccountsInvalid([(f"{source}:{line + 1}:1", "no accounts after the header")])
    return accounts


def read_accounts(path: Path, currency: str | None = None) -> list[Account]:
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", where=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a CSV file", where=str(path)) from None
    except OSError as exc:  # unreadable: permissions, a name too long, a loop of links
        raise InputError(f"cannot read: {exc.strerror or exc}", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where=str(path)) from None
    return parse_accounts(text, str(path), currency)


# ---------------------------------------------------------------- the credit report


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
    step = _step_for(value, ladder)
    if step is None:
        highest = max(s.below for s in ladder)
        return head + f" {uptime.percent_text} % is not below {highest} % → no credit."
    fee = money(account.monthly_fee, account.currency)
    minor = Decimal(1).scaleb(-CURRENCY_MINOR_UNITS[account.currency])
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
        windows = maintenance_windows(store, part) + [w for w in extra if _overlaps(w, part)]
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
        found += [w for w in extra if _overlaps(w, period) or _overlaps(w, window)]
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


# ---------------------------------------------------------------- storing and reading back


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


def _uptime_from_json(data: Mapping[str, Any]) -> Uptime:
    p = data["period"]
    return Uptime(
        groups=tuple(data["groups"]),
        period=Period(from_iso(p["start"]), from_iso(p["end"]), p["label"]),
        period_minutes=data["period_minutes"],
        maintenance_minutes=data["maintenance_minutes"],
        counted_minutes=data["counted_minutes"],
        down_minutes=data["down_minutes"],
    )


def _report_from_json(d: Mapping[str, Any]) -> CreditReport:
    accounts = tuple(
        AccountCredit(
            Account(
                a["account_id"],
                a["name"],
                Decimal(a["monthly_fee"]),
                a["currency"],
                tuple(a["groups"]),
            ),
            _uptime_from_json(a["uptime"]),
            Decimal(a["credit_percent"]),
            Decimal(a["due"]),
            Decimal(a["previously_credited"]),
            Decimal(a["amount"]),
            a["explanation"],
        )
        for a in d["accounts"]
    )
    return CreditReport(
        incident_id=d["incident_id"],
        month=d["month"],
        month_label=d["month_label"],
        ladder=tuple(CreditStep.model_validate(s) for s in d["ladder"]),
        maintenance=tuple(
            MaintenanceWindow(from_iso(w["start"]), from_iso(w["end"]), w["reason"])
            for w in d["maintenance"]
        ),
        window_uptime={g: _uptime_from_json(u) for g, u in d["window_uptime"].items()},
        month_uptime={g: _uptime_from_json(u) for g, u in d["month_uptime"].items()},
        accounts=accounts,
        computed_at=from_iso(d["computed_at"]),
        source=d["source"],
        totals={c: Decimal(v) for c, v in d["totals"].items()},
    )


def stored_reports(store: Store, incident_id: int) -> list[tuple[CreditReport, str]]:
    """Each stored month's report of an incident with the digest stored beside it, oldest
    month first (the digest lets a reader tell a report edited after it was calculated)."""
    return [(_report_from_json(data), kept) for data, kept in store.credit_reports(incident_id)]


def stored_credits(store: Store, incident_id: int) -> IncidentCredits | None:
    """The stored credits of an incident, every month of them, or ``None``."""
    reports = tuple(report for report, _ in stored_reports(store, incident_id))
    return IncidentCredits(incident_id, reports) if reports else None


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
