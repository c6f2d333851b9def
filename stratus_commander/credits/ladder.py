"""The credit ladder: measured uptime → percent of the monthly fee credited.

A ladder is the runbook's ``[sla]`` steps (or ``--ladder 99.9:10,99.0:25``): each step credits
``credit`` % when the month's uptime is strictly below ``below`` %. The comparison is exact
(fractions, no float): exactly 99.9 % is *not* below 99.9 %; the deepest step reached counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from pydantic import ValidationError

from stratus_commander.credits.money import AMOUNT
from stratus_commander.errors import InputError
from stratus_commander.runbook import CreditStep, Sla, validate
from stratus_commander.validation import pydantic_words

__all__ = ["credit_percent", "parse_ladder", "step_for"]


def parse_ladder(text: str, where: str = "--ladder") -> tuple[CreditStep, ...]:
    """``"99.9:10,99.0:25,95.0:100"`` (below-percent:credit-percent) → validated steps."""
    steps = []
    for part in (p.strip() for p in text.split(",")):
        below, sep, credit = part.partition(":")
        if not sep or not AMOUNT.fullmatch(below.strip()) or not AMOUNT.fullmatch(credit.strip()):
            raise InputError(f"{part!r} is not BELOW:CREDIT (e.g. 99.9:10)", where=where)
        steps.append({"below": below.strip(), "credit": credit.strip()})
    try:
        sla = validate(Sla, {"target": steps[0]["below"], "ladder": steps})
    except ValidationError as exc:
        raise InputError(pydantic_words(exc.errors(include_url=False)[0]), where=where) from None
    return tuple(sla.ladder)


def credit_percent(uptime: Fraction, ladder: Sequence[CreditStep]) -> Decimal:
    """The deepest step whose ``below`` the uptime is strictly under (exact comparison)."""
    return max(
        (s.credit for s in ladder if uptime < Fraction(s.below)),
        default=Decimal(0),
    )


def step_for(uptime: Fraction, ladder: Sequence[CreditStep]) -> CreditStep | None:
    """The step :func:`credit_percent` credits, or ``None`` when the uptime is below none."""
    steps = [s for s in ladder if uptime < Fraction(s.below)]
    return max(steps, key=lambda s: s.credit) if steps else None
