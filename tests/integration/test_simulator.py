"""The drill simulator over real loopback HTTP: every fake endpoint calm and faulted, the webhook
signature check, the Stripe SDK against the fake Stripe, the drill control endpoint, and the
``simulator`` command."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.drill import Simulator, available_scenarios, drill_secrets
from stratus_commander.drill.config import (
    ENV_STRIPE_KEY,
    ENV_SUPABASE_ANON,
    ENV_UPTIMEROBOT,
    ENV_WHSEC,
)
from stratus_commander.drill.inventory import CONNECT_ACCOUNT
from stratus_commander.drill.scenario import Scenario

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
KEYS = drill_secrets()
STRIPE_AUTH = {"Authorization": f"Bearer {KEYS[ENV_STRIPE_KEY]}"}
ANON = {"apikey": KEYS[ENV_SUPABASE_ANON]}


def scenario_with(*faults: dict[str, Any]) -> Scenario:
    """A scenario whose faults are all on from the start."""
    steps = [{"at": "0s", "note": "test faults", "on": list(faults)}] if faults else []
    return Scenario.model_validate(
        {
            "name": "test",
            "title": "test",
            "summary": "faults under test",
            "steps": steps,
            "expect": [{"at": "0s", "see": "-"}],
        }
    )


class Drill:
    """A started simulator, its fake clock and an HTTP client at its base URL."""

    def __init__(self, sim: Simulator, clock: FakeClock, client: httpx.Client) -> None:
        self.sim = sim
        self.clock = clock
        self.http = client


@pytest.fixture
def drill() -> Iterator[Callable[..., Drill]]:
    started: list[tuple[Simulator, httpx.Client]] = []

    def start(*faults: dict[str, Any], scenario: str | None = None, speed: float = 1.0) -> Drill:
        clock = FakeClock(START)
        sim = Simulator(scenario or scenario_with(*faults), speed=speed, clock=clock)
        base = sim.start()
        client = httpx.Client(base_url=base, timeout=30)
        started.append((sim, client))
        return Drill(sim, clock, client)

    yield start
    for sim, client in started:
        client.close()
        sim.stop()


# --- the server itself ---------------------------------------------------------------------------


def test_listens_on_loopback_only_and_stops_cleanly() -> None:
    with Simulator(scenario_with(), port=0) as sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert sim.port > 0
        assert sim._server is not None and sim._server.server_address[0] == "127.0.0.1"
        with httpx.Client() as client:
            assert client.get(f"{sim.base_url}/platform/api/health").status_code == 200
        base = sim.base_url
    assert not [t for t in threading.enumerate() if t.name.startswith("drill-simulator")]
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"{base}/platform/api/health")


def test_stop_cuts_a_slowed_request_short(drill: Callable[..., Drill]) -> None:
    d = drill({"fault": "api_slow", "ms": 60_000})
    outcome: list[BaseException | httpx.Response] = []

    def call() -> None:
        try:
            outcome.append(d.http.get("/platform/api/health"))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    server = d.sim._server
    assert server is not None
    while not server._connections:  # the request has reached the server
        time.sleep(0.01)
    d.sim.stop()
    caller.join(timeout=20)
    assert not caller.is_alive()
    assert isinstance(outcome[0], httpx.RemoteProtocolError | httpx.ReadError)


def test_a_client_that_hangs_up_is_not_an_error(
    drill: Callable[..., Drill], caplog: pytest.LogCaptureFixture
) -> None:
    d = drill({"fault": "api_slow", "ms": 300})  # a probe that times out before the answer
    host, port = d.sim.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(b"GET /platform/api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    time.sleep(0.6)  # the handler answers into the closed connection meanwhile
    assert d.http.get("/platform/api/health").status_code == 200  # still serving
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_an_unknown_service_is_404_naming_the_services(drill: Callable[..., Drill]) -> None:
    response = drill().http.get("/nowhere/at/all")
    assert response.status_code == 404
    assert "/platform" in response.json()["error"]


def test_a_second_simulator_cannot_take_a_busy_port() -> None:
    with Simulator(scenario_with()) as first, pytest.raises(OSError):
        Simulator(scenario_with(), port=first.port).start()


# --- platform: /api/health -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "code", "status", "checks"),
    [
        ((), 200, "ok", {"api": "ok", "database": "ok", "stripe": "ok"}),
        (({"fault": "db_slow", "ms": 1},), 200, "degraded", {"database": "slow"}),
        (({"fault": "db_pool_exhausted"},), 503, "down", {"database": "down"}),
        (({"fault": "supabase_down"},), 503, "down", {"database": "down"}),
        (({"fault": "stripe_api_5xx"},), 200, "degraded", {"stripe": "down"}),
        (({"fault": "stripe_api_slow", "ms": 1},), 200, "degraded", {"stripe": "degraded"}),
        (({"fault": "api_errors", "rate": 0.001},), 200, "degraded", {"api": "errors"}),
        (({"fault": "rls_disabled"},), 200, "ok", {"database": "ok"}),  # RLS is silent
    ],
)
def test_health_reports_what_the_faults_break(
    drill: Callable[..., Drill],
    faults: tuple[dict[str, Any], ...],
    code: int,
    status: str,
    checks: dict[str, str],
) -> None:
    response = drill(*faults).http.get("/platform/api/health")
    assert response.status_code == code
    body = response.json()
    assert body["status"] == status
    assert checks.items() <= body["checks"].items()
    assert body["version"]


def test_api_down_is_the_load_balancer_answering(drill: Callable[..., Drill]) -> None:
    d = drill({"fault": "api_down"})
    health = d.http.get("/platform/api/health")
    assert health.status_code == 503
    assert health.text == "no healthy upstream"
    assert d.http.post("/platform/webhooks/stripe", content=b"{}").status_code == 503


def test_api_errors_fail_that_share_of_health_checks(drill: Callable[..., Drill]) -> None:
    d = drill({"fault": "api_errors", "rate": 0.6})
    codes = [d.http.get("/platform/api/health").status_code for _ in range(10)]
    assert codes.count(500) == 6
    assert codes.count(200) == 4


def test_api_slow_delays_the_answer(drill: Callable[..., Drill]) -> None:
    d = drill({"fault": "api_slow", "ms": 150})
    started = time.perf_counter()
    assert d.http.get("/platform/api/health").status_code == 200
    assert time.perf_counter() - started >= 0.15  # a lower bound: cannot flake on a slow machine


# --- platform: the Stripe webhook endpoint -------------------------------------------------------


def signed(
    d: Drill, event: dict[str, Any], *, age_s: int = 0, secret: str | None = None
) -> tuple[bytes, str]:
    import stripe

    payload = json.dumps(event, indent=2)
    timestamp = int(d.clock.now().timestamp()) - age_s
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret or KEYS[ENV_WHSEC], timestamp=timestamp
    )
    return payload.encode(), header


EVENT = {"id": "evt_test_1", "object": "event", "type": "payment_intent.succeeded", "data": {}}


def post_webhook(d: Drill, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return d.http.post("/platform/webhooks/stripe", content=body, headers=headers)


def test_webhook_accepts_a_signed_event_and_rejects_a_tampered_one(
    drill: Callable[..., Drill],
) -> None:
    d = drill()
    body, signature = signed(d, EVENT)
    accepted = post_webhook(d, body, signature)
    assert accepted.status_code == 200
    assert accepted.json() == {"received": True, "id": "evt_test_1"}
    tampered = body.replace(b"payment_intent.succeeded", b"payment_intent.canceled")
    rejected = post_webhook(d, tampered, signature)
    assert rejected.status_code == 400
    assert "signature" in rejected.json()["error"]


@pytest.mark.parametrize(
    ("age_s", "secret", "header", "reason"),
    [
        (0, "whsec_someoneelse000000000000000000", True, "No signatures found matching"),
        (0, None, False, "No Stripe-Signature header"),
        (301, None, True, "tolerance"),  # a replay, judged by the drill's (injected) clock
    ],
)
def test_webhook_rejects_bad_signatures(
    drill: Callable[..., Drill], age_s: int, secret: str | None, header: bool, reason: str
) -> None:
    d = drill()
    body, signature = signed(d, EVENT, age_s=age_s, secret=secret)
    response = post_webhook(d, body, signature if header else None)
    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_webhook_processing_failure_is_500_after_verification(drill: Callable[..., Drill]) -> None:
    d = drill({"fault": "webhook_5xx"})
    body, signature = signed(d, EVENT)
    assert post_webhook(d, body, signature).status_code == 500
    assert post_webhook(d, body + b" ", signature).status_code == 400  # still verifies first


def test_webhook_endpoint_only_takes_posts(drill: Callable[..., Drill]) -> None:
    assert drill().http.get("/platform/webhooks/stripe").status_code == 405


# --- Stripe API ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "You did not provide an API key"),
        ({"Authorization": "Bearer sk_test_51WrongKey0000000000000000abcd"}, "Invalid API Key"),
    ],
)
def test_stripe_needs_the_drill_key(
    drill: Callable[..., Drill], headers: dict[str, str], message: str
) -> None:
    response = drill().http.get("/stripe/v1/balance", headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert message in error["message"]
    assert "sk_test_51WrongKey0000000000000000abcd" not in error["message"]  # masked
    assert response.headers["Request-Id"].startswith("req_")


def test_stripe_balance(drill: Callable[..., Drill]) -> None:
    balance = drill().http.get("/stripe/v1/balance", headers=STRIPE_AUTH).json()
    assert balance["object"] == "balance"
    assert balance["available"][0]["currency"] == "gbp"


def test_stripe_webhook_endpoint_points_at_the_drill_platform(drill: Callable[..., Drill]) -> None:
    d = drill()
    page = d.http.get("/stripe/v1/webhook_endpoints", headers=STRIPE_AUTH).json()
    assert page["object"] == "list"
    assert page["has_more"] is False
    [endpoint] = page["data"]
    assert endpoint["object"] == "webhook_endpoint"
    assert endpoint["status"] == "enabled"
    assert endpoint["url"] == f"{d.sim.base_url}/platform/webhooks/stripe"
    off = drill({"fault": "webhook_endpoint_disabled"})
    disabled = off.http.get("/stripe/v1/webhook_endpoints", headers=STRIPE_AUTH).json()
    assert disabled["data"][0]["status"] == "disabled"


def test_stripe_events_honour_the_delivery_filter(drill: Callable[..., Drill]) -> None:
    calm = drill()
    failed = {"delivery_success": "false"}
    assert (
        calm.http.get("/stripe/v1/events", params=failed, headers=STRIPE_AUTH).json()["data"] == []
    )
    delivered = calm.http.get(
        "/stripe/v1/events", params={"delivery_success": "true"}, headers=STRIPE_AUTH
    )
    assert delivered.json()["data"] and all(
        e["pending_webhooks"] == 0 for e in delivered.json()["data"]
    )

    d = drill({"fault": "webhook_failed_deliveries", "n": 30})
    page = d.http.get(
        "/stripe/v1/events", params={**failed, "limit": 25}, headers=STRIPE_AUTH
    ).json()
    assert len(page["data"]) == 25
    assert page["has_more"] is True
    assert all(e["object"] == "event" and e["pending_webhooks"] > 0 for e in page["data"])
    created = [e["created"] for e in page["data"]]
    assert created == sorted(created, reverse=True)  # newest first
    since = int(d.clock.now().timestamp()) - 100
    recent = d.http.get(
        "/stripe/v1/events", params={**failed, "created[gte]": since}, headers=STRIPE_AUTH
    ).json()
    assert recent["data"] and all(e["created"] >= since for e in recent["data"])
    assert len(recent["data"]) < 25


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "1000"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"delivery_success": "maybe"}, "delivery_success"),
        ({"created[gte]": "yesterday"}, "created[gte]"),
    ],
)
def test_stripe_events_refuse_bad_parameters(
    drill: Callable[..., Drill], params: dict[str, str], param: str
) -> None:
    response = drill().http.get("/stripe/v1/events", params=params, headers=STRIPE_AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_stripe_connect_account(drill: Callable[..., Drill]) -> None:
    d = drill()
    account = d.http.get(f"/stripe/v1/accounts/{CONNECT_ACCOUNT}", headers=STRIPE_AUTH).json()
    assert account["object"] == "account"
    assert account["charges_enabled"] is True
    assert account["payouts_enabled"] is True
    assert account["requirements"]["disabled_reason"] is None
    missing = d.http.get("/stripe/v1/accounts/acct_1Nobody", headers=STRIPE_AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "resource_missing"


def test_stripe_payment_intents(drill: Callable[..., Drill]) -> None:
    d = drill()
    created = d.http.post(
        "/stripe/v1/payment_intents",
        data={"amount": "125000", "currency": "GBP"},
        headers=STRIPE_AUTH,
    ).json()
    assert created["object"] == "payment_intent"
    assert created["status"] == "requires_payment_method"
    assert (created["amount"], created["currency"]) == (125000, "gbp")
    fetched = d.http.get(f"/stripe/v1/payment_intents/{created['id']}", headers=STRIPE_AUTH)
    assert fetched.json() == created
    listed = d.http.get("/stripe/v1/payment_intents", headers=STRIPE_AUTH).json()
    assert [pi["id"] for pi in listed["data"]] == [created["id"]]
    missing = d.http.post(
        "/stripe/v1/payment_intents", data={"currency": "gbp"}, headers=STRIPE_AUTH
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "parameter_missing"
    assert d.http.get("/stripe/v1/payment_intents/pi_nope", headers=STRIPE_AUTH).status_code == 404


def test_stripe_outage_answers_api_error_even_before_auth(drill: Callable[..., Drill]) -> None:
    d = drill({"fault": "stripe_api_5xx"})
    response = d.http.get("/stripe/v1/balance")
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "api_error"
    assert response.headers["Stripe-Should-Retry"] == "false"


def test_stripe_unknown_path(drill: Callable[..., Drill]) -> None:
    response = drill().http.get("/stripe/v1/customers", headers=STRIPE_AUTH)
    assert response.status_code == 404
    assert "Unrecognized request URL" in response.json()["error"]["message"]


@pytest.mark.asyncio
async def test_the_official_stripe_sdk_reads_the_fake_stripe(drill: Callable[..., Drill]) -> None:
    import stripe

    d = drill({"fault": "webhook_failed_deliveries", "n": 3})
    http_client = stripe.HTTPXClient()
    try:
        client = stripe.StripeClient(
            KEYS[ENV_STRIPE_KEY],
            base_addresses={"api": f"{d.sim.base_url}/stripe"},
            http_client=http_client,
            max_network_retries=0,
        )
        since = int(d.clock.now().timestamp()) - 3600
        events = await client.v1.events.list_async(
            {"delivery_success": False, "created": {"gte": since}, "limit": 25}
        )
        assert [e.pending_webhooks for e in events.data] == [1, 1, 1]
        account = await client.v1.accounts.retrieve_async(CONNECT_ACCOUNT)
        assert account.charges_enabled is True
        endpoints = await client.v1.webhook_endpoints.list_async({"limit": 100})
        assert endpoints.data[0].status == "enabled"
        wrong = stripe.StripeClient(
            "sk_test_51Wrong",
            base_addresses={"api": f"{d.sim.base_url}/stripe"},
            http_client=http_client,
            max_network_retries=0,
        )
        with pytest.raises(stripe.AuthenticationError):
            await wrong.v1.balance.retrieve_async()
    finally:
        await http_client.close_async()


# --- status.stripe.com, Statuspage pages ---------------------------------------------------------


def test_stripe_status_calm_and_faulted(drill: Callable[..., Drill]) -> None:
    calm = drill().http.get("/stripe-status/current").json()
    assert calm["largestatus"] == "up"
    assert set(calm["statuses"]) == {
        "api",
        "dashboard",
        "stripejs",
        "checkoutjs",
        "webhooks",
        "emails",
    }
    assert set(calm["statuses"].values()) == {"up"}
    d = drill({"fault": "stripe_status", "level": "degraded", "services": ["api", "webhooks"]})
    degraded = d.http.get("/stripe-status/current").json()
    assert degraded["largestatus"] == "degraded"
    assert degraded["statuses"]["api"] == degraded["statuses"]["webhooks"] == "degraded"
    assert degraded["statuses"]["dashboard"] == "up"
    down = drill({"fault": "stripe_status", "level": "down"}).http.get("/stripe-status/current")
    assert down.json()["largestatus"] == "down"


def test_statuspage_calm(drill: Callable[..., Drill]) -> None:
    summary = drill().http.get("/statuspage/supabase/api/v2/summary.json").json()
    assert summary["page"]["name"] == "Supabase"
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert {c["status"] for c in summary["components"]} == {"operational"}
    assert summary["incidents"] == []


def test_statuspage_incident_on_one_page_only(drill: Callable[..., Drill]) -> None:
    d = drill(
        {
            "fault": "statuspage",
            "page": "supabase",
            "indicator": "major",
            "components": {"Database": "major_outage"},
            "incident": "Connectivity issues",
        }
    )
    summary = d.http.get("/statuspage/supabase/api/v2/summary.json").json()
    assert summary["status"]["indicator"] == "major"
    statuses = {c["name"]: c["status"] for c in summary["components"]}
    assert statuses["Database"] == "major_outage"
    assert statuses["Auth"] == "operational"
    [incident] = summary["incidents"]
    assert (incident["name"], incident["status"], incident["impact"]) == (
        "Connectivity issues",
        "investigating",
        "major",
    )
    cdn = d.http.get("/statuspage/cdn/api/v2/summary.json").json()
    assert cdn["status"]["indicator"] == "none"
    assert d.http.get("/statuspage/nowhere/api/v2/summary.json").status_code == 404


# --- UptimeRobot ---------------------------------------------------------------------------------


def get_monitors(d: Drill, **form: str) -> httpx.Response:
    return d.http.post("/uptimerobot/v2/getMonitors", data={"format": "json", **form})


def test_uptimerobot_monitors(drill: Callable[..., Drill]) -> None:
    d = drill()
    body = get_monitors(d, api_key=KEYS[ENV_UPTIMEROBOT]).json()
    assert body["stat"] == "ok"
    assert {m["status"] for m in body["monitors"]} == {2}
    first = body["monitors"][0]
    assert first["custom_uptime_ratio"].count("-") == 2
    assert float(first["average_response_time"]) > 0
    one = get_monitors(d, api_key=KEYS[ENV_UPTIMEROBOT], monitors=str(first["id"])).json()
    assert [m["id"] for m in one["monitors"]] == [first["id"]]


def test_uptimerobot_refuses_a_wrong_or_missing_key(drill: Callable[..., Drill]) -> None:
    d = drill()
    wrong = get_monitors(d, api_key="u7654321-000000000000000000000000").json()
    assert wrong["stat"] == "fail"
    assert wrong["error"]["parameter_name"] == "api_key"
    assert "u7654321" not in json.dumps(wrong)
    assert get_monitors(d).json()["error"]["type"] == "missing_parameter"
    assert d.http.get("/uptimerobot/v2/getMonitors").status_code == 405


def test_uptimerobot_down_monitor_and_rate_limit(drill: Callable[..., Drill]) -> None:
    d = drill({"fault": "uptimerobot_down", "monitor": "StratusConnect API"})
    monitors = get_monitors(d, api_key=KEYS[ENV_UPTIMEROBOT]).json()["monitors"]
    assert {m["friendly_name"]: m["status"] for m in monitors} == {
        "StratusConnect API": 9,
        "StratusConnect Web": 2,
        "Operator portal": 2,
    }
    limited = get_monitors(
        drill({"fault": "uptimerobot_rate_limited", "retry_after": 42}),
        api_key=KEYS[ENV_UPTIMEROBOT],
    )
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "42"


# --- Supabase ------------------------------------------------------------------------------------


def test_supabase_auth_health_needs_the_anon_key(drill: Callable[..., Drill]) -> None:
    d = drill()
    health = d.http.get("/supabase/auth/v1/health", headers=ANON)
    assert health.status_code == 200
    assert health.json()["name"] == "GoTrue"
    assert d.http.get("/supabase/auth/v1/health").status_code == 401
    assert d.http.get("/supabase/auth/v1/health", headers={"apikey": "eyJnope"}).status_code == 401


def test_supabase_rls_switch(drill: Callable[..., Drill]) -> None:
    params = {"select": "*", "limit": "1"}
    protected = drill().http.get("/supabase/rest/v1/payments", params=params, headers=ANON)
    assert protected.status_code == 200
    assert protected.json() == []
    exposed = drill({"fault": "rls_disabled"}).http.get(
        "/supabase/rest/v1/payments", params=params, headers=ANON
    )
    assert exposed.status_code == 200
    [row] = exposed.json()
    assert row["amount"] > 0
    public = drill().http.get("/supabase/rest/v1/airports", headers=ANON).json()
    assert len(public) == 2


def test_supabase_pool_exhausted_and_outage(drill: Callable[..., Drill]) -> None:
    pool = drill({"fault": "db_pool_exhausted"}).http.get(
        "/supabase/rest/v1/payments", headers=ANON
    )
    assert pool.status_code == 503
    error = pool.json()
    assert error["code"].startswith("PGRST")
    assert "53300" in error["message"]
    down = drill({"fault": "supabase_down"})
    assert down.http.get("/supabase/auth/v1/health", headers=ANON).status_code == 503
    assert down.http.get("/supabase/rest/v1/payments", headers=ANON).status_code == 503


def test_supabase_unknown_table(drill: Callable[..., Drill]) -> None:
    response = drill().http.get("/supabase/rest/v1/paymnts", headers=ANON)
    assert response.status_code == 404
    assert response.json()["code"] == "PGRST205"


# --- drill control -------------------------------------------------------------------------------


def test_drill_state_follows_the_scenario_clock(drill: Callable[..., Drill]) -> None:
    d = drill(scenario="payment-processing-down", speed=60)
    state = d.http.get("/_drill/state").json()
    assert state["scenario"] == "payment-processing-down"
    assert (state["elapsed"], state["active_faults"], state["steps_reached"]) == ("0s", [], 0)
    assert state["next_step"]["at"] == "1m"
    d.clock.advance(seconds=4)  # 4 scenario minutes at speed 60
    state = d.http.get("/_drill/state").json()
    assert state["elapsed"] == "4m"
    assert [f["key"] for f in state["active_faults"]] == ["stripe_api_5xx", "stripe_status"]
    assert state["expect"]["triage"] == "external"
    assert state["expect"]["probes"]["stripe-api"] == ["down"]
    assert d.http.get("/stripe/v1/balance", headers=STRIPE_AUTH).status_code == 500


def test_drill_advance_endpoint(drill: Callable[..., Drill]) -> None:
    d = drill(scenario="rls-disabled")
    advanced = d.http.post("/_drill/advance", params={"to": "2m"})
    assert advanced.status_code == 200
    assert advanced.json()["active_faults"] == [{"key": "rls_disabled", "fault": "rls_disabled"}]
    assert d.http.get("/supabase/rest/v1/payments", headers=ANON).json() != []
    back = d.http.post("/_drill/advance", params={"to": "1m"})
    assert back.status_code == 400
    assert "cannot go back" in back.json()["error"]
    assert d.http.post("/_drill/advance", params={"to": "soon"}).status_code == 400


# --- the simulator command -----------------------------------------------------------------------


def test_simulator_help() -> None:
    result = CliRunner().invoke(main, ["simulator", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--speed", "--write-config", "SCENARIO"):
        assert option in result.output


def test_simulator_unknown_scenario_exits_2_listing_them() -> None:
    result = CliRunner().invoke(main, ["simulator", "payment-processing-sideways"])
    assert result.exit_code == 2
    for name in available_scenarios():
        assert name in result.output


def test_simulator_bad_speed_exits_2() -> None:
    assert CliRunner().invoke(main, ["simulator", "--speed", "0"]).exit_code == 2


def test_simulator_busy_port_exits_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = CliRunner().invoke(main, ["simulator", "--port", str(busy.getsockname()[1])])
    assert result.exit_code == 2
    assert "--port 0" in result.output


def test_simulator_command_runs_until_ctrl_c(tmp_path: Path) -> None:
    config = tmp_path / "drill.toml"
    # Python leaves SIGINT ignored when started with it ignored (a background job): undo that.
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from stratus_commander.cli import main; main()"
    )
    args = [
        "simulator",
        "rls-disabled",
        "--port",
        "0",
        "--speed",
        "60",
        "--write-config",
        str(config),
    ]
    # The with-block closes the pipes whatever happens (an unclosed pipe warns in a later test).
    with subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as proc:
        try:
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("Press Ctrl-C"):
                    break
            output = "".join(lines)
            base = output.split("Listening on ", 1)[1].split()[0]
            assert base.startswith("http://127.0.0.1:")
            for name, value in KEYS.items():
                assert f"export {name}={value}" in output
            probes = tomllib.loads(config.read_text(encoding="utf-8"))["probes"]
            assert probes[0]["url"] == f"{base}/platform/api/health"
            with httpx.Client() as client:
                state = client.post(f"{base}/_drill/advance", params={"to": "2m"}).json()
            assert state["scenario"] == "rls-disabled"
            announced = proc.stdout.readline()
            assert announced.startswith("[+1m] ")
            proc.send_signal(signal.SIGINT)
            rest, errors = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, errors
    assert "Simulator stopped." in rest


def test_advance_to_takes_text_or_timedelta() -> None:
    sim = Simulator(scenario_with(), clock=FakeClock(START))
    sim.advance_to(timedelta(seconds=90))
    sim.advance_to("2m")
    assert sim.elapsed() == timedelta(minutes=2)
