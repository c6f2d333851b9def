"""``uptimerobot`` probe: what UptimeRobot's own monitors say (v2 ``getMonitors``).

``POST {api_base}/v2/getMonitors`` with the form
``api_key=…&format=json&custom_uptime_ratios=1-7-30`` (paged by 50, at most :data:`MAX_PAGES`
pages), then per watched monitor (``monitors`` by friendly name, case-insensitive; empty = all):

    status 2      up
    status 8, 9   down ("seems down" counts: UptimeRobot only says it after a failed check, and
                  the engine's fail threshold already debounces)
    status 0, 1   paused / not checked yet: no evidence either way. Such monitors are named in the
                  detail but do not count; when *no* watched monitor has evidence the probe is
                  ``unknown`` — a paused monitor must not read as "all up".

A missing or refused API key, a ``stat: fail`` answer, an unreadable or unreachable API are
``unknown`` (``ON_TIMEOUT`` too): UptimeRobot failing to answer says nothing about our services.
HTTP 429 is ``unknown`` with ``retry_after_s`` from ``Retry-After``; the engine does not poll again
before it.

Metrics: the lowest 1/7/30-day uptime ratio (percent) over watched monitors, the mean response
time, counts up/down, and with ``monitors`` listed each one's 30-day ratio (``uptime_30d:<name>``).
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from pydantic import Field

from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult, make_result, worst
from stratus_commander.probes.checks import Check
from stratus_commander.probes.fetch import FetchFailed, HttpURL, fetch, retry_after_seconds
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import missing_credential

ON_TIMEOUT = Outcome.UNKNOWN

STATUSES = {2: Outcome.UP, 8: Outcome.DOWN, 9: Outcome.DOWN}
NO_EVIDENCE = {0: "paused", 1: "not checked yet"}
PAGE_SIZE = 50
MAX_PAGES = 10


class Spec(ProbeSpec):
    kind: Literal["uptimerobot"]
    check: Check = "external"
    api_key: str = Field(min_length=1)  # a secret reference: "env:UPTIMEROBOT_API_KEY"
    api_base: HttpURL = "https://api.uptimerobot.com"
    monitors: list[str] = Field(default_factory=list)  # friendly names to watch; empty = all


class _Unknown(Exception):
    """The API could not tell us anything; ``args[0]`` says why."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


def _ratios(monitor: dict[str, Any]) -> list[float] | None:
    raw = monitor.get("custom_uptime_ratio")
    if not isinstance(raw, str):
        return None
    try:
        values = [float(part) for part in raw.split("-")]
    except ValueError:
        return None
    return values if len(values) == 3 else None


async def _all_monitors(spec: Spec, ctx: CheckContext, key: str) -> tuple[list[Any], float]:
    monitors: list[Any] = []
    elapsed = 0.0
    for page in range(MAX_PAGES):
        form = {
            "api_key": key,
            "format": "json",
            "custom_uptime_ratios": "1-7-30",
            "limit": str(PAGE_SIZE),
            "offset": str(page * PAGE_SIZE),
        }
        try:
            got = await fetch(ctx, "POST", f"{spec.api_base}/v2/getMonitors", data=form)
        except FetchFailed as exc:
            raise _Unknown(f"UptimeRobot API unreachable: {exc.reason}") from None
        elapsed += got.elapsed_ms
        if got.status == 429:
            wait = retry_after_seconds(got.headers, ctx.now())
            raise _Unknown(f"rate limited by UptimeRobot; next poll in {wait:.0f} s", wait)
        if got.status != 200:
            raise _Unknown(f"UptimeRobot API answered HTTP {got.status}: {got.snippet()}")
        try:
            data = got.json()
        except FetchFailed as exc:
            raise _Unknown(f"UptimeRobot API unreadable: {exc.reason}") from None
        if not isinstance(data, dict):
            raise _Unknown(f"UptimeRobot API unreadable: {got.snippet()}")
        if data.get("stat") != "ok":
            error = data.get("error")
            # The error echoes the api_key it refused: the engine redacts every detail.
            text = (error.get("message") or error.get("type")) if isinstance(error, dict) else None
            raise _Unknown(f"UptimeRobot refused the request: {text or got.snippet()}")
        batch = data.get("monitors")
        if not isinstance(batch, list):
            raise _Unknown("UptimeRobot answer has no monitors list")
        monitors.extend(batch)
        pagination = data.get("pagination")
        total = pagination.get("total") if isinstance(pagination, dict) else None
        if not isinstance(total, int) or len(monitors) >= total or not batch:
            break
    return monitors, elapsed


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    key = ctx.resolve_secret(spec.api_key)
    if key is None:
        return make_result(spec, ctx, Outcome.UNKNOWN, missing_credential(spec.api_key))
    try:
        monitors, latency = await _all_monitors(spec, ctx, key)
    except _Unknown as exc:
        return make_result(spec, ctx, Outcome.UNKNOWN, exc.reason, retry_after_s=exc.retry_after_s)

    named = [m for m in monitors if isinstance(m, dict) and isinstance(m.get("friendly_name"), str)]
    watched = {n.casefold() for n in spec.monitors}
    if watched:
        named = [m for m in named if m["friendly_name"].casefold() in watched]
    found = {m["friendly_name"].casefold() for m in named}
    missing = [n for n in spec.monitors if n.casefold() not in found]

    outcomes: list[Outcome] = []
    notes: list[str] = []
    ratios: list[list[float]] = []
    response_times: list[float] = []
    metrics: dict[str, float] = {"latency_ms": latency}
    for mon in named:
        name: str = mon["friendly_name"]
        status: Any = mon.get("status")
        if status in STATUSES:
            outcomes.append(STATUSES[status])
            if STATUSES[status] is not Outcome.UP:
                notes.append(f"{name} {'seems down' if status == 8 else 'down'}")
        else:
            notes.append(f"{name} {NO_EVIDENCE.get(status, f'status {status!r}?')}")
        r = _ratios(mon)
        if r is not None:
            ratios.append(r)
            if watched:
                metrics[f"uptime_30d:{name}"] = r[2]
        avg: Any = mon.get("average_response_time")
        # Absent for paused monitors; often a numeric string otherwise.
        with contextlib.suppress(TypeError, ValueError):
            response_times.append(float(avg))
    if missing:
        notes.append("no such monitor: " + ", ".join(missing))

    outcome = worst(outcomes) if outcomes else Outcome.UNKNOWN
    if outcome is Outcome.UP and missing:
        outcome = Outcome.UNKNOWN
    up = outcomes.count(Outcome.UP)
    metrics["monitors_up"] = float(up)
    metrics["monitors_down"] = float(len(outcomes) - up)
    if ratios:
        for i, days in enumerate((1, 7, 30)):
            metrics[f"uptime_{days}d_min"] = min(r[i] for r in ratios)
    if response_times:
        metrics["response_ms_avg"] = sum(response_times) / len(response_times)

    scope = f"{len(named)} watched monitor(s)" if watched else f"{len(named)} monitor(s)"
    if not named and not missing:
        head = "UptimeRobot: no monitors"
    else:
        head = f"UptimeRobot: {up}/{len(named)} up" if outcomes else f"UptimeRobot: {scope}"
    detail = head + ("; " + "; ".join(notes) if notes else "")
    return make_result(spec, ctx, outcome, detail, latency_ms=latency, metrics=metrics)
