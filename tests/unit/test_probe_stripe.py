"""The stripe probe through the real SDK, with Stripe's API played by an httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from stratus_commander.probes import stripe as stripe_probe
from stratus_commander.probes.base import CheckContext, Finding, Outcome, ProbeResult
from stratus_commander.secrets import redact

NOW = datetime(2026, 11, 27, 10, 51, 44, 123000, tzinfo=UTC)
KEY = "sk_test_51QxTestKeyNotReal0000aaaaBBBBccccDDDDeeeeFFFFgggg"  # shaped like one, not one
API = "https://api.stripe.test"


def event(n: int, kind: str = "payment_intent.succeeded") -> dict[str, Any]:
    return {
        "id": f"evt_3QxFailed{n:04d}",
        "object": "event",
        "type": kind,
        "created": int(NOW.timestamp()) - 60 * n,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": {"id": f"pi_3Qx{n:04d}", "object": "payment_intent"}},
    }


def endpoint(n: int, status: str = "enabled") -> dict[str, Any]:
    return {
        "id": f"we_1QxEndpoint{n}",
        "object": "webhook_endpoint",
        "url": f"https://stratusconnect.example/api/webhooks/stripe/{n}",
        "status": status,
        "enabled_events": ["payment_intent.succeeded"],
    }


def account(
    acct: str, charges: bool = True, payouts: bool = True, reason: str | None = None
) -> dict[str, Any]:
    return {
        "id": acct,
        "object": "account",
        "charges_enabled": charges,
        "payouts_enabled": payouts,
        "requirements": {"disabled_reason": reason, "past_due": []},
    }


def listing(url: str, data: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "url": url, "has_more": has_more, "data": data}


@dataclass
class FakeStripe:
    """Just enough of api.stripe.com: balance, webhook endpoints, events, accounts."""

    endpoints: list[dict[str, Any]] = field(default_factory=lambda: [endpoint(1), endpoint(2)])
    failed: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # path -> a canned response that replaces the normal answer
    broken: dict[str, httpx.Response] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path in self.broken:
            return self.broken[path]
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return stripe_error(401, "Invalid API Key provided: sk_test_****gggg")
        if path == "/v1/balance":
            return httpx.Response(200, json={"object": "balance", "available": [], "pending": []})
        if path == "/v1/webhook_endpoints":
            return httpx.Response(200, json=listing(path, self.endpoints))
        if path == "/v1/events":
            limit = int(request.url.params["limit"])
            data = self.failed[:limit]
            return httpx.Response(200, json=listing(path, data, len(self.failed) > limit))
        if path.startswith("/v1/accounts/"):
            acct = self.accounts.get(path.rsplit("/", 1)[1])
            if acct is None:
                return stripe_error(404, "No such account", code="resource_missing")
            return httpx.Response(200, json=acct)
        return stripe_error(404, f"Unrecognized request URL (GET: {path})")


def stripe_error(
    status: int, message: str, code: str | None = None, **headers: str
) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return httpx.Response(status, json=body, headers=headers)


def make_spec(**keys: object) -> stripe_probe.Spec:
    fields: dict[str, object] = {
        "id": "stripe",
        "kind": "stripe",
        "check": "webhooks",
        "api_key": "env:STRIPE_API_KEY",
        "api_base": API,
    }
    return stripe_probe.Spec.model_validate(fields | keys)


async def run(
    handler: Callable[[httpx.Request], httpx.Response],
    secrets: dict[str, str] | None = None,
    **keys: object,
) -> ProbeResult:
    secrets = {"env:STRIPE_API_KEY": KEY} if secrets is None else secrets
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        ctx = CheckContext(client=client, resolve_secret=secrets.get, now=lambda: NOW)
        return await stripe_probe.check(make_spec(**keys), ctx)


@pytest.mark.asyncio
async def test_healthy_account_is_up_and_asks_for_recent_failed_deliveries() -> None:
    fake = FakeStripe()
    result = await run(fake)
    assert result.outcome is Outcome.UP, result.detail
    assert result.detail.startswith("ok: API ")
    assert "2 webhook endpoint(s) enabled, no failed deliveries in 1\u00a0h" in result.detail
    assert result.metrics["webhook_endpoints"] == 2
    assert result.metrics["failed_deliveries"] == 0
    assert result.latency_ms is not None and result.latency_ms > 0
    events = next(r for r in fake.requests if r.url.path == "/v1/events")
    assert events.url.params["delivery_success"] == "false"
    assert events.url.params["created[gte]"] == str(int(NOW.timestamp()) - 3600)
    assert {r.url.host for r in fake.requests} == {"api.stripe.test"}  # base_addresses honoured


@pytest.mark.asyncio
async def test_disabled_webhook_endpoint_is_down_naming_it() -> None:
    fake = FakeStripe(endpoints=[endpoint(1), endpoint(2, status="disabled")])
    result = await run(fake)
    assert result.outcome is Outcome.DOWN
    assert result.detail == (
        "webhook endpoint we_1QxEndpoint2 "
        "(https://stratusconnect.example/api/webhooks/stripe/2) is disabled"
    )
    assert result.metrics["webhook_endpoints_disabled"] == 1


@pytest.mark.asyncio
async def test_failed_deliveries_in_the_window_are_degraded_then_down() -> None:
    fake = FakeStripe(failed=[event(1), event(2, "charge.refunded"), event(3)])
    result = await run(fake)
    assert result.outcome is Outcome.DEGRADED
    assert result.detail == (
        "3 event(s) with failed webhook deliveries in the last 1\u00a0h "
        "(latest evt_3QxFailed0001 payment_intent.succeeded)"
    )
    assert result.metrics["failed_deliveries"] == 3

    result = await run(fake, failed_down=3, failed_window_s=1800)
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith(
        "3 event(s) with failed webhook deliveries in the last 30\u00a0min"
    )

    result = await run(fake, failed_down=2)
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("2+ event(s)")  # more exist; one page decides

    # Below the configured threshold it is not worth a flag.
    assert (await run(fake, failed_degraded=4, failed_down=10)).outcome is Outcome.UP


@pytest.mark.asyncio
async def test_connect_account_with_charges_disabled_is_down_with_stripes_reason() -> None:
    fake = FakeStripe(
        accounts={
            "acct_1QxOperatorA": account("acct_1QxOperatorA"),
            "acct_1QxOperatorB": account(
                "acct_1QxOperatorB", charges=False, payouts=False, reason="requirements.past_due"
            ),
        }
    )
    result = await run(fake, connect_accounts=["acct_1QxOperatorA", "acct_1QxOperatorB"])
    assert result.outcome is Outcome.DOWN
    assert result.detail == (
        "Connect account acct_1QxOperatorB: charges disabled (requirements.past_due); "
        "Connect account acct_1QxOperatorB: payouts disabled (requirements.past_due)"
    )


@pytest.mark.asyncio
async def test_connect_account_with_payouts_paused_is_degraded_and_unknown_id_is_named() -> None:
    fake = FakeStripe(accounts={"acct_1QxOperatorA": account("acct_1QxOperatorA", payouts=False)})
    result = await run(fake, connect_accounts=["acct_1QxOperatorA"], check_webhooks=False)
    assert result.outcome is Outcome.DEGRADED
    assert result.detail == "Connect account acct_1QxOperatorA: payouts disabled"

    result = await run(fake, connect_accounts=["acct_1QxGone"], check_webhooks=False)
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "Connect account acct_1QxGone not found"


@pytest.mark.asyncio
async def test_rejected_key_is_unknown_not_down_and_ends_the_check() -> None:
    fake = FakeStripe()
    result = await run(fake, secrets={"env:STRIPE_API_KEY": "sk_test_51QxRevokedKey0000"})
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "Stripe rejected the API key (401)"
    assert [r.url.path for r in fake.requests] == ["/v1/balance"]  # nothing else can be judged


@pytest.mark.asyncio
async def test_key_without_permission_is_unknown_and_ends_the_check() -> None:
    fake = FakeStripe(broken={"/v1/balance": stripe_error(403, "The provided key does not have")})
    result = await run(fake)
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "the API key may not read balance (403: restricted key?)"
    assert [r.url.path for r in fake.requests] == ["/v1/balance"]


@pytest.mark.asyncio
async def test_a_key_in_a_long_error_message_is_redacted_before_it_is_cut() -> None:
    # The message is cut at 160 characters; cut first, only "sk_live_" and 5 characters of the
    # key would remain: too short to match the redaction pattern, so they would be shown.
    leaked = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv"
    message = "x" * 145 + " " + leaked
    fake = FakeStripe(broken={"/v1/balance": stripe_error(400, message)})
    result = await run(fake)
    assert result.outcome is Outcome.DOWN
    assert leaked[8:13] not in redact(result.detail)  # as the engine would show it
    assert "sk_live_[RE" in result.detail


@pytest.mark.asyncio
async def test_missing_credential_is_unknown_and_nothing_is_sent() -> None:
    fake = FakeStripe()
    result = await run(fake, secrets={})
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "credential env:STRIPE_API_KEY not set"
    assert fake.requests == []


@pytest.mark.asyncio
async def test_server_error_is_down_and_points_to_stripe() -> None:
    fake = FakeStripe(broken={"/v1/balance": stripe_error(500, "An unknown error occurred")})
    result = await run(fake)
    assert result.outcome is Outcome.DOWN
    assert result.detail == "Stripe API HTTP 500 reading balance: An unknown error occurred"
    assert result.findings == (
        Finding(
            Outcome.DOWN,
            "Stripe API HTTP 500 reading balance: An unknown error occurred",
            "provider",
        ),
    )
    paths = [r.url.path for r in fake.requests]
    assert paths.count("/v1/balance") == 1  # no SDK retries of our own


@pytest.mark.asyncio
async def test_failing_balance_keeps_every_other_finding() -> None:
    """Stripe's API fails one read: the other reads still answer, and what they show is kept."""
    fake = FakeStripe(
        endpoints=[endpoint(1), endpoint(2, status="disabled")],
        failed=[event(1), event(2)],
        accounts={
            "acct_1QxOperatorA": account(
                "acct_1QxOperatorA", charges=False, reason="requirements.past_due"
            )
        },
        broken={"/v1/balance": stripe_error(500, "An unknown error occurred")},
    )
    result = await run(fake, connect_accounts=["acct_1QxOperatorA"])
    assert result.outcome is Outcome.DOWN
    assert result.detail.split("; ") == [
        "Stripe API HTTP 500 reading balance: An unknown error occurred",
        "webhook endpoint we_1QxEndpoint2 "
        "(https://stratusconnect.example/api/webhooks/stripe/2) is disabled",
        "Connect account acct_1QxOperatorA: charges disabled (requirements.past_due)",
        "2 event(s) with failed webhook deliveries in the last 1\u00a0h "
        "(latest evt_3QxFailed0001 payment_intent.succeeded)",
    ]
    assert result.metrics["webhook_endpoints_disabled"] == 1
    assert result.metrics["failed_deliveries"] == 2
    # Whose fault each says: Stripe's API is Stripe's; a disabled endpoint or account is ours;
    # failed deliveries could be either (the check group decides).
    assert {f.text.split(" ")[0]: f.points_to for f in result.findings} == {
        "Stripe": "provider",
        "webhook": "ours",
        "Connect": "ours",
        "2": None,
    }


@pytest.mark.asyncio
async def test_one_failure_on_every_call_is_said_once_naming_each_call() -> None:
    fake = FakeStripe(accounts={"acct_1QxOperatorA": account("acct_1QxOperatorA")})
    error = stripe_error(500, "An unknown error occurred")
    fake.broken = {
        path: error
        for path in (
            "/v1/balance",
            "/v1/webhook_endpoints",
            "/v1/events",
            "/v1/accounts/acct_1QxOperatorA",
        )
    }
    result = await run(fake, connect_accounts=["acct_1QxOperatorA"])
    assert result.outcome is Outcome.DOWN
    assert result.detail == (
        "Stripe API HTTP 500 reading balance, webhook endpoints, events and account "
        "acct_1QxOperatorA: An unknown error occurred"
    )
    assert [f.points_to for f in result.findings] == ["provider"]


@pytest.mark.asyncio
async def test_rate_limits_on_several_calls_wait_for_the_longest_retry_after() -> None:
    def limited(wait: str) -> httpx.Response:
        return stripe_error(429, "Too many requests", code="rate_limit", **{"Retry-After": wait})

    fake = FakeStripe(
        endpoints=[endpoint(1, status="disabled")],
        broken={"/v1/balance": limited("3"), "/v1/events": limited("9")},
    )
    result = await run(fake)
    assert result.outcome is Outcome.DOWN  # the disabled endpoint, found despite the 429s
    assert result.detail.split("; ") == [
        "webhook endpoint we_1QxEndpoint1 "
        "(https://stratusconnect.example/api/webhooks/stripe/1) is disabled",
        "rate limited by Stripe (429) reading balance and events",
    ]
    assert result.retry_after_s == 9


@pytest.mark.asyncio
async def test_error_on_a_later_call_is_down_and_keeps_the_other_findings() -> None:
    fake = FakeStripe(
        endpoints=[endpoint(1, status="disabled")],
        broken={"/v1/events": httpx.Response(502, text="<html>Bad gateway</html>")},
    )
    result = await run(fake)
    assert result.outcome is Outcome.DOWN
    first, second = result.detail.split("; ")
    assert first.startswith("webhook endpoint we_1QxEndpoint1 (")
    assert second.startswith("Stripe API HTTP 502 reading events: ")


@pytest.mark.asyncio
async def test_rate_limit_on_a_later_call_is_degraded_with_retry_after() -> None:
    limited = stripe_error(429, "Too many requests", code="rate_limit", **{"Retry-After": "3"})
    result = await run(FakeStripe(broken={"/v1/events": limited}))
    assert result.outcome is Outcome.DEGRADED
    assert result.detail == "rate limited by Stripe (429) reading events"
    assert result.retry_after_s == 3


@pytest.mark.asyncio
async def test_rate_limit_is_degraded_and_carries_retry_after() -> None:
    limited = stripe_error(429, "Too many requests", code="rate_limit", **{"Retry-After": "7"})
    result = await run(FakeStripe(broken={"/v1/balance": limited}))
    assert result.outcome is Outcome.DEGRADED
    assert result.detail == "rate limited by Stripe (429) reading balance"
    assert result.retry_after_s == 7


@pytest.mark.asyncio
async def test_unreachable_api_is_down() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = await run(refuse)
    assert result.outcome is Outcome.DOWN
    assert result.detail == "cannot reach Stripe: connection refused"


@pytest.mark.asyncio
async def test_invalid_json_and_oversized_bodies_are_down() -> None:
    garbage = httpx.Response(200, text="<html>captive portal</html>")
    result = await run(FakeStripe(broken={"/v1/balance": garbage}))
    assert result.outcome is Outcome.DOWN
    assert "balance" in result.detail

    huge = httpx.Response(200, content=b"[" + b" " * (2 * 1024 * 1024) + b"]")
    result = await run(FakeStripe(broken={"/v1/balance": huge}))
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("cannot reach Stripe: body larger than 1 MiB")


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"connect_accounts": ["cus_123"]}, "is not a Stripe account id"),
        ({"failed_degraded": 30, "failed_down": 25}, "must not exceed failed_down"),
        ({"api_base": "ftp://api.stripe.com"}, "http:// or https://"),
        ({"failed_window_s": 0}, "greater than 0"),
    ],
)
def test_bad_config_is_refused(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_spec(**keys)


def test_sdks_are_not_imported_with_the_kind_modules() -> None:
    """stripe and psycopg cost start-up time: a kind module imports them on its first check."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import stratus_commander.probes.stripe, stratus_commander.probes.webhook_signature\n"
        "import stratus_commander.probes.supabase, stratus_commander.probes.postgres\n"
        "print(sorted({'stripe', 'psycopg'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
