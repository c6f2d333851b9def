"""Money: the currencies we bill in, amounts as they are written, rounding to the minor unit.

Money is Decimal, never float; an amount is rounded half-up to its currency's minor unit
(GBP 0.01, JPY 1, KWD 0.001) once, where it is owed.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["AMOUNT", "CURRENCY_MINOR_UNITS", "minor_unit", "money", "round_money"]

#: ISO 4217 codes we bill in, with their minor unit (decimal places).
CURRENCY_MINOR_UNITS: dict[str, int] = {
    "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2, "CZK": 2,
    "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0,
    "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NOK": 2, "NZD": 2, "OMR": 3,
    "PHP": 2, "PLN": 2, "QAR": 2, "RON": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TRY": 2,
    "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip

#: An amount or a percent as people write it in a file or a flag: digits with an optional
#: decimal point, no sign, symbol or separator.
AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 0.01 for GBP, 1 for JPY, 0.001 for KWD."""
    return Decimal(1).scaleb(-CURRENCY_MINOR_UNITS[currency])


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (GBP 0.01, JPY 1, KWD 0.001)."""
    return amount.quantize(minor_unit(currency), ROUND_HALF_UP)


def money(amount: Decimal, currency: str) -> str:
    """``GBP 1,250.00``: the code, then the rounded amount with thousands separators."""
    return f"{currency} {round_money(amount, currency):,}"
