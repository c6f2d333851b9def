"""The registry of probe kinds: kind name -> module, imported only when a config uses the kind.

Lazy on purpose: ``stripe`` and ``psycopg`` cost start-up time, and a config with only ``http``
probes should never pay for them. Each module follows :mod:`stratus_commander.probes.base`.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from functools import cache
from types import ModuleType
from typing import Any, cast

from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult
from stratus_commander.probes.spec import ProbeSpec

__all__ = [
    "KINDS",
    "CheckFn",
    "UnknownKind",
    "check_function",
    "load_kind",
    "on_timeout",
    "spec_model",
]

#: kind name (as written in ``[[probes]] kind = "…"``) -> module, relative to this package.
KINDS: dict[str, str] = {
    "http": ".http",
    "statuspage": ".statuspage",
    "stripe-status": ".stripe_status",
    "uptimerobot": ".uptimerobot",
    "stripe": ".stripe",
    "webhook-signature": ".webhook_signature",
    "supabase": ".supabase",
    "postgres": ".postgres",
}

CheckFn = Callable[[Any, CheckContext], Awaitable[ProbeResult]]


class UnknownKind(KeyError):
    """No kind of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown kind {self.name!r} (known: {', '.join(KINDS)})"


@cache
def load_kind(name: str) -> ModuleType:
    """The kind's module; UnknownKind, or ImportError when the module itself is broken."""
    try:
        path = KINDS[name]
    except KeyError:
        raise UnknownKind(name) from None
    return importlib.import_module(path, package=__package__)


def spec_model(name: str) -> type[ProbeSpec]:
    return cast(type[ProbeSpec], load_kind(name).Spec)


def check_function(name: str) -> CheckFn:
    return cast(CheckFn, load_kind(name).check)


def on_timeout(name: str) -> Outcome:
    """What a check cut short by its deadline means for this kind (base.py: ``ON_TIMEOUT``)."""
    return cast(Outcome, getattr(load_kind(name), "ON_TIMEOUT", Outcome.DOWN))
