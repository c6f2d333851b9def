"""What a debrief holds: plain, frozen records of how a drill went, each part scored.

Times are real (UTC); ``scenario`` offsets are scenario time since the drill started (the
simulator may run faster than the runbook clocks). Every ``*_s`` is whole seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stratus_commander.clock import to_iso
from stratus_commander.timefmt import duration_notation, human_duration

#: The outcomes of a runbook clock in a drill. ``late`` (met after its deadline) is a miss:
#: never counted as met in the score.
OUTCOMES = ("met", "late", "missed", "not needed", "open")


def _iso(at: datetime | None) -> str | None:
    return to_iso(at) if at is not None else None


def _offset(delta: timedelta | None) -> str | None:
    return duration_notation(delta) if delta is not None else None


def _secs(delta: timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


@dataclass(frozen=True, slots=True)
class ClockResult:
    id: str
    label: str
    outcome: str  # one of OUTCOMES
    anchor_at: datetime | None
    due_at: datetime | None
    met_at: datetime | None
    #: How far ahead of the deadline (met) or behind it (late, missed); None when open.
    by: timedelta | None
    due_scenario: timedelta | None = None
    met_scenario: timedelta | None = None

    @property
    def met(self) -> bool:
        return self.outcome == "met"

    def summary(self) -> str:
        by = human_duration(self.by)
        return {
            "met": f"met, {by} to spare",
            "late": f"missed by {by} (done late)",
            "missed": f"missed by {by} (never done)",
            "not needed": "not needed (resolved before it was due)",
            "open": "still running",
        }[self.outcome]

    def as_json(self) -> dict[str, Any]:
        return {
            "clock": self.id,
            "label": self.label,
            "outcome": self.outcome,
            "met": self.met,
            "by_s": _secs(self.by),
            "by": human_duration(self.by) if self.by is not None else None,
            "anchor_at": _iso(self.anchor_at),
            "due_at": _iso(self.due_at),
            "met_at": _iso(self.met_at),
            "due_scenario": _offset(self.due_scenario),
            "met_scenario": _offset(self.met_scenario),
            "summary": self.summary(),
        }


@dataclass(frozen=True, slots=True)
class TriageCall:
    """One triage decision against what the scenario expected at that scenario time."""

    decision: str
    at: datetime
    scenario: timedelta | None
    expected: str | None  # None: the scenario expected nothing to decide (or is unknown)
    see: str = ""

    @property
    def matches(self) -> bool | None:
        return None if self.expected is None else self.decision == self.expected

    def as_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "at": to_iso(self.at),
            "scenario_time": _offset(self.scenario),
            "expected": self.expected,
            "matches": self.matches,
            "see": self.see if self.matches is False else "",
        }


@dataclass(frozen=True, slots=True)
class Communication:
    first_update: ClockResult | None
    updates: tuple[datetime, ...]
    every: timedelta
    #: Each stretch longer than the cadence: (from, to or the drill's end, how much too long).
    gaps: tuple[tuple[datetime, datetime, timedelta], ...]
    declared_impact: str
    expected_impact: str
    audience_told: str
    audience_expected: str

    @property
    def cadence_kept(self) -> bool:
        return not self.gaps

    @property
    def audience_right(self) -> bool:
        return self.audience_told == self.audience_expected

    def as_json(self) -> dict[str, Any]:
        return {
            "first_update_on_time": self.first_update.met if self.first_update else None,
            "updates": [to_iso(u) for u in self.updates],
            "cadence": duration_notation(self.every),
            "cadence_kept": self.cadence_kept,
            "gaps": [
                {"from": to_iso(a), "to": to_iso(b), "over_by_s": _secs(over)}
                for a, b, over in self.gaps
            ],
            "declared_impact": self.declared_impact,
            "expected_impact": self.expected_impact,
            "audience_told": self.audience_told,
            "audience_expected": self.audience_expected,
            "audience_right": self.audience_right,
        }


@dataclass(frozen=True, slots=True)
class Escalation:
    clock: ClockResult | None
    expected_who: tuple[str, ...]
    escalated_to: tuple[str, ...]
    due_at: datetime
    first_at: datetime | None

    @property
    def missing(self) -> tuple[str, ...]:
        told = {w.casefold() for w in self.escalated_to}
        return tuple(w for w in self.expected_who if w.casefold() not in told)

    @property
    def on_time(self) -> bool:
        return self.first_at is not None and self.first_at <= self.due_at

    def as_json(self) -> dict[str, Any]:
        return {
            "expected_who": list(self.expected_who),
            "escalated_to": list(self.escalated_to),
            "missing": list(self.missing),
            "due_at": to_iso(self.due_at),
            "first_at": _iso(self.first_at),
            "on_time": self.on_time,
        }


@dataclass(frozen=True, slots=True)
class Flip:
    at: datetime
    scenario: timedelta | None
    probe: str
    previous: str | None
    current: str


@dataclass(frozen=True, slots=True)
class Evidence:
    first_failing_at: datetime | None
    flips: tuple[Flip, ...]
    #: tab → (first look, scenario time of it)
    first_views: dict[str, tuple[datetime, timedelta | None]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "first_failing_at": _iso(self.first_failing_at),
            "flips": [
                {
                    "at": to_iso(f.at),
                    "scenario_time": _offset(f.scenario),
                    "probe": f.probe,
                    "from": f.previous,
                    "to": f.current,
                }
                for f in self.flips
            ],
            "first_views": {
                tab: {"at": to_iso(at), "scenario_time": _offset(sc)}
                for tab, (at, sc) in self.first_views.items()
            },
        }


@dataclass(frozen=True, slots=True)
class ScorePart:
    what: str
    earned: int
    possible: int


@dataclass(frozen=True, slots=True)
class Debrief:
    incident_id: int
    title: str
    scenario: str | None  # its name or path, as recorded
    scenario_title: str | None
    scenario_problem: str | None  # why the scenario could not be read back, if it could not
    started_at: datetime | None
    speed: float
    ended_at: datetime
    resolved: bool
    clocks: tuple[ClockResult, ...]
    triage: tuple[TriageCall, ...]
    communication: Communication
    escalation: Escalation
    evidence: Evidence
    practise: tuple[str, ...]
    parts: tuple[ScorePart, ...]

    @property
    def label(self) -> str:
        return f"INC-{self.incident_id}"

    @property
    def score(self) -> int:
        possible = sum(p.possible for p in self.parts)
        return round(100 * sum(p.earned for p in self.parts) / possible) if possible else 0

    def clock(self, id: str) -> ClockResult | None:
        return next((c for c in self.clocks if c.id == id), None)

    def as_json(self) -> dict[str, Any]:
        first = self.triage[0] if self.triage else None
        return {
            "incident": self.incident_id,
            "label": self.label,
            "title": self.title,
            "scenario": {
                "name": self.scenario,
                "title": self.scenario_title,
                "problem": self.scenario_problem,
                "started_at": _iso(self.started_at),
                "speed": self.speed,
            },
            "ended_at": to_iso(self.ended_at),
            "resolved": self.resolved,
            "score": self.score,
            "score_parts": [
                {"what": p.what, "earned": p.earned, "possible": p.possible} for p in self.parts
            ],
            "clocks": [c.as_json() for c in self.clocks],
            "triage": {
                "decision": first.decision if first else None,
                "expected": first.expected if first else None,
                "matches": first.matches if first else None,
                "see": first.see if first and first.matches is False else "",
                "decisions": [t.as_json() for t in self.triage],
            },
            "communication": self.communication.as_json(),
            "escalation": self.escalation.as_json(),
            "evidence": self.evidence.as_json(),
            "practise": list(self.practise),
        }
