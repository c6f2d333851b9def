"""The providers the platform depends on, as the drill fakes them (shapes per DESIGN.md).

- ``/stripe-status/current``: status.stripe.com's undocumented summary.
- ``/statuspage/<page>/api/v2/summary.json``: Statuspage v2 pages (Supabase and the CDN).
- ``/uptimerobot/v2/getMonitors``: UptimeRobot API v2.
- ``/supabase/auth/v1/health`` and ``/supabase/rest/v1/<table>``: Supabase auth and PostgREST.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from stratus_commander.clock import to_iso
from stratus_commander.drill.config import ENV_SUPABASE_ANON, ENV_UPTIMEROBOT
from stratus_commander.drill.faults import (
    DbPoolExhausted,
    DbSlow,
    RlsDisabled,
    Statuspage,
    StripeStatus,
    SupabaseDown,
    UptimerobotDown,
    UptimerobotRateLimited,
)
from stratus_commander.drill.inventory import (
    MONITORS,
    PROTECTED_TABLES,
    STATUS_PAGES,
    TABLE_ROWS,
)
from stratus_commander.drill.routing import Request, Response, World, json_response

_STRIPE_SERVICES = ("api", "dashboard", "stripejs", "checkoutjs", "webhooks", "emails")


class StripeStatusPage:
    """status.stripe.com ``/current``."""

    def handle(self, request: Request, world: World) -> Response:
        if (request.method, request.path) != ("GET", "/current"):
            return json_response(404, {"error": "not found"})
        statuses = dict.fromkeys(_STRIPE_SERVICES, "up")
        fault = world.faults.first(StripeStatus)
        if fault:
            statuses.update(dict.fromkeys(fault.services, fault.level))
            default = "Stripe is experiencing " + (
                "degraded performance" if fault.level == "degraded" else "an outage"
            )
            message = fault.message or f"{default}: {', '.join(fault.services)}."
        else:
            message = "All services are online."
        worst = max(statuses.values(), key=_rank)
        return json_response(
            200,
            {
                "largestatus": worst,
                "message": message,
                "time": world.now.strftime("%Y-%m-%d %H:%M:%S UTC"),
                "statuses": statuses,
            },
        )


def _rank(level: str) -> int:
    return ("up", "degraded", "down").index(level)


_INDICATOR_TEXT = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}


class StatuspagePages:
    """Statuspage v2 ``/<page>/api/v2/summary.json`` for each page in the inventory."""

    def handle(self, request: Request, world: World) -> Response:
        page_key, _, rest = request.path.lstrip("/").partition("/")
        page = STATUS_PAGES.get(page_key)
        if page is None or (request.method, rest) != ("GET", "api/v2/summary.json"):
            return json_response(404, {"error": "not found"})
        fault = next((f for f in world.faults.of(Statuspage) if f.page == page_key), None)
        now = to_iso(world.now)
        components = [
            {
                "id": _stable_id(page.id, name),
                "name": name,
                "status": fault.components.get(name, "operational") if fault else "operational",
                "created_at": "2020-06-01T00:00:00.000Z",
                "updated_at": now,
                "position": position,
                "description": None,
                "showcase": True,
                "start_date": None,
                "group_id": None,
                "page_id": page.id,
                "group": False,
                "only_show_if_degraded": False,
            }
            for position, name in enumerate(page.components, start=1)
        ]
        incidents = []
        if fault and fault.incident:
            incidents.append(
                {
                    "id": _stable_id(page.id, fault.incident),
                    "name": fault.incident,
                    "status": fault.incident_status,
                    "impact": "none" if fault.indicator == "maintenance" else fault.indicator,
                    "created_at": now,
                    "updated_at": now,
                    "monitoring_at": now if fault.incident_status == "monitoring" else None,
                    "resolved_at": None,
                    "shortlink": f"https://stspg.io/{_stable_id(page.id, fault.incident)[:9]}",
                    "started_at": now,
                    "page_id": page.id,
                    "incident_updates": [],
                    "components": [c for c in components if c["status"] != "operational"],
                }
            )
        indicator = fault.indicator if fault else "none"
        return json_response(
            200,
            {
                "page": {
                    "id": page.id,
                    "name": page.name,
                    "url": page.url,
                    "time_zone": "Etc/UTC",
                    "updated_at": now,
                },
                "status": {"indicator": indicator, "description": _INDICATOR_TEXT[indicator]},
                "components": components,
                "incidents": incidents,
                "scheduled_maintenances": [],
            },
        )


class UptimeRobot:
    """UptimeRobot API v2 ``POST /v2/getMonitors`` (form ``api_key``, ``format=json``)."""

    def handle(self, request: Request, world: World) -> Response:
        if request.path != "/v2/getMonitors":
            return json_response(404, {"stat": "fail", "error": {"type": "not_found"}})
        if request.method != "POST":
            return json_response(405, {"stat": "fail", "error": {"type": "method_not_allowed"}})
        limited = world.faults.first(UptimerobotRateLimited)
        if limited:
            return json_response(
                429,
                {"stat": "fail", "error": {"type": "rate_limit", "message": "Too Many Requests"}},
                headers=(("Retry-After", str(limited.retry_after)),),
            )
        form = request.form()
        if "api_key" not in form:
            return _uptimerobot_fail("missing_parameter", "api_key")
        if not secrets.compare_digest(form["api_key"], world.secrets[ENV_UPTIMEROBOT]):
            # The real API echoes the key back; a drill must not teach leaking it.
            return _uptimerobot_fail("invalid_parameter", "api_key")
        wanted = {m for m in form.get("monitors", "").split("-") if m}
        down = {f.monitor: f.status for f in world.faults.of(UptimerobotDown)}
        monitors = [
            _monitor(m.id, m.name, m.url, m.average_response_ms, down.get(m.name))
            for m in MONITORS
            if not wanted or str(m.id) in wanted
        ]
        return json_response(
            200,
            {
                "stat": "ok",
                "pagination": {"offset": 0, "limit": 50, "total": len(monitors)},
                "monitors": monitors,
            },
        )


def _uptimerobot_fail(kind: str, parameter: str) -> Response:
    return json_response(
        200, {"stat": "fail", "error": {"type": kind, "parameter_name": parameter}}
    )


def _monitor(
    monitor_id: int, name: str, url: str, response_ms: float, down_status: int | None
) -> dict[str, Any]:
    # UptimeRobot sends ratios and response times as text.
    return {
        "id": monitor_id,
        "friendly_name": name,
        "url": url,
        "type": 1,
        "sub_type": "",
        "keyword_type": None,
        "keyword_value": "",
        "http_username": "",
        "http_password": "",
        "port": "",
        "interval": 300,
        "status": down_status or 2,
        "create_datetime": 1704067200,
        "custom_uptime_ratio": "97.916-99.702-99.931" if down_status else "100.000-99.991-99.987",
        "average_response_time": "0.000" if down_status == 9 else f"{response_ms:.3f}",
    }


class Supabase:
    """Supabase auth health and PostgREST reads, with the RLS switch."""

    def handle(self, request: Request, world: World) -> Response:
        faults = world.faults
        if faults.first(SupabaseDown):
            return json_response(
                503,
                {"message": "upstream connect error or disconnect/reset before headers"},
            )
        apikey = request.header("apikey")
        if not apikey:
            return json_response(
                401,
                {
                    "message": "No API key found in request",
                    "hint": "No `apikey` request header or url param was found.",
                },
            )
        if not secrets.compare_digest(apikey, world.secrets[ENV_SUPABASE_ANON]):
            return json_response(
                401,
                {
                    "message": "Invalid API key",
                    "hint": "Double check your Supabase `anon` or `service_role` API key.",
                },
            )
        if (request.method, request.path) == ("GET", "/auth/v1/health"):
            return json_response(
                200,
                {
                    "version": "v2.170.0",
                    "name": "GoTrue",
                    "description": "GoTrue is a user registration and authentication API",
                },
            )
        table = request.path.removeprefix("/rest/v1/")
        if request.method == "GET" and table != request.path and "/" not in table:
            return _rest_read(table, request, world)
        return json_response(404, {"message": "no Route matched with those values"})


def _rest_read(table: str, request: Request, world: World) -> Response:
    faults = world.faults
    slow = faults.first(DbSlow)
    delay = slow.ms if slow else 0
    content_type = "application/json; charset=utf-8"
    if faults.first(DbPoolExhausted):
        return json_response(
            503,
            {
                "code": "PGRST000",
                "details": 'connection to server at "db.stratusdrill0001.supabase.co", port 5432 '
                "failed: FATAL:  sorry, too many clients already",
                "hint": None,
                "message": "Database client error. Retrying the connection. (SQLSTATE 53300)",
            },
            delay_ms=delay,
            content_type=content_type,
        )
    if table not in TABLE_ROWS:
        return json_response(
            404,
            {
                "code": "PGRST205",
                "details": None,
                "hint": None,
                "message": f"Could not find the table 'public.{table}' in the schema cache",
            },
            delay_ms=delay,
            content_type=content_type,
        )
    # Anon sees no row of a protected table while RLS is on (no anon policy): 200 [].
    hidden = table in PROTECTED_TABLES and not faults.first(RlsDisabled)
    rows = [] if hidden else TABLE_ROWS[table]
    limit_text = request.query.get("limit")
    if limit_text is not None:
        if not limit_text.isdigit():
            return json_response(
                400,
                {
                    "code": "PGRST100",
                    "details": f'unexpected "{limit_text}" expecting digit',
                    "hint": None,
                    "message": '"failed to parse limit parameter"',
                },
                content_type=content_type,
            )
        rows = rows[: int(limit_text)]
    content_range = f"0-{len(rows) - 1}/*" if rows else "*/*"
    return json_response(
        200,
        rows,
        headers=(("Content-Range", content_range),),
        delay_ms=delay,
        content_type=content_type,
    )


def _stable_id(*parts: str) -> str:
    """Statuspage-style 12-character ids, the same every request."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:12]
