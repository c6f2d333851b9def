"""``drill check`` and the scenarios part of ``runbook check``: a scenario file validated, and
what the debrief will be able to judge with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus_commander.drill.scenario import Scenario, load_scenario_file
from stratus_commander.errors import InputError
from stratus_commander.resources import resource_path
from stratus_commander.timefmt import duration_notation


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    path: Path
    scenario: Scenario | None
    problem: str = ""  # why it does not validate (file: key.path: message)
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.scenario is not None

    def summary(self) -> str:
        s = self.scenario
        if s is None:
            return f"{self.path}: {self.problem}"
        judged = [e for e in s.expect if e.triage]
        lines = [
            f"{self.path}: OK — {s.title}",
            f"  impact: {s.impact or '(not said)'}; {len(s.steps)} step(s), "
            f"{len(s.expect)} expectation(s), {len(judged)} with a triage decision",
        ]
        lines += [f"  +{duration_notation(e.at)}: expect {e.triage or 'all up'}" for e in s.expect]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "path": str(self.path),
            "ok": self.ok,
            "problem": self.problem or None,
            "warnings": list(self.warnings),
            "title": s.title if s else None,
            "impact": s.impact if s else None,
            "steps": len(s.steps) if s else None,
            "expect": [
                {"at": duration_notation(e.at), "triage": e.triage} for e in (s.expect if s else ())
            ],
        }


def scenario_warnings(scenario: Scenario) -> tuple[str, ...]:
    """What a valid scenario leaves the debrief unable to judge."""
    out = []
    if scenario.steps and not any(e.triage for e in scenario.expect):
        out.append("no [[expect]] says a triage decision: the debrief cannot judge triage")
    if scenario.steps and scenario.impact is None:
        out.append(
            "no impact: the debrief judges the audience and escalation by the declared impact"
        )
    return tuple(out)


def check_scenario_file(path: Path) -> ScenarioReport:
    """Validate one scenario file; a refusal becomes the report's ``problem``."""
    try:
        scenario = load_scenario_file(path)
    except InputError as exc:
        return ScenarioReport(path, None, str(exc))
    return ScenarioReport(path, scenario, warnings=scenario_warnings(scenario))


def check_bundled_scenarios() -> list[ScenarioReport]:
    """Every bundled scenario checked, by name."""
    return [check_scenario_file(p) for p in sorted(resource_path("drills").glob("*.toml"))]
