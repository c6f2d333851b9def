"""Each probe kind (http, statuspage, stripe-status, uptimerobot) over real loopback HTTP, and the
engine's schedule flipping a state down and back up against a server that changes its answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from stratus_commander.probes import http, statuspage, stripe_status, uptimerobot
from stratus_commander.probes.base import Outcome, StateChange
from stratus_commander.probes.engine import ProbeEngine
from stratus_commander.probes.spec import ProbeSpec
from tests.integration.loopback import LoopbackHandler, LoopbackServer

UR_KEY = "u1234567-0123456789abcdef01234567"


async def run_once(*specs: ProbeSpec) -> list[Any]:
    engine = ProbeEngine.with_own_client(specs, resolve={"env:UR_KEY": UR_KEY}.get)
    try:
        return await engine.run_once()
    finally:
        await engine.aclose()


@pytest.mark.asyncio
async def test_http_probe_over_loopback(loopback: LoopbackServer) -> None:
    loopback.json("/api/health", {"status": "ok", "checks": {"database": "ok"}})
    loopback.json("/api/broken", {"status": "error"}, status=503)
    ok, broken = await run_once(
        http.Spec(
            id="ok",
            kind="http",
            check="api",
            url=f"{loopback.url}/api/health",
            expect_json={"checks.database": "ok"},
        ),
        http.Spec(id="broken", kind="http", check="api", url=f"{loopback.url}/api/broken"),
    )
    assert ok.outcome is Outcome.UP, ok.detail
    assert ok.latency_ms is not None and ok.latency_ms > 0
    assert broken.outcome is Outcome.DOWN
    assert broken.detail.startswith("HTTP 503 (expected 200)")
    assert loopback.requests[0][2]["User-Agent"].startswith("stratus-commander-probe")


@pytest.mark.asyncio
async def test_statuspage_probe_over_loopback(loopback: LoopbackServer) -> None:
    loopback.json(
        "/supabase/api/v2/summary.json",
        {
            "page": {"name": "Supabase"},
            "status": {"indicator": "major", "description": "Partial System Outage"},
            "components": [{"name": "Database", "status": "partial_outage"}],
            "incidents": [{"name": "Pooler errors", "status": "identified", "impact": "major"}],
        },
    )
    (result,) = await run_once(
        statuspage.Spec(id="supabase", kind="statuspage", url=f"{loopback.url}/supabase")
    )
    assert result.outcome is Outcome.DOWN
    assert "Database partial outage" in result.detail
    assert "Pooler errors" in result.detail


@pytest.mark.asyncio
async def test_stripe_status_probe_over_loopback(loopback: LoopbackServer) -> None:
    loopback.json(
        "/current",
        {
            "largestatus": "degraded",
            "message": "Webhook delivery delayed",
            "statuses": {"api": "up", "webhooks": "degraded"},
        },
    )
    (result,) = await run_once(
        stripe_status.Spec(id="stripe", kind="stripe-status", url=loopback.url)
    )
    assert result.outcome is Outcome.DEGRADED
    assert result.detail == "Stripe degraded; webhooks degraded; Webhook delivery delayed"


@pytest.mark.asyncio
async def test_uptimerobot_probe_over_loopback(loopback: LoopbackServer) -> None:
    def get_monitors(h: LoopbackHandler) -> None:
        form = parse_qs(h.body.decode())
        assert form["api_key"] == [UR_KEY]
        body = {
            "stat": "ok",
            "pagination": {"offset": 0, "limit": 50, "total": 1},
            "monitors": [
                {
                    "friendly_name": "StratusConnect API",
                    "status": 9,
                    "custom_uptime_ratio": "97.5-99.6-99.9",
                    "average_response_time": "210",
                }
            ],
        }
        h.reply(200, json.dumps(body).encode())

    loopback.route("/v2/getMonitors", get_monitors)
    (result,) = await run_once(
        uptimerobot.Spec(id="ur", kind="uptimerobot", api_key="env:UR_KEY", api_base=loopback.url)
    )
    assert result.outcome is Outcome.DOWN
    assert result.detail == "UptimeRobot: 0/1 up; StratusConnect API down"
    assert result.metrics["uptime_1d_min"] == 97.5


@pytest.mark.asyncio
async def test_uptimerobot_429_over_loopback(loopback: LoopbackServer) -> None:
    loopback.json("/v2/getMonitors", {"stat": "fail"}, status=429, headers={"Retry-After": "45"})
    (result,) = await run_once(
        uptimerobot.Spec(id="ur", kind="uptimerobot", api_key="env:UR_KEY", api_base=loopback.url)
    )
    assert result.outcome is Outcome.UNKNOWN
    assert result.retry_after_s == 45


@pytest.mark.asyncio
async def test_engine_schedule_flips_down_and_back_up_over_loopback(
    loopback: LoopbackServer,
) -> None:
    healthy = True

    def health(h: LoopbackHandler) -> None:
        status = 200 if healthy else 503
        h.reply(status, json.dumps({"status": "ok" if healthy else "error"}).encode())

    loopback.route("/api/health", health)
    spec = http.Spec(
        id="api",
        kind="http",
        check="api",
        url=f"{loopback.url}/api/health",
        interval_s=0.02,
        fail_threshold=3,
        success_threshold=2,
    )
    changes: list[StateChange] = []
    flipped = asyncio.Event()

    def on_change(change: StateChange) -> None:
        changes.append(change)
        flipped.set()

    engine = ProbeEngine.with_own_client([spec], start_jitter_s=0.01)
    engine.on_state_change(on_change)
    runner = asyncio.create_task(engine.run())
    try:
        for expected, make_healthy in (
            (Outcome.UP, False),
            (Outcome.DOWN, True),
            (Outcome.UP, None),
        ):
            await asyncio.wait_for(flipped.wait(), timeout=10)
            flipped.clear()
            assert changes[-1].current is expected
            if make_healthy is not None:
                healthy = make_healthy
    finally:
        await engine.aclose()
    assert runner.done()
    assert [(c.previous, c.current) for c in changes] == [
        (None, Outcome.UP),
        (Outcome.UP, Outcome.DOWN),
        (Outcome.DOWN, Outcome.UP),
    ]
