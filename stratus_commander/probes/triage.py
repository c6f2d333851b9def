"""Triage evidence: the engine's current probe states, grouped as the runbook's triage reads them.

The runbook checks, in order: API health, webhook status, database connectivity, external
dependencies; then decides *internal* (proceed to mitigation), *external* (contact the provider,
work around) or *unknown* (escalate). :func:`hint` proposes that decision from the evidence.

Each failing probe's evidence points to a party, ours or a provider's:

- a finding that says so itself (``Finding.points_to`` on the latest sample) is taken at its word:
  Stripe answering 500 ``api_error`` or Supabase's auth health failing is the provider's own API
  failing, even from a probe in our webhooks or database group — often minutes before the
  provider's status page admits it. One probe can point both ways (Stripe's API fails *and* our
  webhook endpoint is disabled): each finding counts for its own party;
- otherwise the check group decides: a provider probe (check ``external``) points to the provider,
  our own checks (api, webhooks, database) to us. Outside monitors (UptimeRobot) sit in the
  runbook's external group, but a monitor that is down watches *our* endpoint: evidence against
  us, not a provider. (UptimeRobot itself being unreachable makes its probe ``unknown``.)

Then:

- **external** when any evidence points to a provider — even if our own checks fail too, since a
  provider outage usually explains them (the reason says so);
- **internal** when our own checks fail and no evidence points to a provider;
- **unknown** otherwise: nothing failing (the fault is outside what we probe), nothing could run,
  or no probes at all.

Pure functions over displayed states (already debounced by the engine): no I/O, no clock. The
party comes from the latest sample: while a failing state waits out its ``success_threshold``
after the first good sample, that sample has no findings and the check group decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from stratus_commander.probes.base import FAILING, Outcome, Party, ProbeState, worst
from stratus_commander.probes.checks import CHECK_ORDER, Check
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


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What one failing probe says against one party, under the title it is listed by."""

    title: str
    state: ProbeState
    text: str


def _group_party(state: ProbeState) -> Party:
    """Whose fault a probe's evidence points to when its findings do not say."""
    if state.check == "external" and state.kind not in OUTSIDE_MONITORS:
        return "provider"
    return "ours"


def _evidence(groups: Iterable[TriageGroup]) -> dict[Party, list[_Evidence]]:
    """Every failing probe's evidence, split by the party it points to, in the runbook's order."""
    found: dict[Party, list[_Evidence]] = {"ours": [], "provider": []}
    for g in groups:
        for state in g.failing:
            default = _group_party(state)
            title = "Outside monitoring" if state.kind in OUTSIDE_MONITORS else g.title
            said: dict[Party, list[str]] = {}
            for finding in state.last.findings:
                if finding.outcome in FAILING:
                    said.setdefault(finding.points_to or default, []).append(finding.text)
            if not said:  # no itemised findings (or the latest sample is no longer failing)
                said = {default: [state.last.detail]}
            for party, texts in said.items():
                found[party].append(_Evidence(title, state, "; ".join(dict.fromkeys(texts))))
    return found


def _describe(evidence: _Evidence) -> str:
    # Redacted whole before it is cut: a key cut in half no longer matches the patterns.
    detail = " ".join(redact(evidence.text).split())
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1] + "…"
    state = evidence.state
    return f"{state.probe} {state.outcome.value}" + (f" ({detail})" if detail else "")


def _listing(evidence: Iterable[_Evidence]) -> str:
    by_title: dict[str, list[str]] = {}
    for item in evidence:
        by_title.setdefault(item.title, []).append(_describe(item))
    return "; ".join(f"{title}: " + ", ".join(said) for title, said in by_title.items())


def hint(groups: list[TriageGroup]) -> DecisionHint:
    """The proposed triage decision and why, in words."""
    found = _evidence(groups)
    every = [s for g in groups for s in g.states]
    providers = [s for s in every if _group_party(s) == "provider"]

    if found["provider"]:
        reason = f"A provider reports trouble — {_listing(found['provider'])}."
        if found["ours"]:
            reason += (
                f" Our own checks fail too, likely as a consequence: {_listing(found['ours'])}."
            )
        return DecisionHint("external", reason)

    if found["ours"]:
        reason = f"Our own checks fail — {_listing(found['ours'])}."
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
