"""The user config file (TOML): who you are, which probes to run, with secrets only as references.

    person = "alice"              # signs what you record (default: your login; --as overrides)

    [[probes]]
    id = "api-health"
    kind = "http"                 # picks the schema: stratus_commander.probes.kinds.KINDS
    check = "api"                 # triage group: api | webhooks | database | external
    interval_s = 30
    timeout_s = 5
    url = "https://app.example.com/api/health"
    expect_json = { status = "ok" }

    [[probes]]
    id = "uptimerobot"
    kind = "uptimerobot"
    api_key = "env:UPTIMEROBOT_API_KEY"     # or "keyring:stratus-commander/uptimerobot"

    [retention]                   # optional (probes/retention.py)
    raw_days = 14                 # raw samples outside incident windows; rollups kept for good

Each table is validated by its kind's pydantic ``Spec``. Every problem in the file is collected and
raised at once as :class:`ConfigInvalid`, each naming the file and key path
(``config.toml: probes[3].timeout_s: must be > 0``; tables are counted from 0). A value that looks
like a literal secret, or an ``env:`` reference not set right now, is a *warning*
(:attr:`Config.warnings`), not an error: the probe still runs (or reports ``unknown``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stratus_commander import validation
from stratus_commander.errors import ConfigError
from stratus_commander.probes import kinds
from stratus_commander.probes.retention import RetentionSettings
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import is_secret_ref, looks_like_secret

__all__ = ["Config", "ConfigInvalid", "load_config", "parse_config"]

TOP_LEVEL_KEYS = ("person", "probes", "retention")
# Keys whose value is a credential whatever it looks like: "api_key", "service_role_key",
# "signing_secret", "dsn", and header names such as "Authorization" or "apikey".
_SECRET_KEY = re.compile(r"(?i)(key|secret|token|password|passwd|dsn|authorization)$")
_KEYRING_REF = re.compile(r"^keyring:[^/]+(/[^/]+)*/[^/]+$")
_ENV_REF = re.compile(r"^env:[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Config:
    """A validated config: the probes in file order and what ``config check`` should warn about."""

    probes: list[ProbeSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None
    #: How long raw samples are kept (the ``[retention]`` table; defaults without one).
    retention: RetentionSettings = field(default_factory=RetentionSettings)


class ConfigInvalid(ConfigError):
    """Every problem found in one config file, not just the first."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        super().__init__(problems[0].message, problems[0].where)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def load_config(path: Path) -> Config:
    """Read and validate ``path``; ConfigError (ConfigInvalid for content) naming what is wrong."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "config file not found (create it, or give --config PATH)", str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
    config = parse_config(text, source=str(path))
    return replace(config, path=path)


def parse_config(text: str, source: str = "config.toml") -> Config:
    """Validate config text; ``source`` names it in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source) from None

    problems: list[ConfigError] = []
    warnings: list[str] = []
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            known = ", ".join(TOP_LEVEL_KEYS)
            problems.append(
                ConfigError(f"unknown top-level key (known: {known})", f"{source}: {key}")
            )
    if "person" in data and not (
        isinstance(data["person"], str) and data["person"].strip() and "\n" not in data["person"]
    ):
        problems.append(
            ConfigError(
                "must be a name on one line (who signs what you record)", f"{source}: person"
            )
        )
    tables = data.get("probes", [])
    if not isinstance(tables, list):
        problems.append(ConfigError("must be an array of tables ([[probes]])", f"{source}: probes"))
        tables = []

    probes: list[ProbeSpec] = []
    first_index: dict[str, int] = {}
    for index, table in enumerate(tables):
        where = f"{source}: probes[{index}]"
        if not isinstance(table, dict):
            problems.append(ConfigError("must be a table ([[probes]])", where))
            continue
        table_problems = list(_reference_problems(table, where))
        warnings.extend(_warnings(table, where))
        spec = _validate(table, source, index, table_problems)
        problems.extend(table_problems)
        if spec is None or table_problems:
            continue
        if spec.id in first_index:
            problems.append(
                ConfigError(
                    f"duplicate id {spec.id!r} (first used by probes[{first_index[spec.id]}])",
                    f"{where}.id",
                )
            )
            continue
        first_index[spec.id] = index
        probes.append(spec)

    retention = _retention(data.get("retention", {}), source, problems)
    if problems:
        raise ConfigInvalid(problems)
    return Config(probes=probes, warnings=warnings, retention=retention)


def _retention(table: Any, source: str, problems: list[ConfigError]) -> RetentionSettings:
    if not isinstance(table, dict):
        problems.append(ConfigError("must be a table ([retention])", f"{source}: retention"))
        return RetentionSettings()
    try:
        return RetentionSettings.model_validate(table)
    except ValidationError as exc:
        for path, message in validation.problems(exc, validation.plain_words, at=("retention",)):
            problems.append(ConfigError(message, f"{source}: {path}"))
        return RetentionSettings()


def _validate(
    table: dict[str, Any], source: str, index: int, problems: list[ConfigError]
) -> ProbeSpec | None:
    where = f"{source}: probes[{index}]"
    kind = table.get("kind")
    if not isinstance(kind, str):
        problems.append(
            ConfigError(f"required (one of: {', '.join(kinds.KINDS)})", f"{where}.kind")
        )
        return None
    try:
        model = kinds.spec_model(kind)
    except kinds.UnknownKind as exc:
        problems.append(ConfigError(str(exc), f"{where}.kind"))
        return None
    except Exception as exc:  # the kind's module is missing or broken: say so, do not crash
        problems.append(ConfigError(f"kind {kind!r} could not be loaded: {exc}", f"{where}.kind"))
        return None
    try:
        return model.model_validate(table)
    except ValidationError as exc:
        for path, message in validation.problems(exc, validation.plain_words, at=("probes", index)):
            problems.append(ConfigError(message, f"{source}: {path}"))
        return None


def _strings(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(key path, last key, value) for every string in a table, nested tables and lists included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
            if isinstance(value, str):
                yield f"{path}.{key}", str(key), value
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                yield f"{path}[{i}]", "", value
            else:
                yield from _strings(value, f"{path}[{i}]")


def _reference_problems(table: dict[str, Any], where: str) -> Iterator[ConfigError]:
    for path, _key, value in _strings(table, where):
        if value.startswith("env:") and not _ENV_REF.match(value):
            yield ConfigError("an env reference is env:NAME (letters, digits, _)", path)
        elif value.startswith("keyring:") and not _KEYRING_REF.match(value):
            yield ConfigError("a keyring reference is keyring:SERVICE/NAME", path)


def _warnings(table: dict[str, Any], where: str) -> Iterator[str]:
    for path, key, value in _strings(table, where):
        if is_secret_ref(value):
            name = value[4:]
            if value.startswith("env:") and _ENV_REF.match(value) and not os.environ.get(name):
                yield f"{path}: {value} is not set here (the probe will report unknown)"
        elif value and (looks_like_secret(value) or _SECRET_KEY.search(key)):
            yield (
                f"{path}: looks like a literal secret; keep it out of this file and write "
                '"env:NAME" or "keyring:SERVICE/NAME" instead'
            )
