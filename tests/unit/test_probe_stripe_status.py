"""The stripe-status probe against MockTransport: /current read defensively."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stratus_commander.probes import stripe_status
from stratus_commander.probes.base import Outcome
from stratus_commander.secrets import redact
from tests.unit.probe_kit import run_check

SERVICES = ("api", "dashboard", "stripejs", "checkoutjs", "webhooks", "emails")


def current(large: str = "up", message: str = "", **services: str) -> dict[str, Any]:
    return {
        "largestatus": large,
        "message": message,
        "time": "2026-11-27T10:51:44Z",
        "statuses": {name: services.get(name, "up") for name in SERVICES},
    }


async def probe(payload: Any, status: int = 200, **keys: Any) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://status.stripe.com/current"
        return httpx.Response(status, json=payload)

    return await run_check(stripe_status, handler, **keys)


@pytest.mark.asyncio
async def test_all_up() -> None:
    result = await probe(current())
    assert result.outcome is Outcome.UP
    assert result.detail == "Stripe: all services up"
    assert result.check == "external"


@pytest.mark.asyncio
async def test_degraded_names_services_and_message() -> None:
    result = await probe(
        current("degraded", "Elevated API error rates in EU.", api="degraded", webhooks="down")
    )
    assert result.outcome is Outcome.DOWN  # the worst service, webhooks, is down
    assert result.detail == (
        "Stripe down; api degraded; webhooks down; Elevated API error rates in EU."
    )
    assert result.metrics["services_down"] == 1
    assert result.metrics["services_degraded"] == 1


@pytest.mark.asyncio
async def test_largestatus_alone_counts() -> None:
    result = await probe({"largestatus": "degraded", "message": "Investigating"})
    assert result.outcome is Outcome.DEGRADED


@pytest.mark.asyncio
async def test_watched_services_ignore_the_rest() -> None:
    result = await probe(
        current("degraded", "Emails delayed", emails="degraded"), services=["api", "webhooks"]
    )
    assert result.outcome is Outcome.UP
    assert result.detail == "Stripe: watched services up"

    hurt = await probe(current("degraded", webhooks="degraded"), services=["api", "webhooks"])
    assert hurt.outcome is Outcome.DEGRADED
    assert "webhooks degraded" in hurt.detail


@pytest.mark.asyncio
async def test_watched_service_not_reported_is_unknown() -> None:
    result = await probe(current(), services=["api", "payouts"])
    assert result.outcome is Outcome.UNKNOWN
    assert "payouts not reported" in result.detail


@pytest.mark.asyncio
async def test_unrecognised_value_is_degraded() -> None:
    result = await probe(current(api="partially_up"))
    assert result.outcome is Outcome.DEGRADED
    assert "api partially_up" in result.detail


@pytest.mark.parametrize(
    ("payload", "status", "text"),
    [
        ({"hello": "world"}, 200, "unrecognised Stripe status"),
        ([1, 2, 3], 200, "unrecognised Stripe status"),
        (current(), 503, "Stripe status answered HTTP 503"),
    ],
)
@pytest.mark.asyncio
async def test_unrecognised_answer_is_unknown(payload: Any, status: int, text: str) -> None:
    result = await probe(payload, status=status)
    assert result.outcome is Outcome.UNKNOWN
    assert text in result.detail


@pytest.mark.asyncio
async def test_html_instead_of_json_is_unknown() -> None:
    result = await run_check(
        stripe_status, lambda r: httpx.Response(200, html="<html>Stripe Status</html>")
    )
    assert result.outcome is Outcome.UNKNOWN
    assert "expected JSON, got text/html" in result.detail


@pytest.mark.asyncio
async def test_custom_url_for_the_drill_simulator() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=current())

    result = await run_check(stripe_status, handler, url="http://127.0.0.1:8080/stripe-status/")
    assert result.outcome is Outcome.UP
    assert seen == ["http://127.0.0.1:8080/stripe-status/current"]


@pytest.mark.asyncio
async def test_a_key_in_a_long_message_is_redacted_before_it_is_cut() -> None:
    # The message is cut at 200 characters; cut first, "sk_live_" and 5 characters of the key
    # would remain: too short for the redaction pattern, so they would be shown.
    leaked = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv"
    result = await probe(current("degraded", "x" * 185 + " " + leaked))
    assert result.outcome is Outcome.DEGRADED
    assert leaked[8:13] not in redact(result.detail)  # as the engine would show it
    assert "sk_live_[RE" in result.detail
