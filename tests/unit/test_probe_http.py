"""The http probe against MockTransport: status, JSON expectations, latency, redirects, bodies."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from stratus_commander.probes import http
from stratus_commander.probes.base import Outcome
from tests.unit.probe_kit import run_check

URL = "https://app.example.test/api/health"
HEALTHY = {"status": "ok", "checks": {"database": "ok", "stripe": "ok"}, "error_rate": 0.02}


def json_reply(payload: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload)


@pytest.mark.asyncio
async def test_healthy_endpoint_is_up_with_latency_and_metrics() -> None:
    result = await run_check(
        http, lambda r: json_reply(HEALTHY), url=URL, expect_json={"checks.database": "ok"}
    )
    assert result.outcome is Outcome.UP
    assert result.detail.startswith("HTTP 200 in ")
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert result.metrics["status_code"] == 200
    assert result.metrics["body.error_rate"] == 0.02  # the endpoint's own figure, graphable


@pytest.mark.asyncio
async def test_unexpected_status_is_down_with_the_body_start() -> None:
    result = await run_check(
        http, lambda r: json_reply({"error": "db pool exhausted"}, status=503), url=URL
    )
    assert result.outcome is Outcome.DOWN
    assert "HTTP 503 (expected 200)" in result.detail
    assert "db pool exhausted" in result.detail


@pytest.mark.asyncio
async def test_any_listed_status_is_accepted() -> None:
    result = await run_check(http, lambda r: httpx.Response(204), url=URL, expect_status=[200, 204])
    assert result.outcome is Outcome.UP


@pytest.mark.asyncio
async def test_json_expectation_mismatch_and_missing_field_are_named() -> None:
    body = {"status": "ok", "checks": {"database": "error"}}
    result = await run_check(
        http,
        lambda r: json_reply(body),
        url=URL,
        expect_json={"status": "ok", "checks.database": "ok", "checks.stripe": "ok"},
    )
    assert result.outcome is Outcome.DOWN
    assert "checks.database is 'error' (expected 'ok')" in result.detail
    assert "checks.stripe missing" in result.detail


@pytest.mark.asyncio
async def test_json_path_indexes_lists() -> None:
    body = {"regions": [{"status": "ok"}, {"status": "down"}]}
    result = await run_check(
        http, lambda r: json_reply(body), url=URL, expect_json={"regions.1.status": "ok"}
    )
    assert result.outcome is Outcome.DOWN
    assert "regions.1.status is 'down'" in result.detail


@pytest.mark.asyncio
async def test_invalid_json_and_wrong_content_type_are_down_with_reason() -> None:
    broken = await run_check(
        http,
        lambda r: httpx.Response(200, content=b'{"status": "ok",', headers=JSON_TYPE),
        url=URL,
        expect_json={"status": "ok"},
    )
    assert broken.outcome is Outcome.DOWN
    assert "not valid JSON" in broken.detail

    html = await run_check(
        http,
        lambda r: httpx.Response(200, html="<html>Sign in</html>"),
        url=URL,
        expect_json={"status": "ok"},
    )
    assert html.outcome is Outcome.DOWN
    assert "expected JSON, got text/html" in html.detail


JSON_TYPE = {"Content-Type": "application/json"}


@pytest.mark.asyncio
async def test_slower_than_threshold_is_degraded() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return json_reply(HEALTHY)

    result = await run_check(http, slow, url=URL, degraded_ms=1)
    assert result.outcome is Outcome.DEGRADED
    assert "slower than 1 ms" in result.detail


@pytest.mark.asyncio
async def test_header_secret_reference_is_resolved_and_sent() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return json_reply(HEALTHY)

    result = await run_check(
        http,
        handler,
        secrets={"env:HEALTH_TOKEN": "Bearer t0ken-value-123456"},
        url=URL,
        headers={"Authorization": "env:HEALTH_TOKEN"},
    )
    assert result.outcome is Outcome.UP
    assert seen == ["Bearer t0ken-value-123456"]


@pytest.mark.asyncio
async def test_missing_header_secret_is_unknown_and_sends_nothing() -> None:
    calls: list[httpx.Request] = []
    result = await run_check(
        http,
        lambda r: calls.append(r) or json_reply(HEALTHY),
        url=URL,
        headers={"Authorization": "env:HEALTH_TOKEN"},
    )
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "credential env:HEALTH_TOKEN not set"
    assert calls == []


def chain(hops: int) -> Any:
    """/r/N redirects to /r/N-1 …; /r/0 answers 200."""

    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.rsplit("/", 1)[1])
        if n == 0:
            return json_reply(HEALTHY)
        return httpx.Response(302, headers={"Location": f"/r/{n - 1}"})

    return handler


@pytest.mark.asyncio
async def test_follows_up_to_five_redirects() -> None:
    result = await run_check(http, chain(5), url="https://app.example.test/r/5")
    assert result.outcome is Outcome.UP
    assert "after 5 redirect(s)" in result.detail


@pytest.mark.asyncio
async def test_six_redirects_is_down() -> None:
    result = await run_check(http, chain(6), url="https://app.example.test/r/6")
    assert result.outcome is Outcome.DOWN
    assert "more than 5 redirects" in result.detail


@pytest.mark.asyncio
async def test_redirect_loop_is_named() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        other = "/b" if request.url.path == "/a" else "/a"
        return httpx.Response(301, headers={"Location": other})

    result = await run_check(http, handler, url="https://app.example.test/a")
    assert result.outcome is Outcome.DOWN
    assert result.detail == "redirect loop: /a → /b → /a"


@pytest.mark.asyncio
async def test_declared_large_body_is_refused_unread() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(100 * 1024 * 1024)}, content=b"")

    result = await run_check(http, handler, url=URL)
    assert result.outcome is Outcome.DOWN
    assert "body larger than 1 MiB (Content-Length 104857600)" in result.detail


@pytest.mark.asyncio
async def test_streamed_body_stops_at_the_cap() -> None:
    produced = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal produced
        for _ in range(1600):  # 100 MiB if nobody stopped reading
            produced += 65536
            yield b"x" * 65536

    result = await run_check(http, lambda r: httpx.Response(200, content=endless()), url=URL)
    assert result.outcome is Outcome.DOWN
    assert "body larger than 1 MiB" in result.detail
    assert produced <= 2 * 1024 * 1024  # reading stopped right after the cap


async def streamed(data: bytes) -> AsyncIterator[bytes]:
    """``data`` in 4 KiB pieces, as a socket delivers it (MockTransport then streams it)."""
    for i in range(0, len(data), 4096):
        yield data[i : i + 4096]


@pytest.mark.asyncio
async def test_gzip_body_is_decoded_and_a_gzip_bomb_is_capped() -> None:
    small = gzip.compress(json.dumps(HEALTHY).encode())
    ok = await run_check(
        http,
        lambda r: httpx.Response(200, content=streamed(small), headers={**GZIP, **JSON_TYPE}),
        url=URL,
        expect_json={"status": "ok"},
    )
    assert ok.outcome is Outcome.UP

    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))  # ~20 KB on the wire, 20 MiB inflated
    capped = await run_check(
        http, lambda r: httpx.Response(200, content=streamed(bomb), headers=GZIP), url=URL
    )
    assert capped.outcome is Outcome.DOWN
    assert "body larger than 1 MiB" in capped.detail


GZIP = {"Content-Encoding": "gzip"}


@pytest.mark.asyncio
async def test_unreachable_target_is_down() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = await run_check(http, refuse, url=URL)
    assert result.outcome is Outcome.DOWN
    assert result.detail == "connection refused"
    assert result.latency_ms is None


@pytest.mark.asyncio
async def test_head_request_has_no_body_to_read() -> None:
    methods: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        return httpx.Response(200)

    result = await run_check(http, handler, url=URL, method="HEAD")
    assert result.outcome is Outcome.UP
    assert methods == ["HEAD"]


@pytest.mark.parametrize(
    ("keys", "where", "text"),
    [
        ({"url": "ftp://example.test"}, "url", "http:// or https://"),
        ({"url": URL, "expect_status": [700]}, "expect_status", "less than or equal to 599"),
        ({"url": URL, "degraded_ms": 0}, "degraded_ms", "greater than 0"),
        ({"url": URL, "method": "BREW"}, "method", "'GET'"),
    ],
)
def test_spec_rejects_bad_keys(keys: dict[str, Any], where: str, text: str) -> None:
    with pytest.raises(ValidationError) as info:
        http.Spec.model_validate({"id": "x", "kind": "http", "check": "api", **keys})
    error = info.value.errors()[0]
    assert error["loc"][0] == where
    assert text in str(info.value)


def test_url_is_kept_without_trailing_slash() -> None:
    spec = http.Spec.model_validate(
        {"id": "x", "kind": "http", "check": "api", "url": "https://a.test/"}
    )
    assert spec.url == "https://a.test"
