"""The probe contract every kind follows.

A probe *kind* is a module under ``stratus_commander.probes`` exposing:

    Spec: a pydantic model (subclass of spec.ProbeSpec) with the kind's own config keys
    async def check(spec, ctx: CheckContext) -> ProbeResult

``check`` never raises for a target's fault: an unreachable or misbehaving target is ``down`` (or
``degraded``) with the reason in ``detail``; a probe that could not run at all (missing credential,
bad config) is ``unknown``. The engine enforces the whole-check deadline (``timeout_s``) around it.

A kind module may also set ``ON_TIMEOUT: Outcome`` (default ``Outcome.DOWN``): the outcome the
engine reports when the deadline cuts the check short. Provider status kinds set ``UNKNOWN``: a
status page that does not answer says nothing about the provider itself.

A check of several parts reports each thing it found wrong as a :class:`Finding`, and keeps them on
its result (``ProbeResult.findings``). A finding may say whose fault it points to
(``points_to``): Stripe answering 500 ``api_error`` is the provider's, whatever triage group the
probe sits in. Without it, the probe's check group decides (``external`` is a provider's, the rest
ours; see :mod:`stratus_commander.probes.triage`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from stratus_commander.probes.checks import Check

if TYPE_CHECKING:  # the contract's types; importing httpx costs a tenth of a second at start-up
    import httpx

    from stratus_commander.probes.spec import ProbeSpec


class Outcome(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"  # could not run: never confused with the target being down


#: How bad each outcome is, for "the worst of": not knowing ranks above up and below degraded.
SEVERITY: dict[Outcome, int] = {
    Outcome.UP: 0,
    Outcome.UNKNOWN: 1,
    Outcome.DEGRADED: 2,
    Outcome.DOWN: 3,
}


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The most severe outcome (down > degraded > unknown > up); UP when there are none."""
    return max(outcomes, key=SEVERITY.__getitem__, default=Outcome.UP)


#: The outcomes that are trouble (unknown is not: the probe could not tell).
FAILING = (Outcome.DEGRADED, Outcome.DOWN)

#: Whose fault a piece of evidence points to: our own systems, or a provider's.
Party = Literal["ours", "provider"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check of several parts found wrong: how bad, and what to tell the person.

    ``points_to`` is set when the evidence itself says whose fault it is (a provider's own API
    answering 5xx); ``None`` leaves it to the probe's check group.
    """

    outcome: Outcome
    text: str
    points_to: Party | None = None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    probe: str
    kind: str
    check: Check
    outcome: Outcome
    latency_ms: float | None
    detail: str
    at: datetime  # UTC, aware
    metrics: dict[str, float] = field(default_factory=dict)
    # The target asked us to wait (HTTP 429 Retry-After): the engine does not re-poll sooner.
    retry_after_s: float | None = None
    # What a check of several parts found wrong (``outcome`` and ``detail`` sum them up); empty
    # when the outcome and detail are the whole story.
    findings: tuple[Finding, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The DESIGN.md ``probe --json`` line."""
        from stratus_commander.clock import to_iso

        return {
            "probe": self.probe,
            "kind": self.kind,
            "check": self.check,
            "outcome": self.outcome.value,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "detail": self.detail,
            "at": to_iso(self.at),
        }


@dataclass(frozen=True, slots=True)
class StateChange:
    """The displayed state of a probe flipped (after the configured run of failures/successes)."""

    probe: str
    kind: str
    check: Check
    previous: Outcome | None
    current: Outcome
    at: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class ProbeState:
    """A probe's displayed state: the debounced outcome, since when, and the latest sample."""

    outcome: Outcome
    since: datetime
    last: ProbeResult

    @property
    def probe(self) -> str:
        return self.last.probe

    @property
    def kind(self) -> str:
        return self.last.kind

    @property
    def check(self) -> Check:
        return self.last.check


@dataclass
class CheckContext:
    """What a check gets: the shared client, a secret resolver and the clock."""

    client: httpx.AsyncClient
    resolve_secret: Callable[[str], str | None]  # "env:X"/"keyring:S/N" -> value, None if missing
    now: Callable[[], datetime]
    max_body_bytes: int = 1024 * 1024


def make_result(
    spec: ProbeSpec,
    ctx: CheckContext,
    outcome: Outcome,
    detail: str,
    *,
    latency_ms: float | None = None,
    metrics: dict[str, float] | None = None,
    retry_after_s: float | None = None,
    findings: Iterable[Finding] = (),
) -> ProbeResult:
    """A result for ``spec`` stamped with the context's clock (what every kind returns)."""
    return ProbeResult(
        probe=spec.id,
        kind=spec.kind,
        check=spec.check,
        outcome=outcome,
        latency_ms=latency_ms,
        detail=detail,
        at=ctx.now(),
        metrics=metrics or {},
        retry_after_s=retry_after_s,
        findings=tuple(findings),
    )


def timed_result(
    spec: ProbeSpec,
    ctx: CheckContext,
    outcome: Outcome,
    detail: str,
    latency_ms: float | None,
    metrics: dict[str, float] | None = None,
) -> ProbeResult:
    """:func:`make_result` with the latency also among the metrics (the cockpit graphs it)."""
    timed = {} if latency_ms is None else {"latency_ms": latency_ms}
    return make_result(
        spec, ctx, outcome, detail, latency_ms=latency_ms, metrics={**timed, **(metrics or {})}
    )


def summarise_findings(findings: Iterable[Finding]) -> tuple[Outcome, str]:
    """The worst outcome and every finding's text, worst first, each said once (several reads can
    fail for one reason, an exhausted pool say); ``(UP, "")`` when there are none."""
    ranked = sorted(findings, key=lambda f: SEVERITY[f.outcome], reverse=True)
    if not ranked:
        return Outcome.UP, ""
    return ranked[0].outcome, "; ".join(dict.fromkeys(f.text for f in ranked))
