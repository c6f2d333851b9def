"""A pydantic ``ValidationError`` as problems a person can find in the file: (key path, message).

    problems(exc)                          [("clocks[1].due_after", "must be a positive ...")]
    problems(exc, plain_words, at=("probes", 3))   [("probes[3].timeout_s", "must be > 0 (got 0)")]

The runbook, the user config and the drill scenarios all report through :func:`problems`; each
file's loader prefixes the file name (``config.toml: probes[3].timeout_s: must be > 0``). A
validator that checks several sections against each other raises :class:`Problems` to report
each at its own key path rather than one message at the model's.

The wording is the caller's choice: :func:`plain_words` (short, with the offending value) or
:func:`pydantic_words` (pydantic's own sentences).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from stratus_commander.secrets import redact

if TYPE_CHECKING:  # pydantic loads with the first validation, not with this module
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

__all__ = ["Problem", "Problems", "key_path", "plain_words", "problems", "pydantic_words"]

#: (key path, message); the key path is "" for the file's top level.
Problem = tuple[str, str]
Words = Callable[["ErrorDetails"], str]
Loc = tuple[int | str, ...]


class Problems(ValueError):
    """Several problems, each at its own key path (raised inside a model validator)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in problems))
        self.problems = problems


def key_path(loc: Loc) -> str:
    """``("steps", 2, "on", 0, "ms")`` -> ``steps[2].on[0].ms``; ``()`` -> ``""``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def pydantic_words(error: ErrorDetails) -> str:
    """Pydantic's message; a validator's own words without pydantic's "Value error, "."""
    cause = (error.get("ctx") or {}).get("error")
    if error["type"] == "value_error" and cause is not None:
        return str(cause)
    return error["msg"]


def plain_words(error: ErrorDetails) -> str:
    """A short message that quotes the offending value (redacted: it may be a secret)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    got = redact(repr(error.get("input")))
    got = got if len(got) <= 60 else got[:59] + "…"
    simple = {
        "missing": "required",
        "extra_forbidden": "unknown key",
        "int_type": f"must be a whole number (got {got})",
        "int_parsing": f"must be a whole number (got {got})",
        "int_from_float": f"must be a whole number (got {got})",
        "float_type": f"must be a number (got {got})",
        "float_parsing": f"must be a number (got {got})",
        "string_type": f"must be a string (got {got})",
        "bool_type": f"must be true or false (got {got})",
        "list_type": f"must be a list (got {got})",
        "dict_type": f"must be a table (got {got})",
        "finite_number": "must be a finite number",
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "greater_than": ">",
        "greater_than_equal": ">=",
        "less_than": "<",
        "less_than_equal": "<=",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()))
        shown = f"{limit:g}" if isinstance(limit, float) else str(limit)
        return f"must be {bounds[kind]} {shown} (got {got})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {got})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')} (got {got})"
    return pydantic_words(error)


def problems(exc: ValidationError, words: Words = pydantic_words, at: Loc = ()) -> list[Problem]:
    """Every problem of ``exc`` in pydantic's order; ``at`` is where the validated value sits
    in its file (``("probes", 3)`` for the fourth probe table)."""
    errors = exc.errors(include_url=False)
    # A list whose only item failed is also "too short": say only what is wrong inside it.
    errors = [
        e
        for e in errors
        if e["type"] != "too_short"
        or not any(o["loc"][: len(e["loc"])] == e["loc"] and o is not e for o in errors)
    ]
    prefix = key_path(at)
    out: list[Problem] = []
    for error in errors:
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, Problems):
            out += [(_under(prefix, loc), msg) for loc, msg in cause.problems]
        else:
            out.append((key_path((*at, *error["loc"])), words(error)))
    return out


def _under(prefix: str, path: str) -> str:
    if not prefix or not path:
        return prefix or path
    return prefix + (path if path.startswith("[") else f".{path}")
