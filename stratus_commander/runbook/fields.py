"""The runbook's field types and the checks the model runs on them.

:data:`Duration`, :data:`Text`, :data:`Id`, :data:`Template`, :data:`Percent` and
:data:`StrictBool` are annotated types for the model's dataclasses; :func:`require`,
:func:`unique_ids` and :func:`by_impact` check lists and tables of ids. Each check raises
``ValueError`` with the message the user reads after the file and key path. A template is parsed
by Jinja2 (:func:`check_template`) unless the validation context says ``{"templates": False}``:
the cockpit checks them once its first frame is up (Jinja2 is a tenth of its start-up).

The annotations' metadata (:class:`Before`, :class:`After`, :class:`Constrained`) speak pydantic's
own protocol (``__get_pydantic_core_schema__``) and import pydantic only when a runbook is
validated: a runbook read back from the cache (cache.py) loads without pydantic, a sixth of the
cockpit's way to its first frame.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

from stratus_commander.runbook.duration import parse_positive_duration
from stratus_commander.runbook.vocabulary import IMPACTS, TEMPLATE_VARIABLES

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

__all__ = [
    "After",
    "Before",
    "Constrained",
    "Duration",
    "Id",
    "Percent",
    "StrictBool",
    "Template",
    "Text",
    "by_impact",
    "check_id",
    "check_template",
    "is_placeholder",
    "names",
    "require",
    "requiring",
    "unique_ids",
]


class Before:
    """``Annotated[T, Before(parse)]``: ``parse(raw)`` gives the value pydantic then checks as T."""

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        self.parse = parse

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.parse, handler(source))


class After:
    """``Annotated[T, After(check)]``: ``check(value)`` once pydantic has validated T (it may
    return the value changed); ``After(check, context=True)``: ``check(value, context)``, the
    context the runbook is validated with."""

    def __init__(self, check: Callable[..., Any], *, context: bool = False) -> None:
        self.check, self.context = check, context

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        if self.context:
            check = self.check
            return core_schema.with_info_after_validator_function(
                lambda value, info: check(value, info.context), handler(source)
            )
        return core_schema.no_info_after_validator_function(self.check, handler(source))


class Constrained:
    """``Annotated[T, Constrained(min_length=1)]``: pydantic's own constraints on T's schema
    (``min_length`` of a list, ``gt``/``le`` of a Decimal, ``strict``...), in its own words when
    they fail. Put it first: it constrains T itself, not a check wrapped around it."""

    def __init__(self, **constraints: Any) -> None:
        self.constraints = constraints

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        constrained: CoreSchema = {**handler(source), **self.constraints}  # type: ignore[misc]
        return constrained


def is_placeholder(text: str) -> bool:
    """``[Phone]``, ``[URL]``: a value the seed left for the company to fill in."""
    return text.startswith("[") and text.endswith("]")


def check_id(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
        raise ValueError(f"ids use lowercase letters, digits, '-' and '_' (got {value!r})")
    return value


@cache
def _jinja() -> SandboxedEnvironment:
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment()


def check_template(source: str) -> str:
    """``source`` parsed by the sandbox that renders it: a typo fails at load, not mid-outage."""
    from jinja2 import TemplateSyntaxError, meta

    jinja = _jinja()
    try:
        ast = jinja.parse(source)
        jinja.compile(ast)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error at line {exc.lineno}: {exc.message}") from None
    unknown = meta.find_undeclared_variables(ast) - TEMPLATE_VARIABLES - set(jinja.globals)
    if unknown:
        raise ValueError(
            f"unknown template variable(s) {names(sorted(unknown))}"
            f" (known: {', '.join(sorted(TEMPLATE_VARIABLES))})"
        )
    return source


def _template(source: str, context: object) -> str:
    if isinstance(context, dict) and context.get("templates") is False:
        return source  # checked later (:func:`~stratus_commander.runbook.loader.check_templates`)
    return check_template(source)


Duration = Annotated[timedelta, Before(parse_positive_duration)]
Text = Annotated[str, Constrained(strip_whitespace=True, min_length=1)]
Id = Annotated[str, After(check_id)]
Template = Annotated[str, After(_template, context=True)]
Percent = Annotated[Decimal, Constrained(gt=Decimal(0), le=Decimal(100))]
StrictBool = Annotated[bool, Constrained(strict=True)]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def unique_ids(items: list[_T]) -> list[_T]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id in first:
            raise ValueError(f"duplicate id {item.id!r} at [{first[item.id]}] and [{index}]")
        first[item.id] = index
    return items


def names(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values)


def require(
    ids: Sequence[str], expected: Sequence[str], what: str, *, ordered: bool = False
) -> None:
    """Each expected id present and none twice; with ``ordered``, in the expected order too."""
    problems = []
    missing = [e for e in expected if e not in ids]
    if missing:
        problems.append(f"missing {what} {names(missing)}")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        problems.append(f"{what} {names(twice)} given more than once")
    if ordered and not problems and list(ids) != list(expected):
        problems.append(f"{what}s must be in the order {', '.join(expected)}")
    if problems:
        raise ValueError("; ".join(problems))


_Ids = TypeVar("_Ids", list[Any], dict[str, Any])


def requiring(
    expected: Sequence[str], what: str, *, ordered: bool = False, key: str = "id"
) -> Callable[[_Ids], _Ids]:
    """An :class:`After` check that a list's ids (each item's ``key``), or a table's keys, are
    ``expected`` (:func:`require`)."""

    def check(value: _Ids) -> _Ids:
        ids = list(value) if isinstance(value, dict) else [getattr(v, key) for v in value]
        require(ids, expected, what, ordered=ordered)
        return value

    return check


_V = TypeVar("_V")


def by_impact(value: dict[str, _V]) -> dict[str, _V]:
    unknown = [k for k in value if k not in IMPACTS]
    if unknown:
        raise ValueError(f"unknown impact {names(unknown)} (use {', '.join(IMPACTS)})")
    require(list(value), IMPACTS, "impact")
    return value
