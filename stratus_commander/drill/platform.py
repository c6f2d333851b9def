"""StratusConnect itself, as the drill fakes it: ``/api/health`` and the Stripe webhook endpoint."""

from __future__ import annotations

import json
import threading
from typing import Any

from stratus_commander.clock import to_iso
from stratus_commander.drill.config import ENV_WHSEC
from stratus_commander.drill.faults import (
    ApiDown,
    ApiErrors,
    ApiSlow,
    DbPoolExhausted,
    DbSlow,
    StripeApi5xx,
    StripeApiSlow,
    SupabaseDown,
    Webhook5xx,
)
from stratus_commander.drill.inventory import PLATFORM_VERSION
from stratus_commander.drill.routing import Request, Response, World, json_response, text_response

#: Stripe's own default: a signature older than this is a replay.
WEBHOOK_TOLERANCE_S = 300


class Platform:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors_seen = 0  # API requests under api_errors, to spread 500s evenly

    def handle(self, request: Request, world: World) -> Response:
        faults = world.faults
        slow = faults.first(ApiSlow)
        delay = slow.ms if slow else 0
        if faults.first(ApiDown):
            return text_response(503, "no healthy upstream", delay_ms=delay)
        route = (request.method, request.path)
        if route == ("GET", "/api/health"):
            return self._health(world, delay)
        if request.path == "/webhooks/stripe":
            if request.method != "POST":
                return json_response(405, {"error": "method not allowed"}, delay_ms=delay)
            return _webhook(request, world, delay)
        return json_response(404, {"error": f"no route {request.path}"}, delay_ms=delay)

    def _health(self, world: World, delay: int) -> Response:
        faults = world.faults
        db_slow = faults.first(DbSlow)
        delay += db_slow.ms if db_slow else 0  # the health check runs a query
        errors = faults.first(ApiErrors)
        if errors and self._next_fails(errors.rate):
            return json_response(500, {"error": "Internal Server Error"}, delay_ms=delay)
        if faults.first(DbPoolExhausted) or faults.first(SupabaseDown):
            database = "down"
        else:
            database = "slow" if db_slow else "ok"
        if faults.first(StripeApi5xx):
            stripe = "down"
        else:
            stripe = "degraded" if faults.first(StripeApiSlow) else "ok"
        checks = {"api": "errors" if errors else "ok", "database": database, "stripe": stripe}
        if database == "down":
            status = "down"  # no booking or payment can be served without the database
        else:
            status = "ok" if all(v == "ok" for v in checks.values()) else "degraded"
        body = {
            "status": status,
            "checks": checks,
            "version": PLATFORM_VERSION,
            "time": to_iso(world.now),
        }
        return json_response(503 if status == "down" else 200, body, delay_ms=delay)

    def _next_fails(self, rate: float) -> bool:
        """Deterministic share: the n-th request fails when floor(n * rate) steps up."""
        per_mille = round(rate * 1000)
        with self._lock:
            n = self._errors_seen
            self._errors_seen += 1
        return (n + 1) * per_mille // 1000 > n * per_mille // 1000


def _webhook(request: Request, world: World, delay: int) -> Response:
    """Verify like a real handler (signature first), then process."""
    from stripe import SignatureVerificationError, WebhookSignature

    def reject(reason: str) -> Response:
        return json_response(400, {"error": reason}, delay_ms=delay)

    try:
        payload = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return reject("payload is not UTF-8")
    header = request.header("Stripe-Signature")
    try:
        # Tolerance is checked below against the drill's clock (injected), not the wall clock.
        WebhookSignature.verify_header(payload, header, world.secrets[ENV_WHSEC], tolerance=None)
    except SignatureVerificationError as exc:
        return reject(str(exc.user_message or exc))
    timestamp = _signature_timestamp(header or "")
    if timestamp < world.now.timestamp() - WEBHOOK_TOLERANCE_S:
        return reject(f"Timestamp outside the tolerance zone ({timestamp})")
    try:
        event: Any = json.loads(payload)
    except ValueError:
        return reject("payload is not JSON")
    if world.faults.first(Webhook5xx):
        return json_response(
            500, {"error": "webhook handler failed: booking update raised"}, delay_ms=delay
        )
    event_id = event.get("id") if isinstance(event, dict) else None
    return json_response(200, {"received": True, "id": event_id}, delay_ms=delay)


def _signature_timestamp(header: str) -> int:
    # verify_header has already parsed this header, so the ``t=`` item is there.
    for item in header.split(","):
        name, _, value = item.partition("=")
        if name.strip() == "t":
            return int(value)
    raise ValueError("no t= in Stripe-Signature")
