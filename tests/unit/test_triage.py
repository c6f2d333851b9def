"""Triage evidence: the four runbook groups in order, and the decision hint with its reason."""

from __future__ import annotations

from stratus_commander.probes.base import Finding, Outcome, ProbeResult, ProbeState
from stratus_commander.probes.checks import Check
from stratus_commander.probes.triage import group_evidence, hint
from tests.unit.probe_kit import T0

U, G, D, X = Outcome.UP, Outcome.DEGRADED, Outcome.DOWN, Outcome.UNKNOWN


def state(
    probe: str,
    check: Check,
    outcome: Outcome,
    detail: str = "",
    kind: str = "http",
    findings: tuple[Finding, ...] = (),
) -> ProbeState:
    result = ProbeResult(
        probe=probe,
        kind=kind,
        check=check,
        outcome=outcome,
        latency_ms=None,
        detail=detail or "; ".join(f.text for f in findings) or f"{probe} is {outcome.value}",
        at=T0,
        findings=findings,
    )
    return ProbeState(outcome=outcome, since=T0, last=result)


STRIPE_500 = Finding(
    D, "Stripe API HTTP 500 reading balance: An unknown error occurred", "provider"
)


def states(*items: ProbeState) -> dict[str, ProbeState]:
    return {s.probe: s for s in items}


def test_groups_follow_the_runbook_order_and_include_empty_ones() -> None:
    groups = group_evidence(
        states(
            state("stripe-status", "external", U),
            state("postgres", "database", D),
            state("api-health", "api", U),
            state("supabase-status", "external", G),
        )
    )
    assert [g.check for g in groups] == ["api", "webhooks", "database", "external"]
    assert [g.title for g in groups] == [
        "API health",
        "Webhook status",
        "Database connectivity",
        "External dependencies",
    ]
    assert [[s.probe for s in g.states] for g in groups] == [
        ["api-health"],
        [],
        ["postgres"],
        ["stripe-status", "supabase-status"],  # the given order is kept within a group
    ]
    assert [g.outcome for g in groups] == [U, None, D, G]


def test_group_outcome_ranks_unknown_between_degraded_and_up() -> None:
    (api, *_) = group_evidence([state("a", "api", U), state("b", "api", X)])
    assert api.outcome is X
    (api, *_) = group_evidence([state("a", "api", G), state("b", "api", X)])
    assert api.outcome is G


def test_own_checks_failing_with_providers_up_is_internal() -> None:
    proposed = hint(
        group_evidence(
            [
                state("api-health", "api", D, "HTTP 503 (expected 200)"),
                state("webhook-sig", "webhooks", U),
                state("stripe-status", "external", U),
            ]
        )
    )
    assert proposed.decision == "internal"
    assert proposed.reason == (
        "Our own checks fail — API health: api-health down (HTTP 503 (expected 200)). "
        "Every provider probe is up."
    )


def test_internal_says_when_providers_could_not_be_read_or_are_not_probed() -> None:
    unread = hint(
        group_evidence([state("db", "database", D), state("stripe-status", "external", X)])
    )
    assert unread.decision == "internal"
    assert "stripe-status could not be read" in unread.reason

    unprobed = hint(group_evidence([state("db", "database", G)]))
    assert unprobed.decision == "internal"
    assert "No provider is probed" in unprobed.reason


def test_a_provider_in_trouble_is_external_even_with_own_checks_failing() -> None:
    proposed = hint(
        group_evidence(
            [
                state("api-health", "api", D, "HTTP 502"),
                state("stripe-status", "external", G, "Stripe degraded; api degraded"),
                state("supabase-status", "external", U),
            ]
        )
    )
    assert proposed.decision == "external"
    assert proposed.reason.startswith(
        "A provider reports trouble — External dependencies: stripe-status degraded "
        "(Stripe degraded; api degraded)."
    )
    assert "Our own checks fail too, likely as a consequence: API health: api-health down" in (
        proposed.reason
    )


def test_nothing_failing_is_unknown() -> None:
    proposed = hint(group_evidence([state("api", "api", U), state("stripe", "external", U)]))
    assert proposed.decision == "unknown"
    assert "Nothing probed is failing" in proposed.reason
    assert "escalate" in proposed.reason


def test_nothing_could_run_is_unknown() -> None:
    proposed = hint(group_evidence([state("api", "api", X), state("stripe", "external", X)]))
    assert proposed.decision == "unknown"
    assert proposed.reason.startswith("No probe could run (api, stripe)")


def test_no_evidence_is_unknown() -> None:
    proposed = hint(group_evidence({}))
    assert proposed.decision == "unknown"
    assert proposed.reason.startswith("No probe evidence")


def test_long_details_are_shortened_in_the_reason() -> None:
    proposed = hint(group_evidence([state("api", "api", D, "x" * 500)]))
    assert "x" * 79 + "…" in proposed.reason
    assert "x" * 81 not in proposed.reason


def test_a_down_outside_monitor_is_evidence_against_us_not_a_provider() -> None:
    groups = group_evidence(
        states(
            state("api-health", "api", D, "HTTP 503"),
            state("stripe-status", "external", U),
            state("uptimerobot", "external", D, "API monitor down", kind="uptimerobot"),
        )
    )
    decided = hint(groups)
    assert decided.decision == "internal"
    assert "uptimerobot down" in decided.reason
    # The panel still shows it under external dependencies, where the runbook lists it.
    assert [s.probe for s in groups[3].states] == ["stripe-status", "uptimerobot"]


def test_only_the_outside_monitor_down_still_points_at_us() -> None:
    decided = hint(
        group_evidence(
            states(
                state("api-health", "api", U),
                state("uptimerobot", "external", D, kind="uptimerobot"),
            )
        )
    )
    assert decided.decision == "internal"


def test_a_providers_own_api_failing_is_external_before_its_status_page_says_so() -> None:
    """The drill's first minute: Stripe answers 500 api_error, status.stripe.com is still green,
    and our /api/health is down because it depends on Stripe."""
    decided = hint(
        group_evidence(
            [
                state("api-health", "api", D, "HTTP 200: status is 'degraded' (expected 'ok')"),
                state("stripe-api", "webhooks", D, kind="stripe", findings=(STRIPE_500,)),
                state("stripe-status", "external", U),
            ]
        )
    )
    assert decided.decision == "external"
    assert decided.reason.startswith(
        "A provider reports trouble — Webhook status: stripe-api down "
        "(Stripe API HTTP 500 reading balance: An unknown error occurred)."
    )
    assert "Our own checks fail too, likely as a consequence: API health: api-health down" in (
        decided.reason
    )


def test_one_probe_can_point_at_the_provider_and_at_us() -> None:
    disabled = Finding(D, "webhook endpoint we_1 (https://example.test/hook) is disabled", "ours")
    decided = hint(
        group_evidence(
            [state("stripe-api", "webhooks", D, kind="stripe", findings=(STRIPE_500, disabled))]
        )
    )
    assert decided.decision == "external"
    provider, ours = decided.reason.split(" Our own checks fail too, likely as a consequence: ")
    assert "Stripe API HTTP 500" in provider and "is disabled" not in provider
    assert ours == (
        "Webhook status: stripe-api down "
        "(webhook endpoint we_1 (https://example.test/hook) is disabled)."
    )


def test_a_finding_that_points_at_us_counts_against_us_in_any_group() -> None:
    """A Stripe probe configured under external dependencies still blames us for our disabled
    webhook endpoint; its findings without a party follow the group (a provider's)."""
    disabled = Finding(D, "webhook endpoint we_1 (https://example.test/hook) is disabled", "ours")
    decided = hint(
        group_evidence([state("stripe", "external", D, kind="stripe", findings=(disabled,))])
    )
    assert decided.decision == "internal"
    assert decided.reason.startswith("Our own checks fail — External dependencies: stripe down")

    failed = Finding(G, "3 event(s) with failed webhook deliveries in the last 1 h")
    decided = hint(
        group_evidence([state("stripe", "external", G, kind="stripe", findings=(failed,))])
    )
    assert decided.decision == "external"


def test_a_sample_without_failing_findings_falls_back_to_its_group() -> None:
    # Only failing findings count: an unknown one (an account id not found) blames nobody.
    missing = Finding(X, "Connect account acct_1 not found", "ours")
    decided = hint(
        group_evidence([state("stripe-status", "external", D, "Stripe down", findings=(missing,))])
    )
    assert decided.decision == "external"
    assert "stripe-status down (Stripe down)" in decided.reason


def test_a_key_in_a_long_detail_is_redacted_before_it_is_cut() -> None:
    # Cut first at 80 characters, only "sk_live_" and 5 characters would remain: too short for
    # the redaction pattern, so they would be shown.
    leaked = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv"
    decided = hint(group_evidence([state("api", "api", D, "x" * 65 + " " + leaked)]))
    assert leaked[8:13] not in decided.reason
    assert "sk_live_[" in decided.reason
