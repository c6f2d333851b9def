"""Where a drill's scenario is, and its title, found without loading it (start-up time).

    scenario_file("payment-processing-down")   resources/drills/payment-processing-down.toml
    scenario_file("my-drill.toml")             my-drill.toml (a file of the commander's)
    scenario_title(path)                       "Payment processing down"

A SCENARIO is a bundled name, or a file when it ends in ``.toml`` or has a directory in it. An
unknown name is an :class:`~stratus_commander.errors.InputError` listing the bundled ones.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from stratus_commander.errors import InputError
from stratus_commander.resources import resource_path

__all__ = ["available_scenarios", "is_scenario_file", "scenario_file", "scenario_title"]


def available_scenarios() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted(p.stem for p in resource_path("drills").glob("*.toml"))


def is_scenario_file(name_or_path: str | Path) -> bool:
    """Whether SCENARIO names a file of the commander's rather than a bundled drill."""
    text = str(name_or_path)
    return isinstance(name_or_path, Path) or text.endswith(".toml") or Path(text).name != text


def scenario_file(name_or_path: str | Path) -> Path:
    """The file of a bundled scenario's name, or the scenario file given."""
    if is_scenario_file(name_or_path):
        return Path(name_or_path)
    name = str(name_or_path)
    path = resource_path("drills", f"{name}.toml")
    if not path.is_file():
        raise InputError(
            f"unknown drill scenario {name!r}; available: {', '.join(available_scenarios())}"
        )
    return path


def scenario_title(path: Path) -> str:
    """The ``title`` of a scenario file, read with no validation (loading it checks it)."""
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8")).get("title", path.stem))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return path.stem  # loading it will report the problem properly
