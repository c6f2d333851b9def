"""The statuspage probe against MockTransport: indicator, components, incidents, bad pages."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from stratus_commander.probes import statuspage
from stratus_commander.probes.base import Outcome
from tests.unit.probe_kit import run_check

PAGE = "https://status.supabase.test"

SUMMARY: dict[str, Any] = {
    "page": {"id": "x", "name": "Supabase", "url": PAGE},
    "status": {"indicator": "none", "description": "All Systems Operational"},
    "components": [
        {"id": "g", "name": "Regions", "status": "operational", "group": True},
        {"id": "1", "name": "Database", "status": "operational", "group_id": "g"},
        {"id": "2", "name": "Auth", "status": "operational"},
        {"id": "3", "name": "Storage", "status": "operational"},
    ],
    "incidents": [],
}


def summary(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SUMMARY)
    statuses = changes.pop("components", {})
    for comp in data["components"]:
        comp["status"] = statuses.get(comp["name"], comp["status"])
    data.update(changes)
    return data


def serve(payload: Any, status: int = 200) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v2/summary.json"
        return httpx.Response(status, json=payload)

    return handler


async def probe(payload: Any, **keys: Any) -> Any:
    return await run_check(statuspage, serve(payload), url=PAGE, **keys)


@pytest.mark.asyncio
async def test_all_operational_is_up_in_the_external_group() -> None:
    result = await probe(summary())
    assert result.outcome is Outcome.UP
    assert result.check == "external"  # the kind's default triage group
    assert result.detail == "Supabase: all systems operational"
    assert result.metrics["components_down"] == 0


@pytest.mark.asyncio
async def test_minor_indicator_and_degraded_component_are_degraded() -> None:
    result = await probe(
        summary(
            status={"indicator": "minor", "description": "Minor Service Outage"},
            components={"Auth": "degraded_performance"},
        )
    )
    assert result.outcome is Outcome.DEGRADED
    assert result.detail == "Supabase: Minor Service Outage; Auth degraded performance"


@pytest.mark.asyncio
async def test_maintenance_is_degraded() -> None:
    result = await probe(
        summary(status={"indicator": "maintenance"}, components={"Storage": "under_maintenance"})
    )
    assert result.outcome is Outcome.DEGRADED


@pytest.mark.parametrize("status", ["partial_outage", "major_outage"])
@pytest.mark.asyncio
async def test_outage_is_down_and_names_component_and_incident(status: str) -> None:
    incident = {"name": "Database connectivity", "status": "investigating", "impact": "major"}
    resolved = {"name": "Old one", "status": "resolved", "impact": "minor"}
    result = await probe(
        summary(
            status={"indicator": "major", "description": "Partial System Outage"},
            components={"Database": status},
            incidents=[incident, resolved],
        )
    )
    assert result.outcome is Outcome.DOWN
    assert f"Database {status.replace('_', ' ')}" in result.detail
    assert "incident 'Database connectivity' (investigating, impact major)" in result.detail
    assert "Old one" not in result.detail  # resolved incidents are history, not evidence
    assert result.metrics["incidents_open"] == 1
    assert result.metrics["components_down"] == 1


@pytest.mark.asyncio
async def test_watched_components_only_judge_those() -> None:
    # Storage is down, but we only use Database and Auth: that outage is not ours.
    payload = summary(
        status={"indicator": "major", "description": "Partial System Outage"},
        components={"Storage": "major_outage"},
    )
    result = await probe(payload, components=["database", "Auth"])
    assert result.outcome is Outcome.UP
    assert result.detail == (
        "Supabase: watched components operational (page: Partial System Outage)"
    )

    hurt = await probe(summary(components={"Auth": "partial_outage"}), components=["Auth"])
    assert hurt.outcome is Outcome.DOWN


@pytest.mark.asyncio
async def test_watched_component_missing_is_unknown() -> None:
    result = await probe(summary(), components=["Database", "Realtime"])
    assert result.outcome is Outcome.UNKNOWN
    assert "not on the page: Realtime" in result.detail


@pytest.mark.asyncio
async def test_unrecognised_component_status_counts_as_degraded() -> None:
    result = await probe(summary(components={"Auth": "on_fire"}))
    assert result.outcome is Outcome.DEGRADED
    assert "Auth status 'on_fire'?" in result.detail


@pytest.mark.parametrize(
    ("handler", "text"),
    [
        (serve({"error": "nope"}, status=500), "status page answered HTTP 500"),
        (lambda r: httpx.Response(200, text="<html>maintenance</html>"), "status page unreadable"),
        (serve(["not", "a", "summary"]), "not a Statuspage v2 summary"),
        (serve({"page": {"name": "X"}}), "not a Statuspage v2 summary"),
    ],
)
@pytest.mark.asyncio
async def test_unreadable_page_is_unknown_not_down(handler: Any, text: str) -> None:
    # A broken status page says nothing about the provider: never blame the provider for it.
    result = await run_check(statuspage, handler, url=PAGE)
    assert result.outcome is Outcome.UNKNOWN
    assert text in result.detail


@pytest.mark.asyncio
async def test_unreachable_page_is_unknown() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = await run_check(statuspage, refuse, url=PAGE)
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "status page unreadable: connection refused"


def test_timeout_means_unknown_for_status_pages() -> None:
    assert statuspage.ON_TIMEOUT is Outcome.UNKNOWN
