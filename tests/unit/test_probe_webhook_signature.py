"""The webhook-signature probe against endpoints that verify (with the Stripe SDK's own verifier),
don't verify, use the wrong secret, ignore timestamps, crash, or cannot be reached."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
import stripe
from pydantic import ValidationError

from stratus_commander.probes import webhook_signature
from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult
from stratus_commander.secrets import redact

WHSEC = "whsec_3Qx9TestSigningSecretNotReal0000aaaaBBBB"  # shaped like one, not one
URL = "https://stratusconnect.test/api/webhooks/stripe"


def respond(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


class Endpoint:
    """The platform's webhook handler: verifies like ``stripe.Webhook.construct_event`` would."""

    def __init__(
        self, secret: str = WHSEC, verify: bool = True, tolerance: int | None = 300
    ) -> None:
        self.secret, self.verify, self.tolerance = secret, verify, tolerance
        self.deliveries: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.deliveries.append(request)
        payload = request.content.decode()
        if self.verify:
            try:
                stripe.WebhookSignature.verify_header(
                    payload, request.headers.get("stripe-signature"), self.secret, self.tolerance
                )
            except stripe.SignatureVerificationError as exc:
                return respond(400, {"error": f"Webhook signature verification failed: {exc}"})
        event = json.loads(payload)
        return respond(200, {"received": True, "id": event["id"]})


def make_spec(**keys: object) -> webhook_signature.Spec:
    fields: dict[str, object] = {
        "id": "webhook-sig",
        "kind": "webhook-signature",
        "check": "webhooks",
        "url": URL,
        "secret": "env:STRIPE_WEBHOOK_SECRET",
    }
    return webhook_signature.Spec.model_validate(fields | keys)


async def run(
    handler: Callable[[httpx.Request], httpx.Response],
    secrets: dict[str, str] | None = None,
    **keys: object,
) -> ProbeResult:
    secrets = {"env:STRIPE_WEBHOOK_SECRET": WHSEC} if secrets is None else secrets
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        # The endpoint checks timestamps against its real clock, so the probe's clock is real too.
        ctx = CheckContext(client=client, resolve_secret=secrets.get, now=lambda: datetime.now(UTC))
        return await webhook_signature.check(make_spec(**keys), ctx)


@pytest.mark.asyncio
async def test_verifying_endpoint_is_up_and_got_a_realistic_signed_event() -> None:
    endpoint = Endpoint()
    result = await run(endpoint)
    assert result.outcome is Outcome.UP, result.detail
    assert result.detail == "ok: signed event 200, tampered 400, replay 400"
    assert result.metrics == {"valid_status": 200, "tampered_status": 400, "replay_status": 400}

    valid, tampered, replay = endpoint.deliveries
    event = json.loads(valid.content)
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["type"] == "payment_intent.succeeded" and event["livemode"] is False
    assert event["data"]["object"]["id"].startswith("pi_")
    assert valid.headers["content-type"].startswith("application/json")
    # The tampered copy differs from the signed payload but carries its signature.
    assert tampered.headers["stripe-signature"] == valid.headers["stripe-signature"]
    assert tampered.content != valid.content
    assert replay.headers["stripe-signature"] != valid.headers["stripe-signature"]
    assert WHSEC not in result.detail


@pytest.mark.asyncio
async def test_endpoint_that_does_not_verify_is_down_not_enforced() -> None:
    result = await run(Endpoint(verify=False))
    assert result.outcome is Outcome.DOWN
    assert result.detail == (
        "signature validation NOT enforced: a tampered event was accepted (HTTP 200)"
    )


@pytest.mark.asyncio
async def test_endpoint_with_another_secret_rejects_valid_events_and_is_down() -> None:
    result = await run(Endpoint(secret="whsec_RotatedSecretNotReal1111ccccDDDD"))
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith(
        "endpoint rejects correctly signed events (HTTP 400: "
        '{"error":"Webhook signature verification failed: No signatures found matching'
    )
    assert result.detail.endswith("is the whsec_ secret current?")


@pytest.mark.asyncio
async def test_endpoint_ignoring_the_timestamp_is_degraded_replays_accepted() -> None:
    result = await run(Endpoint(tolerance=None))
    assert result.outcome is Outcome.DEGRADED
    assert result.detail == (
        "a correctly signed event 360 s old was accepted (HTTP 200): "
        "timestamp tolerance not enforced"
    )
    # With the replay test switched off the same endpoint passes.
    endpoint = Endpoint(tolerance=None)
    result = await run(endpoint, tolerance=0)
    assert result.outcome is Outcome.UP
    assert len(endpoint.deliveries) == 2


@pytest.mark.asyncio
async def test_endpoint_crashing_on_a_bad_signature_is_degraded() -> None:
    verifying = Endpoint()

    def crashes_on_bad(request: httpx.Request) -> httpx.Response:
        answer = verifying(request)
        return (
            respond(500, {"error": "Internal Server Error"})
            if answer.status_code == 400
            else answer
        )

    result = await run(crashes_on_bad)
    assert result.outcome is Outcome.DEGRADED
    assert result.detail.startswith("tampered event answered HTTP 500 instead of 4xx")


@pytest.mark.asyncio
async def test_endpoint_failing_valid_events_is_down() -> None:
    result = await run(lambda request: respond(503, {"message": "database unavailable"}))
    assert result.outcome is Outcome.DOWN
    assert result.detail == (
        'endpoint failed a correctly signed event (HTTP 503: {"message":"database unavailable"})'
    )


@pytest.mark.asyncio
async def test_redirect_is_not_followed_like_stripe() -> None:
    endpoint = Endpoint()

    def moved(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/webhooks/stripe":
            return respond(308, {}, headers={"Location": "https://stratusconnect.test/v2/hook"})
        return endpoint(request)

    result = await run(moved)
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("endpoint failed a correctly signed event (HTTP 308")
    assert endpoint.deliveries == []


@pytest.mark.asyncio
async def test_custom_expected_status_range() -> None:
    def accepted(request: httpx.Request) -> httpx.Response:
        answer = Endpoint()(request)
        return respond(202, {}) if answer.status_code == 200 else answer

    assert (await run(accepted, expect_valid=[202, 202])).outcome is Outcome.UP
    assert (await run(accepted, expect_valid=[200, 200])).outcome is Outcome.DOWN


class Flood(httpx.AsyncByteStream):
    """A 100 MiB reply, produced only as far as it is read."""

    def __init__(self) -> None:
        self.chunks_read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(100):
            self.chunks_read += 1
            yield b"x" * (1024 * 1024)


@pytest.mark.asyncio
async def test_huge_reply_is_not_read_past_a_snippet() -> None:
    floods: list[Flood] = []

    def flooding(request: httpx.Request) -> httpx.Response:
        floods.append(Flood())
        return httpx.Response(500, stream=floods[-1])

    result = await run(flooding)
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("endpoint failed a correctly signed event (HTTP 500: xxx")
    assert len(result.detail) < 200
    assert [f.chunks_read for f in floods] == [1, 1, 1]


@pytest.mark.asyncio
async def test_unreachable_endpoint_is_down() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = await run(refuse)
    assert result.outcome is Outcome.DOWN
    assert result.detail == "webhook endpoint unreachable: connection refused"


@pytest.mark.asyncio
async def test_missing_secret_is_unknown_and_nothing_is_posted() -> None:
    endpoint = Endpoint()
    result = await run(endpoint, secrets={})
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "credential env:STRIPE_WEBHOOK_SECRET not set"
    assert endpoint.deliveries == []


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"expect_valid": [299, 200]}, "is not an HTTP status range"),
        ({"expect_valid": [200]}, "expect_valid"),
        ({"url": "not a url"}, "http:// or https://"),
        ({"tolerance": -1}, "greater than or equal to 0"),
    ],
)
def test_bad_config_is_refused(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_spec(**keys)


LEAKED = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv"  # a key the handler echoes by mistake


@pytest.mark.asyncio
async def test_a_key_in_the_reply_is_redacted_before_the_snippet_is_cut() -> None:
    # The snippet keeps 120 characters; cut first, "sk_live_" and 6 characters of the key would
    # remain: too short for the redaction pattern, so they would be shown.
    body = ("x" * 105 + " " + LEAKED).encode()
    result = await run(lambda request: httpx.Response(500, content=body))
    assert result.outcome is Outcome.DOWN
    assert LEAKED[8:14] not in redact(result.detail)  # as the engine would show it
    assert "sk_live_[RED" in result.detail


@pytest.mark.asyncio
async def test_a_key_cut_by_the_read_limit_is_not_shown() -> None:
    # Only the first 2 KiB are read: a key starting just before that is cut with 5 characters
    # left, which no pattern can recognise. After the spaces collapse, it would be shown.
    body = (" " * 2035 + LEAKED + " and more").encode()
    result = await run(lambda request: httpx.Response(500, content=body))
    assert result.outcome is Outcome.DOWN
    assert LEAKED[8:13] not in redact(result.detail)
    assert result.detail.startswith("endpoint failed a correctly signed event (HTTP 500: …")
