"""The uptimerobot probe against MockTransport: statuses, ratios, paging, 429, refused keys."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from stratus_commander.probes import uptimerobot
from stratus_commander.probes.base import Outcome
from tests.unit.probe_kit import T0, run_check

KEY = "u1234567-0123456789abcdef01234567"
SECRETS = {"env:UPTIMEROBOT_API_KEY": KEY}


def monitor(name: str, status: int, ratios: str = "100.000-99.950-99.990", ms: Any = 120) -> Any:
    return {
        "id": abs(hash(name)) % 10**6,
        "friendly_name": name,
        "url": f"https://{name.lower().replace(' ', '-')}.example.test",
        "status": status,
        "average_response_time": ms,
        "custom_uptime_ratio": ratios,
    }


def answer(*monitors: Any, total: int | None = None) -> dict[str, Any]:
    count = len(monitors) if total is None else total
    return {
        "stat": "ok",
        "pagination": {"offset": 0, "limit": 50, "total": count},
        "monitors": list(monitors),
    }


async def probe(handler: Any, **keys: Any) -> Any:
    keys.setdefault("api_key", "env:UPTIMEROBOT_API_KEY")
    return await run_check(uptimerobot, handler, secrets=SECRETS, **keys)


def fixed(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    return lambda r: httpx.Response(status, json=payload, headers=headers)


@pytest.mark.asyncio
async def test_posts_the_form_and_reports_all_up_with_ratios() -> None:
    forms: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/v2/getMonitors"
        forms.append(parse_qs(request.content.decode()))
        return httpx.Response(
            200,
            json=answer(
                monitor("API", 2, "100.000-99.950-99.990", 100),
                monitor("Web", 2, "99.000-99.900-99.970", "300"),
            ),
        )

    result = await probe(handler)
    assert result.outcome is Outcome.UP
    assert result.detail == "UptimeRobot: 2/2 up"
    form = forms[0]
    assert form["api_key"] == [KEY]
    assert form["format"] == ["json"]
    assert form["custom_uptime_ratios"] == ["1-7-30"]
    assert result.metrics["uptime_1d_min"] == 99.0
    assert result.metrics["uptime_7d_min"] == 99.9
    assert result.metrics["uptime_30d_min"] == 99.97
    assert result.metrics["response_ms_avg"] == 200.0
    assert result.check == "external"


@pytest.mark.parametrize(("status", "word"), [(9, "down"), (8, "seems down")])
@pytest.mark.asyncio
async def test_down_monitor_is_down(status: int, word: str) -> None:
    result = await probe(fixed(answer(monitor("API", status), monitor("Web", 2))))
    assert result.outcome is Outcome.DOWN
    assert result.detail == f"UptimeRobot: 1/2 up; API {word}"
    assert result.metrics["monitors_down"] == 1


@pytest.mark.asyncio
async def test_paused_monitors_are_named_but_not_counted() -> None:
    result = await probe(fixed(answer(monitor("API", 2), monitor("Old", 0, ms=None))))
    assert result.outcome is Outcome.UP
    assert "Old paused" in result.detail


@pytest.mark.asyncio
async def test_only_paused_or_unchecked_monitors_is_unknown() -> None:
    result = await probe(fixed(answer(monitor("API", 0), monitor("Web", 1))))
    assert result.outcome is Outcome.UNKNOWN
    assert "API paused" in result.detail
    assert "Web not checked yet" in result.detail


@pytest.mark.asyncio
async def test_watched_monitors_by_friendly_name() -> None:
    payload = answer(monitor("API", 2), monitor("Marketing site", 9))
    result = await probe(fixed(payload), monitors=["api"])
    assert result.outcome is Outcome.UP
    assert result.metrics["uptime_30d:API"] == 99.99

    missing = await probe(fixed(payload), monitors=["API", "Webhooks"])
    assert missing.outcome is Outcome.UNKNOWN
    assert "no such monitor: Webhooks" in missing.detail


@pytest.mark.asyncio
async def test_pages_through_more_than_fifty_monitors() -> None:
    offsets: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = parse_qs(request.content.decode())["offset"][0]
        offsets.append(offset)
        names = range(50) if offset == "0" else range(50, 60)
        status = {59: 9}
        batch = [monitor(f"m{i}", status.get(i, 2)) for i in names]
        return httpx.Response(200, json=answer(*batch, total=60))

    result = await probe(handler)
    assert offsets == ["0", "50"]
    assert result.outcome is Outcome.DOWN
    assert "m59 down" in result.detail


@pytest.mark.asyncio
async def test_rate_limit_is_unknown_with_retry_after() -> None:
    result = await probe(fixed({"stat": "fail"}, status=429, headers={"Retry-After": "120"}))
    assert result.outcome is Outcome.UNKNOWN
    assert result.retry_after_s == 120
    assert result.detail == "rate limited by UptimeRobot; next poll in 120 s"


@pytest.mark.asyncio
async def test_retry_after_as_http_date() -> None:
    when = "Fri, 27 Nov 2026 10:53:44 GMT"  # 120 s after the fake clock's now
    result = await probe(fixed({}, status=429, headers={"Retry-After": when}))
    assert result.retry_after_s == pytest.approx(120 - T0.microsecond / 1e6)


@pytest.mark.asyncio
async def test_refused_key_is_unknown() -> None:
    refused = {
        "stat": "fail",
        "error": {"type": "invalid_parameter", "parameter_name": "api_key", "passed_value": KEY},
    }
    result = await probe(fixed(refused))
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "UptimeRobot refused the request: invalid_parameter"


@pytest.mark.asyncio
async def test_missing_credential_is_unknown_and_sends_nothing() -> None:
    calls: list[httpx.Request] = []
    result = await run_check(
        uptimerobot,
        lambda r: calls.append(r) or httpx.Response(200, json=answer()),
        api_key="env:NOT_SET_ANYWHERE",
    )
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "credential env:NOT_SET_ANYWHERE not set"
    assert calls == []


@pytest.mark.parametrize(
    ("handler", "text"),
    [
        (fixed({"stat": "ok"}), "no monitors list"),
        (fixed({"error": "boom"}, status=500), "answered HTTP 500"),
        (lambda r: httpx.Response(200, text="{nope"), "UptimeRobot API unreadable"),
    ],
)
@pytest.mark.asyncio
async def test_broken_api_answers_are_unknown(handler: Any, text: str) -> None:
    result = await probe(handler)
    assert result.outcome is Outcome.UNKNOWN
    assert text in result.detail


@pytest.mark.asyncio
async def test_no_monitors_at_all_is_unknown() -> None:
    result = await probe(fixed(answer()))
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "UptimeRobot: no monitors"
