"""Triage evidence: the engine's current probe states, grouped as the runbook's triage reads them.

The runbook checks, in order: API health, webhook status, database connectivity, external
dependencies; then decides *internal* (proceed to mitigation), *external* (contact the provider,
work around) or *unknown* (escalate). :func:`hint` proposes that decision from the evidence:

- **external** when a provider probe (check ``external``) is degraded or down — even if our own
  checks fail too, since a provider outage usually explains them (the reason says so);
- **internal** when our own checks (api, webhooks, database) fail and no provider does. Outside
  monitors (UptimeRobot) sit in the runbook's external group, but a monitor that is down watches
  *our* endpoint: that is evidence against us, not against a provider. (UptimeRobot itself being
  unreachable makes its probe ``unknown``, never down.);
- **unknown** otherwise: nothing failing (the fault is outside what we probe), nothing could run,
  or no probes at all.

Pure functions over displayed states (already debounced by the engine): no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from stratus_commander.probes.base import CHECK_ORDER, FAILING, Check, Outcome, ProbeState, worst
from stratus_commander.secrets import redact

__all__ = ["GROUP_TITLES", "DecisionHint", "TriageGroup", "group_evidence", "hint"]

GROUP_TITLES: dict[Check, str] = {
    "api": "API health",
    "webhooks": "Webhook status",
    "database": "Database connectivity",
    "external": "External dependencies",
}
#: Probe kinds in the external group that watch our own services from outside.
OUTSIDE_MONITORS = frozenset({"uptimerobot"})
_MAX_DETAIL = 80

Decision = Literal["internal", "external", "unknown"]


@dataclass(frozen=True, slots=True)
class TriageGroup:
    """One triage panel: its probes' states in the order given, and their worst outcome."""

    check: Check
    title: str
    states: tuple[ProbeState, ...]

    @property
    def outcome(self) -> Outcome | None:
        """Worst displayed outcome (down > degraded > unknown > up); None with no probes."""
        return worst(s.outcome for s in self.states) if self.states else None

    @property
    def failing(self) -> tuple[ProbeState, ...]:
        return tuple(s for s in self.states if s.outcome in FAILING)


@dataclass(frozen=True, slots=True)
class DecisionHint:
    decision: Decision
    reason: str


def group_evidence(states: Mapping[str, ProbeState] | Iterable[ProbeState]) -> list[TriageGroup]:
    """The four triage groups in the runbook's order (empty groups included)."""
    items = list(states.values()) if isinstance(states, Mapping) else list(states)
    return [
        TriageGroup(check, GROUP_TITLES[check], tuple(s for s in items if s.check == check))
        for check in CHECK_ORDER
    ]


def _describe(state: ProbeState) -> str:
    # Redacted whole before it is cut: a key cut in half no longer matches the patterns.
    detail = " ".join(redact(state.last.detail).split())
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1] + "…"
    return f"{state.probe} {state.outcome.value}" + (f" ({detail})" if detail else "")


def _listing(groups: Iterable[TriageGroup]) -> str:
    return "; ".join(
        f"{g.title}: " + ", ".join(_describe(s) for s in g.failing) for g in groups if g.failing
    )


def hint(groups: list[TriageGroup]) -> DecisionHint:
    """The proposed triage decision and why, in words."""
    # Split the external group: provider evidence vs outside monitors of our own services.
    own = [g for g in groups if g.check != "external"]
    external = []
    for g in groups:
        if g.check != "external":
            continue
        monitors = tuple(s for s in g.states if s.kind in OUTSIDE_MONITORS)
        external.append(
            TriageGroup(g.check, g.title, tuple(s for s in g.states if s not in monitors))
        )
        if monitors:
            own.append(TriageGroup(g.check, "Outside monitoring", monitors))
    every = [s for g in groups for s in g.states]
    providers = [s for g in external for s in g.states]
    own_failing = any(g.failing for g in own)

    if any(g.failing for g in external):
        reason = f"A provider reports trouble — {_listing(external)}."
        if own_failing:
            reason += f" Our own checks fail too, likely as a consequence: {_listing(own)}."
        return DecisionHint("external", reason)

    if own_failing:
        reason = f"Our own checks fail — {_listing(own)}."
        unknown = [s.probe for s in providers if s.outcome is Outcome.UNKNOWN]
        if not providers:
            reason += " No provider is probed, so an external cause is not ruled out."
        elif unknown:
            reason += (
                f" No provider reports trouble, but {', '.join(unknown)} could not be read"
                " (is this machine online?)."
            )
        else:
            reason += " Every provider probe is up."
        return DecisionHint("internal", reason)

    if not every:
        return DecisionHint("unknown", "No probe evidence: no probes are configured or none ran.")
    unknown = [s.probe for s in every if s.outcome is Outcome.UNKNOWN]
    if len(unknown) == len(every):
        return DecisionHint(
            "unknown",
            f"No probe could run ({', '.join(unknown)}): check credentials and the config.",
        )
    reason = "Nothing probed is failing, so the evidence points nowhere"
    if unknown:
        reason += f" ({', '.join(unknown)} could not run)"
    return DecisionHint(
        "unknown", reason + ": the fault may lie outside what is probed — escalate if users see it."
    )
