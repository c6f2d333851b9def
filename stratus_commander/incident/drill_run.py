"""The drill an incident rehearses, as its declaration records it (the debrief reads it back)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stratus_commander.clock import from_iso, to_iso
from stratus_commander.errors import InputError
from stratus_commander.timeline import Event

__all__ = ["DrillRun", "drill_run_of"]


@dataclass(frozen=True, slots=True)
class DrillRun:
    """The drill an incident rehearses: its scenario (a bundled name or a file's path), when the
    scenario started, and how many scenario seconds ran per real second. Recorded in the
    ``declared`` event, so the debrief is rebuilt from the database alone."""

    scenario: str
    started_at: datetime
    speed: float = 1.0
    #: the scenario's TOML as it was run (the debrief reads it back, whatever became of the file)
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.scenario.strip():
            raise InputError("must name a scenario", where="drill")
        if not self.speed > 0:
            raise InputError(f"must be > 0, got {self.speed}", where="drill speed")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "started_at": to_iso(self.started_at),
            "speed": self.speed,
        }
        if self.source is not None:
            out["source"] = self.source
        return out

    def scenario_time(self, at: datetime) -> timedelta:
        """Scenario time at ``at`` (the simulator's clock runs ``speed`` times the real one)."""
        return (at - self.started_at) * self.speed

    def real_time(self, offset: timedelta) -> datetime:
        """When scenario time ``offset`` was (or will be) reached."""
        return self.started_at + offset / self.speed


def drill_run_of(events: Sequence[Event]) -> DrillRun | None:
    """The drill run recorded in an incident's ``declared`` event, if it is a recorded drill."""
    if not events or events[0].kind != "declared":
        return None
    raw = events[0].data.get("drill_run")
    if not isinstance(raw, dict):
        return None
    source = raw.get("source")
    return DrillRun(
        str(raw["scenario"]),
        from_iso(raw["started_at"]),
        float(raw.get("speed", 1)),
        source if isinstance(source, str) else None,  # drills declared before it was recorded
    )
