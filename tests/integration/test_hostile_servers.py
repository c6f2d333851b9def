"""Hostile servers over real loopback: every probe ends within its deadline, down or unknown with a
reason, and memory stays bounded (a 100 MB body is never held).
"""

from __future__ import annotations

import json
import time
import tracemalloc
from typing import Any

import pytest

from stratus_commander.probes import http, statuspage, stripe_status, uptimerobot
from stratus_commander.probes.base import Outcome, ProbeResult
from stratus_commander.probes.engine import ProbeEngine
from stratus_commander.probes.spec import ProbeSpec
from tests.integration.loopback import LoopbackServer, Route

TIMEOUT_S = 1.0
# Each behaviour and the words its reason must contain (any of them).
REASONS = {
    "slow-drip": ("no complete answer within 1 s",),
    "100MB-body": ("body larger than 1 MiB",),
    "invalid-json": ("not valid JSON",),
    "wrong-content-type": ("expected JSON, got text/html",),
    "redirect-loop": ("redirect loop",),
    "reset": ("reset", "disconnected"),
}


def specs_for(base: str) -> list[ProbeSpec]:
    """One probe of each kind, all pointed at ``base`` (the hostile route's prefix)."""
    common: dict[str, Any] = {"timeout_s": TIMEOUT_S}
    return [
        http.Spec(
            id="http",
            kind="http",
            check="api",
            url=f"{base}/api/health",
            expect_json={"status": "ok"},
            **common,
        ),
        statuspage.Spec(id="statuspage", kind="statuspage", url=base, **common),
        stripe_status.Spec(id="stripe-status", kind="stripe-status", url=base, **common),
        uptimerobot.Spec(
            id="uptimerobot", kind="uptimerobot", api_key="env:UR_KEY", api_base=base, **common
        ),
    ]


async def run_against(loopback: LoopbackServer, route: Route) -> tuple[list[ProbeResult], float]:
    loopback.route("/h/*", route)
    engine = ProbeEngine.with_own_client(
        specs_for(f"{loopback.url}/h"),
        resolve={"env:UR_KEY": "u1234567-0123456789abcdef01234567"}.get,
    )
    tracemalloc.start()
    try:
        results = await engine.run_once()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        await engine.aclose()
    return results, peak


@pytest.mark.parametrize("behaviour", list(REASONS))
@pytest.mark.asyncio
async def test_hostile_server_gives_a_reasoned_down_or_unknown_in_time(
    loopback: LoopbackServer, hostile: dict[str, Route], behaviour: str
) -> None:
    started = time.monotonic()
    results, peak = await run_against(loopback, hostile[behaviour])
    elapsed = time.monotonic() - started

    # All four probes ran at once: had any waited for a 100 s drip or a 100 MB body, this
    # would be far beyond the deadline (the margin is for a loaded 2-core CI machine).
    assert elapsed < TIMEOUT_S + 5
    assert peak < 32 * 1024 * 1024, f"peak traced memory {peak / 2**20:.1f} MiB"
    by_probe = {r.probe: r for r in results}
    # Our own endpoint misbehaving is down; a provider's page misbehaving is unknown.
    assert by_probe["http"].outcome is Outcome.DOWN
    for provider in ("statuspage", "stripe-status", "uptimerobot"):
        assert by_probe[provider].outcome is Outcome.UNKNOWN, by_probe[provider]
    for result in results:
        assert any(word in result.detail for word in REASONS[behaviour]), result.detail


@pytest.mark.asyncio
async def test_a_declared_100mb_body_is_refused_before_reading(loopback: LoopbackServer) -> None:
    sent = 0

    def declared(h: Any) -> None:
        nonlocal sent
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(100 * 1024 * 1024))
        h.end_headers()
        chunk = b" " * 65536
        while not h.stopping.is_set() and sent < 100 * 1024 * 1024:
            h.wfile.write(chunk)
            sent += len(chunk)

    results, peak = await run_against(loopback, declared)
    assert all("Content-Length 104857600" in r.detail for r in results), results
    assert peak < 32 * 1024 * 1024


@pytest.mark.asyncio
async def test_a_server_echoing_our_token_across_the_snippet_cut_shows_none_of_it(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detail quotes the body's first 120 characters. Cut before redaction, the token's first
    half would be shown: half a registered secret no longer matches it literally."""
    token = "Ocelot-Harbour-7391-Quill-Meridian-0457"  # no key family's shape: redacted literally
    monkeypatch.setenv("HEALTH_TOKEN", token)

    def echoing(h: Any) -> None:
        # The token straddles the cut: it starts at character 102 of the body, the snippet
        # keeps 119 and "…".
        said = "invalid token " + "." * 76 + " " + h.headers.get("X-Health-Token", "")
        h.reply(401, json.dumps({"error": said}).encode())

    loopback.route("/api/health", echoing)
    spec = http.Spec(
        id="api-health",
        kind="http",
        check="api",
        url=f"{loopback.url}/api/health",
        headers={"X-Health-Token": "env:HEALTH_TOKEN"},
    )
    engine = ProbeEngine.with_own_client([spec])  # the real resolver: it registers the token
    try:
        (result,) = await engine.run_once()
    finally:
        await engine.aclose()
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("HTTP 401 (expected 200): ")
    assert token[:12] not in result.detail, result.detail
    assert "[REDACTED]" in result.detail
