"""``webhook-signature`` probe: does our Stripe webhook endpoint verify signatures?

The runbook's "verify webhook signature validation" and "test webhook endpoint manually", done
the way Stripe does them. Each check POSTs to ``url``:

1. a synthetic ``payment_intent.succeeded`` event (test mode, ``livemode: false``, metadata
   ``stratus_probe``) signed with the configured ``whsec_`` secret by the SDK's own
   ``WebhookSignature.generate_signature_header`` — it must be answered within ``expect_valid``
   (2xx by default), or the endpoint "rejects correctly signed events" (``down``);
2. a tampered copy (the amount changed after signing): it must be answered 4xx, or "signature
   validation NOT enforced" (``down``; a 5xx there is ``degraded``: Stripe would retry it);
3. unless ``tolerance`` is 0, a correctly signed event stamped older than ``tolerance`` seconds
   (Stripe's default 300): a 2xx means replays are accepted (``degraded``).

Like Stripe, the probe does not follow redirects: a 3xx is a failed delivery.
"""

from __future__ import annotations

import json
import re
import secrets as random_ids
import time
from typing import Any, Literal

import httpx
from pydantic import Field, field_validator

from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult, make_result
from stratus_commander.probes.fetch import HttpURL, describe_http_error
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import missing_credential, redact

# What Stripe's webhook sender calls itself; some platforms filter on it.
_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks) stratus-commander-probe"
_SNIPPET_BYTES = 2048  # of a response body: enough for a reason, never a flood
_SNIPPET_CHARS = 120
# The lookbehind starts a try only at a word's start: without it, a long run is scanned again
# from each of its characters (quadratic in a 2 KiB snippet).
_LAST_WORD = re.compile(r"(?<!\S)\S+\Z")
# Longer than any key we redact (a Supabase JWT is a few hundred characters).
_LONGEST_SECRET = 1024


class Spec(ProbeSpec):
    kind: Literal["webhook-signature"]
    url: HttpURL
    secret: str = Field(min_length=1)  # a secret reference to the endpoint's whsec_ secret
    expect_valid: tuple[int, int] = (200, 299)  # inclusive status range for the signed event
    # The endpoint's timestamp tolerance in seconds (Stripe's default); 0 skips the replay test.
    tolerance: int = Field(default=300, ge=0)

    @field_validator("expect_valid")
    @classmethod
    def _status_range(cls, bounds: tuple[int, int]) -> tuple[int, int]:
        low, high = bounds
        if not 100 <= low <= high <= 599:
            raise ValueError(f"[{low}, {high}] is not an HTTP status range [low, high]")
        return bounds


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    whsec = ctx.resolve_secret(spec.secret)
    if whsec is None:
        return make_result(spec, ctx, Outcome.UNKNOWN, missing_credential(spec.secret))

    import stripe

    now = int(ctx.now().timestamp())
    event = synthetic_event(now)
    payload = _encode(event)
    signed = stripe.WebhookSignature.generate_signature_header(payload, whsec, timestamp=now)
    tampered_event = json.loads(payload)
    tampered_event["data"]["object"]["amount_received"] += 100_00
    tampered = _encode(tampered_event)  # sent with the original event's signature

    started = time.perf_counter()
    try:
        valid_status, valid_body = await _post(ctx, spec.url, payload, signed)
        latency_ms = (time.perf_counter() - started) * 1000
        tampered_status, tampered_body = await _post(ctx, spec.url, tampered, signed)
        replay_status: int | None = None
        if spec.tolerance:
            # A fresh event id: an endpoint that dedupes by id must still judge the timestamp.
            stale = now - spec.tolerance - 60
            replayed = _encode(synthetic_event(stale))
            stale_header = stripe.WebhookSignature.generate_signature_header(
                replayed, whsec, timestamp=stale
            )
            replay_status, _ = await _post(ctx, spec.url, replayed, stale_header)
    except httpx.HTTPError as exc:
        return make_result(
            spec,
            ctx,
            Outcome.DOWN,
            f"webhook endpoint unreachable: {describe_http_error(exc)}",
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    metrics = {"valid_status": float(valid_status), "tampered_status": float(tampered_status)}
    if replay_status is not None:
        metrics["replay_status"] = float(replay_status)
    low, high = spec.expect_valid

    def result(outcome: Outcome, detail: str) -> ProbeResult:
        return make_result(spec, ctx, outcome, detail, latency_ms=latency_ms, metrics=metrics)

    if 200 <= tampered_status < 300:
        return result(
            Outcome.DOWN,
            f"signature validation NOT enforced: a tampered event was accepted "
            f"(HTTP {tampered_status})",
        )
    if not low <= valid_status <= high:
        if 400 <= valid_status < 500:
            return result(
                Outcome.DOWN,
                f"endpoint rejects correctly signed events (HTTP {valid_status}: {valid_body}) — "
                "is the whsec_ secret current?",
            )
        return result(
            Outcome.DOWN,
            f"endpoint failed a correctly signed event (HTTP {valid_status}: {valid_body})",
        )
    if not 400 <= tampered_status < 500:
        return result(
            Outcome.DEGRADED,
            f"tampered event answered HTTP {tampered_status} instead of 4xx "
            f"({tampered_body}): Stripe would retry it",
        )
    if replay_status is not None and 200 <= replay_status < 300:
        return result(
            Outcome.DEGRADED,
            f"a correctly signed event {spec.tolerance + 60} s old was accepted "
            f"(HTTP {replay_status}): timestamp tolerance not enforced",
        )
    replay = f", replay {replay_status}" if replay_status is not None else ""
    return result(
        Outcome.UP,
        f"ok: signed event {valid_status}, tampered {tampered_status}{replay}",
    )


def synthetic_event(created: int) -> dict[str, Any]:
    """A realistic test-mode ``payment_intent.succeeded`` event, marked as the probe's own."""
    suffix = random_ids.token_hex(12)
    return {
        "id": f"evt_{suffix}",
        "object": "event",
        "api_version": "2025-10-29.clover",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": f"pi_{suffix}",
                "object": "payment_intent",
                "amount": 125_00,
                "amount_received": 125_00,
                "currency": "gbp",
                "status": "succeeded",
                "livemode": False,
                "created": created,
                "metadata": {"stratus_probe": "synthetic signature check; ignore"},
            }
        },
    }


def _encode(event: dict[str, Any]) -> str:
    # Stripe signs the exact bytes it sends; so do we (pretty-printed, as Stripe sends them).
    return json.dumps(event, indent=2)


async def _post(ctx: CheckContext, url: str, payload: str, signature: str) -> tuple[int, str]:
    """POST one delivery; its status and the start of its body (never more than a few KiB)."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature,
        "User-Agent": _USER_AGENT,
        # Raw bytes only: a compressed reply could expand without bound before we cut it.
        "Accept-Encoding": "identity",
    }
    request = ctx.client.build_request("POST", url, content=payload.encode(), headers=headers)
    response = await ctx.client.send(request, stream=True, follow_redirects=False)
    try:
        # One byte past the snippet tells whether the body goes on.
        if response.is_stream_consumed:  # a body handed over in memory (httpx.MockTransport)
            head = response.content[: _SNIPPET_BYTES + 1]
        else:
            head = b""
            async for chunk in response.aiter_raw():
                head += chunk
                if len(head) > _SNIPPET_BYTES:
                    break
    finally:
        await response.aclose()
    return response.status_code, _snippet(head)


def _snippet(head: bytes) -> str:
    """The start of a reply on one line, redacted before it is cut (a key cut in half would no
    longer match the redaction patterns)."""
    text = head[:_SNIPPET_BYTES].decode("utf-8", errors="replace")
    cut = len(head) > _SNIPPET_BYTES
    last = _LAST_WORD.search(text) if cut else None
    # The read stopped mid-body: the last word may be the start of a key whose rest was never
    # read, too short to be recognised (keys hold no spaces). Drop it, unless it is so long that
    # no key starting in the text shown could reach the cut (a flood of one token still shows).
    if last and len(last.group()) < _LONGEST_SECRET + _SNIPPET_CHARS:
        text = text[: last.start()]
    text = " ".join(redact(text).split())
    if cut or len(text) > _SNIPPET_CHARS:
        return text[:_SNIPPET_CHARS] + "…"
    return text or "(empty body)"
