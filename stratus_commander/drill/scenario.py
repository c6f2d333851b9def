"""Drill scenarios: a timeline of faults and what the commander should see, plus the drill clock.

A scenario is ``resources/drills/<name>.toml``::

    title = "Payment processing down"
    summary = "..."
    impact = "critical"                    # the impact a commander should declare

    [[steps]]
    at = "1m"                              # scenario time from the start
    note = "Stripe's API starts answering 500"
    on = [{ fault = "stripe_api_5xx" }]    # faults (see faults.py); off = ["key", ...]

    [[expect]]
    at = "4m"                              # once the faults have settled
    triage = "external"                    # internal | external | unknown; absent when all up
    see = "What the commander should notice"
    probes = { stripe-api = "down", api-health = ["degraded", "down"] }   # others: "up"

Steps apply in order (``off`` before ``on``). Scenario time runs ``speed`` times faster than the
injected clock, so a step at ``2m`` fires after 2 s at speed 60.
"""

from __future__ import annotations

import re
import threading
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from stratus_commander import validation
from stratus_commander.clock import Clock
from stratus_commander.drill.config import PROBE_IDS
from stratus_commander.drill.faults import ActiveFaults, Fault
from stratus_commander.drill.files import available_scenarios as available_scenarios
from stratus_commander.drill.files import scenario_file
from stratus_commander.errors import InputError
from stratus_commander.probes.base import Outcome
from stratus_commander.timefmt import duration_notation

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_offset(text: str) -> timedelta:
    """Time since the drill started: ``"0"``, ``"90s"``, ``"1.5s"``, ``"2m"``, ``"1m30s"``,
    ``"1h"`` -> timedelta (zero and fractional seconds allowed, unlike the runbook's)."""
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if text == "0":
        return timedelta(0)
    if not text or match is None:
        raise ValueError(f"expected a duration like '90s', '2m' or '1m30s', got {text!r}")
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))


def _duration(value: Any) -> timedelta:
    # Only text: a bare number would leave the reader guessing seconds or minutes.
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration string like '2m', got {value!r}")
    return parse_offset(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Triage = Literal["internal", "external", "unknown"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Model):
    at: Duration
    note: str = Field(min_length=1)
    on: tuple[Fault, ...] = ()
    off: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _does_something(self) -> Step:
        if not self.on and not self.off:
            raise ValueError("a step must turn at least one fault on or off")
        both = {f.key for f in self.on} & set(self.off)
        if both:
            raise ValueError(f"turned both off and on in one step: {', '.join(sorted(both))}")
        return self


def _outcomes(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Expectation(_Model):
    """What the probes should report at ``at``, once the faults before it have settled.

    ``triage`` is the runbook decision the evidence should lead to; it is absent exactly when
    every probe is expected up (nothing to decide: the triage hint then says ``unknown``).
    """

    at: Duration
    see: str = Field(min_length=1)
    triage: Triage | None = None
    probes: dict[str, Annotated[frozenset[Outcome], BeforeValidator(_outcomes)]] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _consistent(self) -> Expectation:
        unknown = sorted(set(self.probes) - set(PROBE_IDS))
        if unknown:
            raise ValueError(
                f"unknown probe id(s) {', '.join(unknown)}; drill probes: {', '.join(PROBE_IDS)}"
            )
        if any(not outcomes for outcomes in self.probes.values()):
            raise ValueError("each probe needs at least one expected outcome")
        all_up = all(o == {Outcome.UP} for o in self.outcomes().values())
        if all_up and self.triage is not None:
            raise ValueError("triage is given but every probe is expected up: drop it")
        if not all_up and self.triage is None:
            raise ValueError("some probe is expected not up: say the triage decision")
        return self

    def outcomes(self) -> dict[str, frozenset[Outcome]]:
        """Accepted outcomes for every drill probe (unlisted probes: up)."""
        up = frozenset({Outcome.UP})
        return {probe: self.probes.get(probe, up) for probe in PROBE_IDS}


class Scenario(_Model):
    name: str = Field(min_length=1)  # the file name's stem
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    impact: Literal["minor", "major", "critical"] | None = None
    steps: tuple[Step, ...] = ()
    expect: tuple[Expectation, ...] = Field(min_length=1)
    #: the TOML it was read from: recorded with a drill, so its debrief reads the scenario run,
    #: not the file as it is later (edited, moved, or a newer bundled version)
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        return self._source

    @model_validator(mode="after")
    def _timeline(self) -> Scenario:
        for label, items in (("steps", self.steps), ("expect", self.expect)):
            for i in range(1, len(items)):
                if items[i].at < items[i - 1].at:
                    at, before = duration_notation(items[i].at), duration_notation(items[i - 1].at)
                    raise ValueError(
                        f"{label}[{i}].at: {at} comes before "
                        f"{label}[{i - 1}].at ({before}); keep time order"
                    )
        active: set[str] = set()
        for i, step in enumerate(self.steps):
            for j, key in enumerate(step.off):
                if key not in active:
                    on_now = ", ".join(sorted(active)) or "none"
                    raise ValueError(
                        f"steps[{i}].off[{j}]: {key!r} is not on at "
                        f"{duration_notation(step.at)} (on: {on_now})"
                    )
                active.remove(key)
            active |= {f.key for f in step.on}
        return self

    def faults_at(self, elapsed: timedelta) -> ActiveFaults:
        """The faults on at scenario time ``elapsed``."""
        active: dict[str, Any] = {}
        for step in self.steps[: self.steps_reached(elapsed)]:
            for key in step.off:
                active.pop(key, None)
            active.update((f.key, f) for f in step.on)
        return ActiveFaults(active)

    def steps_reached(self, elapsed: timedelta) -> int:
        """How many steps have fired by scenario time ``elapsed``."""
        return sum(1 for step in self.steps if step.at <= elapsed)

    def expectation_at(self, elapsed: timedelta) -> Expectation | None:
        """The latest expectation due by ``elapsed``."""
        due = [e for e in self.expect if e.at <= elapsed]
        return due[-1] if due else None


class ScenarioClock:
    """Scenario time: ``speed`` times the injected clock since creation, plus any jumps."""

    def __init__(self, clock: Clock, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.clock = clock
        self.speed = speed
        self._anchor = clock.now()
        self._offset = timedelta(0)
        self._lock = threading.Lock()  # the server's threads read while a test or the GUI jumps

    def elapsed(self) -> timedelta:
        with self._lock:
            return self._offset + (self.clock.now() - self._anchor) * self.speed

    def advance_to(self, at: timedelta) -> None:
        """Jump forward to scenario time ``at`` (without waiting)."""
        with self._lock:
            now = self._offset + (self.clock.now() - self._anchor) * self.speed
            if at < now:
                back, already = duration_notation(at), duration_notation(now)
                raise ValueError(f"cannot go back to {back}: already at {already}")
            self._offset += at - now


# --- loading ----------------------------------------------------------------------------------


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A bundled scenario by name, or a scenario file by path (see :mod:`.files`)."""
    return load_scenario_file(scenario_file(name_or_path))


def load_scenario_file(path: Path) -> Scenario:
    """Read and validate one scenario file; errors name the file and the key path."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read scenario: {exc.strerror or exc}", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", where=str(path)) from exc
    return parse_scenario(text, path.stem, str(path))


def parse_scenario(text: str, name: str, where: str) -> Scenario:
    """The scenario ``name`` from its TOML ``text`` (a file's, or as recorded with a drill);
    errors name ``where`` and the key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", where=where) from exc
    if "name" in data:
        raise InputError("a scenario's name is its file name; remove this key", f"{where}: name")
    try:
        scenario = Scenario.model_validate({**data, "name": name})
    except ValidationError as exc:
        raise _input_error(where, exc) from exc
    scenario._source = text
    return scenario


def _input_error(where: str, exc: ValidationError) -> InputError:
    found = validation.problems(exc)
    key, message = found[0]
    rest = "".join(f"\n  {loc or '(top level)'}: {msg}" for loc, msg in found[1:])
    return InputError(message + rest, f"{where}: {key}" if key else where)
