"""The Stripe API subset the ``stripe`` probe reads, served under ``/stripe``.

Objects start from ``resources/drills/stripe-objects.json`` (the example objects of Stripe's own
API simulator, stripe-mock, MIT licence) so their shapes match what the official SDK parses.
Paths: ``GET /v1/balance``, ``/v1/webhook_endpoints``, ``/v1/events`` (``delivery_success``,
``created[gte|gt|lte|lt]``, ``limit``), ``/v1/accounts/{id}``, ``POST``/``GET
/v1/payment_intents[/{id}]``. Every call needs ``Authorization: Bearer <the drill's key>``.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from stratus_commander.drill.config import ENV_STRIPE_KEY
from stratus_commander.drill.faults import (
    StripeApi5xx,
    StripeApiSlow,
    WebhookEndpointDisabled,
    WebhookFailedDeliveries,
)
from stratus_commander.drill.inventory import CONNECT_ACCOUNT, WEBHOOK_ENDPOINT_ID
from stratus_commander.drill.routing import Request, Response, World, json_response
from stratus_commander.resources import resource_path

_DELIVERED_EVENTS = 3  # calm history: a few events Stripe delivered fine
_CURRENCY = "gbp"


class StripeError(Exception):
    """Answered as Stripe's error JSON: ``{"error": {"type", "message", ...}}``."""

    def __init__(
        self, status: int, message: str, type_: str = "invalid_request_error", **extra: str
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type_, **extra}}


@cache
def _templates() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resource_path("drills", "stripe-objects.json").read_text(encoding="utf-8")
    )
    return data


def _template(kind: str) -> dict[str, Any]:
    return copy.deepcopy(_templates()[kind])


class StripeApi:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._payment_intents: dict[str, dict[str, Any]] = {}  # id -> object, creation order
        self._routes: dict[tuple[str, str], Callable[[Request, World, str], Any]] = {
            ("GET", "/v1/balance"): self._balance,
            ("GET", "/v1/webhook_endpoints"): self._webhook_endpoints,
            ("GET", "/v1/events"): self._events,
            ("GET", "/v1/accounts/"): self._account,
            ("GET", "/v1/payment_intents"): self._list_payment_intents,
            ("POST", "/v1/payment_intents"): self._create_payment_intent,
            ("GET", "/v1/payment_intents/"): self._payment_intent,
        }

    def handle(self, request: Request, world: World) -> Response:
        with self._lock:
            self._requests += 1
            request_id = f"req_Drill{self._requests:010d}"
        slow = world.faults.first(StripeApiSlow)
        delay = slow.ms if slow else 0
        headers: tuple[tuple[str, str], ...] = (("Request-Id", request_id),)
        try:
            if world.faults.first(StripeApi5xx):
                # Stripe marks most 500s not-to-retry; the SDK then fails at once.
                headers += (("Stripe-Should-Retry", "false"),)
                raise StripeError(500, "An unknown error occurred", "api_error")
            _authenticate(request, world.secrets[ENV_STRIPE_KEY])
            handler, arg = self._route(request)
            body = handler(request, world, arg)
        except StripeError as exc:
            return json_response(exc.status, exc.body, headers=headers, delay_ms=delay)
        return json_response(200, body, headers=headers, delay_ms=delay)

    def _route(self, request: Request) -> tuple[Callable[[Request, World, str], Any], str]:
        path = request.path.rstrip("/")
        exact = self._routes.get((request.method, path))
        if exact:
            return exact, ""
        prefix, _, object_id = path.rpartition("/")
        by_id = self._routes.get((request.method, prefix + "/"))
        if by_id and object_id:
            return by_id, object_id
        raise StripeError(
            404,
            f"Unrecognized request URL ({request.method}: {request.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )

    # --- objects --------------------------------------------------------------------------

    def _balance(self, request: Request, world: World, _: str) -> Any:
        balance = _template("balance")
        balance["available"] = [
            {"amount": 1284500, "currency": _CURRENCY, "source_types": {"card": 1284500}}
        ]
        balance["pending"] = [
            {"amount": 362000, "currency": _CURRENCY, "source_types": {"card": 362000}}
        ]
        balance["connect_reserved"] = [{"amount": 0, "currency": _CURRENCY}]
        return balance

    def _webhook_endpoints(self, request: Request, world: World, _: str) -> Any:
        endpoint = _template("webhook_endpoint")
        disabled = world.faults.first(WebhookEndpointDisabled)
        endpoint.update(
            id=WEBHOOK_ENDPOINT_ID,
            url=f"{world.base_url}/platform/webhooks/stripe",
            description="StratusConnect platform (drill)",
            enabled_events=[
                "payment_intent.succeeded",
                "payment_intent.payment_failed",
                "charge.refunded",
                "account.updated",
            ],
            status="disabled" if disabled else "enabled",
            api_version="2024-06-20",
        )
        return _page([endpoint], request, "/v1/webhook_endpoints")

    def _events(self, request: Request, world: World, _: str) -> Any:
        now = int(world.now.timestamp())
        events = [
            _event(f"D{i:04d}", now - 300 * (i + 1), pending=0) for i in range(_DELIVERED_EVENTS)
        ]
        failing = world.faults.first(WebhookFailedDeliveries)
        if failing:
            events += [_event(f"F{i:04d}", now - 20 * (i + 1), pending=1) for i in range(failing.n)]
        delivery = request.query.get("delivery_success")
        if delivery is not None:
            if delivery not in ("true", "false"):
                raise StripeError(400, f"Invalid boolean: {delivery}", param="delivery_success")
            wanted_pending = delivery == "false"
            events = [e for e in events if (e["pending_webhooks"] > 0) == wanted_pending]
        in_range = _created_filter(request.query)
        events = [e for e in events if in_range(e["created"])]
        events.sort(key=lambda e: e["created"], reverse=True)  # newest first, as Stripe lists
        return _page(events, request, "/v1/events")

    def _account(self, request: Request, world: World, account_id: str) -> Any:
        if account_id != CONNECT_ACCOUNT:
            raise StripeError(
                404,
                f"No such account: '{account_id}'",
                code="resource_missing",
                param="account",
                doc_url="https://stripe.com/docs/error-codes/resource-missing",
            )
        account = _template("account")
        account.update(
            id=CONNECT_ACCOUNT,
            email="payments@skyline-charter.example",
            country="GB",
            default_currency=_CURRENCY,
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
            type="express",
        )
        account["business_profile"]["name"] = "Skyline Charter Ltd"
        account["requirements"].update(
            currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
        )
        account["external_accounts"]["url"] = f"/v1/accounts/{CONNECT_ACCOUNT}/external_accounts"
        return account

    def _create_payment_intent(self, request: Request, world: World, _: str) -> Any:
        form = request.form()
        amount = _positive_int(form, "amount")
        currency = form.get("currency", "").lower()
        if not currency:
            raise _missing("currency")
        if len(currency) != 3 or not currency.isalpha():
            raise StripeError(
                400, f"Invalid currency: {currency}", code="parameter_invalid", param="currency"
            )
        intent = _template("payment_intent")
        with self._lock:
            intent_id = f"pi_3StratusDrill{len(self._payment_intents) + 1:06d}"
            intent.update(
                id=intent_id,
                amount=amount,
                currency=currency,
                created=int(world.now.timestamp()),
                client_secret=f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
                description=form.get("description"),
                status="requires_payment_method",
                canceled_at=None,
                last_payment_error=None,
                next_action=None,
                processing=None,
                transfer_data=None,
                payment_method_configuration_details=None,
            )
            self._payment_intents[intent_id] = intent
        return intent

    def _list_payment_intents(self, request: Request, world: World, _: str) -> Any:
        with self._lock:
            intents = list(reversed(self._payment_intents.values()))  # newest first
        return _page(intents, request, "/v1/payment_intents")

    def _payment_intent(self, request: Request, world: World, intent_id: str) -> Any:
        with self._lock:
            intent = self._payment_intents.get(intent_id)
        if intent is None:
            raise StripeError(
                404,
                f"No such payment_intent: '{intent_id}'",
                code="resource_missing",
                param="intent",
                doc_url="https://stripe.com/docs/error-codes/resource-missing",
            )
        return intent


def _authenticate(request: Request, key: str) -> None:
    auth = request.header("Authorization") or ""
    scheme, _, given = auth.partition(" ")
    if not given or scheme.lower() != "bearer":
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.",
        )
    if not secrets.compare_digest(given.strip(), key):
        # Like Stripe: enough of the key to recognise it, never all of it.
        masked = given[:8] + "*" * (len(given) - 12) + given[-4:] if len(given) > 12 else "***"
        raise StripeError(401, f"Invalid API Key provided: {masked}")


def _event(suffix: str, created: int, *, pending: int) -> dict[str, Any]:
    intent = _template("payment_intent")
    intent.update(
        id=f"pi_3StratusDrillEv{suffix}",
        amount=1845000,
        currency=_CURRENCY,
        amount_received=1845000,
        status="succeeded",
        created=created,
        canceled_at=None,
        last_payment_error=None,
        next_action=None,
        processing=None,
    )
    event = _template("event")
    event.update(
        id=f"evt_1StratusDrill{suffix}",
        type="payment_intent.succeeded",
        created=created,
        api_version="2024-06-20",
        pending_webhooks=pending,
        data={"object": intent},
    )
    return event


def _page(items: list[dict[str, Any]], request: Request, url: str) -> dict[str, Any]:
    limit = _limit(request.query)
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


def _limit(query: Mapping[str, str]) -> int:
    text = query.get("limit", "10")
    try:
        limit = int(text)
    except ValueError:
        raise StripeError(400, f"Invalid integer: {text}", param="limit") from None
    if not 1 <= limit <= 100:
        raise StripeError(
            400,
            f"This value must be between 1 and 100 (it currently is '{limit}')",
            param="limit",
        )
    return limit


_CREATED_TESTS: dict[str, Callable[[int, int], bool]] = {
    "created": lambda created, bound: created == bound,
    "created[gte]": lambda created, bound: created >= bound,
    "created[gt]": lambda created, bound: created > bound,
    "created[lte]": lambda created, bound: created <= bound,
    "created[lt]": lambda created, bound: created < bound,
}


def _created_filter(query: Mapping[str, str]) -> Callable[[int], bool]:
    """The ``created`` / ``created[gte]``... bounds of a list request, parsed up front."""
    bounds: list[tuple[Callable[[int, int], bool], int]] = []
    for param, test in _CREATED_TESTS.items():
        if param in query:
            try:
                bounds.append((test, int(query[param])))
            except ValueError:
                raise StripeError(400, f"Invalid integer: {query[param]}", param=param) from None
    return lambda created: all(test(created, bound) for test, bound in bounds)


def _positive_int(form: Mapping[str, str], param: str) -> int:
    if param not in form:
        raise _missing(param)
    try:
        value = int(form[param])
    except ValueError:
        value = 0
    if value <= 0:
        raise StripeError(
            400,
            f"Invalid positive integer: {form[param]}",
            code="parameter_invalid_integer",
            param=param,
        )
    return value


def _missing(param: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )
