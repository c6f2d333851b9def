"""Reading a runbook file: every problem at once, each naming the file and the key path.

:func:`load_runbook` reads the TOML, validates it against :class:`~.model.Runbook` and raises
:class:`RunbookInvalid` with one line per problem: ``<file>: <key.path>: <message>``. A file that
cannot be read or is not TOML raises a plain :class:`~stratus_commander.errors.RunbookError`.

``load_runbook(path, templates=False)`` leaves the message templates unparsed (the cockpit's
first frame shows none of them); :func:`check_templates` parses them later and reports their
problems in the same words, at the same key paths.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from stratus_commander import validation
from stratus_commander.errors import RunbookError
from stratus_commander.resources import resource_path
from stratus_commander.runbook.fields import check_template
from stratus_commander.runbook.model import Runbook

if TYPE_CHECKING:  # pydantic loads with the first validation, not with this module
    from pydantic import TypeAdapter
    from pydantic_core import ErrorDetails

__all__ = ["RunbookInvalid", "check_templates", "load_runbook", "runbook_file", "validate"]

_T = TypeVar("_T")


class RunbookInvalid(RunbookError):
    """Every problem of one file: ``where``/``message`` hold the first, ``str()`` all of them."""

    def __init__(self, file: str, problems: list[validation.Problem]) -> None:
        problems = [(loc or "(top level)", msg) for loc, msg in problems]
        loc, message = problems[0]
        super().__init__(message, where=f"{file}: {loc}")
        self.problems = [f"{file}: {loc}: {msg}" for loc, msg in problems]
        self.args = ("\n".join(self.problems),)


_WORDS = {"missing": "required key is missing", "unexpected_keyword_argument": "unknown key"}
_TOP_LEVEL = frozenset(f.name for f in dataclasses.fields(Runbook))


#: Each model's validator, made on its first use (pydantic loads then).
_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def validate(model: type[_T], data: object, context: dict[str, Any] | None = None) -> _T:
    """``data`` validated into ``model`` (a runbook model, e.g. :class:`~.model.Sla`); raises
    pydantic's ``ValidationError``."""
    from pydantic import TypeAdapter

    adapter = _adapters.get(model)
    if adapter is None:
        adapter = _adapters[model] = TypeAdapter(model)
    validated: _T = adapter.validate_python(data, context=context)
    return validated


def _words(err: ErrorDetails) -> str:
    loc = err["loc"]
    if err["type"] == "unexpected_keyword_argument" and len(loc) > 1 and loc[-1] in _TOP_LEVEL:
        # The classic TOML slip: a plain key written below a [table] header belongs to that table.
        return f"unknown key (if it is the top-level {loc[-1]!r}, move it above the first [table])"
    return _WORDS.get(err["type"]) or validation.pydantic_words(err)


def runbook_file(path: Path | None) -> Path:
    """``path``, or the bundled StratusConnect runbook's file for ``None``."""
    return path if path is not None else resource_path("runbooks", "stratusconnect.toml")


def load_runbook(path: Path | None = None, *, templates: bool = True) -> Runbook:
    """Read and validate a runbook TOML (``None``: the bundled StratusConnect runbook);
    ``templates=False``: all but the message templates' syntax (see :func:`check_templates`)."""
    path = runbook_file(path)
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RunbookError("no such file", where=file) from None
    except IsADirectoryError:
        raise RunbookError("is a directory, not a runbook file", where=file) from None
    except OSError as exc:
        raise RunbookError(f"cannot read: {exc.strerror}", where=file) from None
    except UnicodeDecodeError as exc:
        raise RunbookError(f"not UTF-8 text (byte {exc.start})", where=file) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RunbookError(f"invalid TOML: {exc}", where=file) from None
    from pydantic import ValidationError

    try:
        return validate(Runbook, data, {"templates": templates})
    except ValidationError as exc:
        raise RunbookInvalid(file, validation.problems(exc, _words)) from None


def check_templates(runbook: Runbook, path: Path | None = None) -> None:
    """Parse the templates of ``runbook`` (read from ``path`` with ``templates=False``); their
    problems raise :class:`RunbookInvalid`, as :func:`load_runbook` would have."""
    problems: list[validation.Problem] = []
    for name, source in runbook.comms.templates.items():
        try:
            check_template(source)
        except ValueError as exc:
            problems.append((validation.key_path(("comms", "templates", name)), str(exc)))
    if problems:
        raise RunbookInvalid(str(runbook_file(path)), problems)
