"""The customer accounts credits are owed to: a pydantic row model, read from CSV or the store.

An account is ``account_id, name, currency, monthly_fee`` and the check groups its SLA covers.
:class:`Account` validates each field wherever a row comes from, and each message names its
field (``monthly_fee: 1.234 has 3 decimal places; GBP has 2``):

* the accounts CSV (``account_id,name,monthly_fee,currency[,groups]``), read by
  :func:`parse_accounts`: any bad row refuses the whole file, each problem at
  ``file:line:column``; the file's own rules (no duplicate id, no control characters, one
  expected currency) are checked there, beside the model's;
* the store, where each credit report keeps its accounts (:func:`stored_account`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from stratus_commander import validation
from stratus_commander.credits.money import AMOUNT, CURRENCY_MINOR_UNITS, round_money
from stratus_commander.errors import InputError, StoreError
from stratus_commander.text import text_problem

__all__ = [
    "DEFAULT_SLA_GROUPS",
    "KNOWN_GROUPS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Account",
    "AccountsInvalid",
    "parse_accounts",
    "read_accounts",
    "stored_account",
]

#: The groups an account's SLA covers unless its CSV row says otherwise: our own service. The
#: ``external`` group watches providers' status pages; their outages count when they show in ours.
DEFAULT_SLA_GROUPS: tuple[str, ...] = ("api", "webhooks", "database")
KNOWN_GROUPS: tuple[str, ...] = ("api", "webhooks", "database", "external")

REQUIRED_COLUMNS = ("account_id", "name", "monthly_fee", "currency")
OPTIONAL_COLUMNS = ("groups",)


class Account(BaseModel):
    """One customer account. Fields validate in this order, which is the order problems are
    listed in: ``monthly_fee`` is checked against the ``currency`` before it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: str
    name: str
    currency: str
    monthly_fee: Decimal
    groups: tuple[str, ...] = DEFAULT_SLA_GROUPS

    @field_validator("account_id", "name")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("empty")
        return value

    @field_validator("currency", mode="before")
    @classmethod
    def _supported_currency(cls, value: object) -> object:
        if isinstance(value, str):
            if value.upper() not in CURRENCY_MINOR_UNITS:
                raise ValueError(f"{value!r} is not a supported ISO 4217 code (e.g. GBP, EUR, USD)")
            return value.upper()
        return value

    @field_validator("monthly_fee", mode="before")
    @classmethod
    def _amount_in_currency(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            if not AMOUNT.fullmatch(value):
                raise ValueError(
                    f"{value!r} is not an amount (digits with an optional decimal point, "
                    "e.g. 1250.00; no symbols or separators)"
                )
            fee = Decimal(value)
        elif isinstance(value, Decimal):
            if not value.is_finite() or value < 0:
                raise ValueError(f"{value} is not an amount (a finite amount, not negative)")
            fee = value
        else:
            return value  # pydantic says what it should be
        places = -int(fee.as_tuple().exponent)
        code = info.data.get("currency")  # absent when the currency itself is refused
        if code is not None and places > CURRENCY_MINOR_UNITS[code]:
            raise ValueError(
                f"{value} has {places} decimal places; {code} has {CURRENCY_MINOR_UNITS[code]}"
            )
        return fee

    @field_validator("groups", mode="before")
    @classmethod
    def _known_groups(cls, value: object) -> object:
        if isinstance(value, str):  # as a CSV cell: "api;webhooks"
            value = tuple(dict.fromkeys(g.strip().lower() for g in value.split(";") if g.strip()))
        if isinstance(value, list | tuple):
            unknown = [g for g in value if g not in KNOWN_GROUPS]
            if unknown:
                raise ValueError(
                    f"unknown {', '.join(map(str, unknown))} "
                    f"(use {';'.join(KNOWN_GROUPS)}, separated by ';')"
                )
        return value

    def as_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "monthly_fee": str(self.monthly_fee),
            "currency": self.currency,
            "groups": list(self.groups),
        }


#: The model's fields in validation order: a row's problems are listed in it.
_FIELDS = tuple(Account.model_fields)


def stored_account(data: Mapping[str, Any], where: str) -> Account:
    """An account as a stored credit report keeps it (:meth:`Account.as_json` and more keys),
    validated; :class:`StoreError` names the field (``where.currency: ...``)."""
    try:
        return Account.model_validate({k: data[k] for k in _FIELDS if k in data})
    except ValidationError as exc:
        (path, message), *_ = validation.problems(exc, at=(where,))
        raise StoreError(message, where=path) from None


class AccountsInvalid(InputError):
    """Every problem of an accounts file; ``where`` is the first (``file:line:column``)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        where, message = problems[0]
        super().__init__(message, where=where)
        self.problems = [f"{w}: {m}" for w, m in problems]
        self.args = ("\n".join(self.problems),)


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
        account, row_problems = _account(value)
        # The file's own rules, beside the model's: one id once, one expected currency.
        account_id, code = value["account_id"], value["currency"].upper()
        if account_id in first_line:
            duplicate = f"duplicate {account_id!r} (first on line {first_line[account_id]})"
            row_problems.append(("account_id", duplicate))
        elif account_id:
            first_line[account_id] = line
        if currency is not None and code in CURRENCY_MINOR_UNITS and code != currency.upper():
            wrong = f"{code} differs from the expected {currency.upper()}"
            row_problems.append(("currency", wrong))
        row_problems.sort(key=lambda p: _FIELDS.index(p[0]))  # stable: in the fields' order
        problems += [(where(c), f"{c}: {message}") for c, message in row_problems]
        if account is not None and not row_problems:
            accounts.append(account)
    if problems:
        raise AccountsInvalid(problems)
    if not accounts:
        raise AccountsInvalid([(f"{source}:{line + 1}:1", "no accounts after the header")])
    return accounts


def _account(value: Mapping[str, str]) -> tuple[Account | None, list[tuple[str, str]]]:
    """One row's account (its fee padded to the currency's minor unit), or its problems as
    (field, message)."""
    fields = {c: value[c] for c in REQUIRED_COLUMNS}
    if value.get("groups"):  # an empty cell: the default groups
        fields["groups"] = value["groups"]
    try:
        account = Account.model_validate(fields)
    except ValidationError as exc:
        return None, validation.problems(exc)
    fee = round_money(account.monthly_fee, account.currency)
    return account.model_copy(update={"monthly_fee": fee}), []


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
