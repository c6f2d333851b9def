"""``stripe-status`` probe: status.stripe.com ``/current``.

The payload is undocumented, so it is read defensively::

    {"largestatus": "up|degraded|down", "message": "…", "time": "…",
     "statuses": {"api": "up", "dashboard": "up", "stripejs": "up", "checkoutjs": "up",
                  "webhooks": "up", "emails": "up"}}

With ``services`` listed (e.g. ``["api", "webhooks"]``) only those count; otherwise the worst of
``largestatus`` and every service does. A value this probe does not recognise counts as degraded
(the page changed: worth a look); a payload with neither field is ``unknown``. As for every status
page, failing to read it is ``unknown`` (``ON_TIMEOUT`` too), never ``down``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult, timed_result, worst
from stratus_commander.probes.checks import Check
from stratus_commander.probes.fetch import FetchFailed, HttpURL, get_json
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import redact

ON_TIMEOUT = Outcome.UNKNOWN

VALUES = {"up": Outcome.UP, "degraded": Outcome.DEGRADED, "down": Outcome.DOWN}
_MAX_MESSAGE = 200


class Spec(ProbeSpec):
    kind: Literal["stripe-status"]
    check: Check = "external"
    url: HttpURL = "https://status.stripe.com"
    services: list[str] = Field(default_factory=list)  # keys of "statuses" to watch; empty = all


def _value(raw: Any) -> tuple[Outcome, str]:
    text = raw.strip().lower() if isinstance(raw, str) else repr(raw)
    return VALUES.get(text, Outcome.DEGRADED), text


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    try:
        got, data = await get_json(ctx, f"{spec.url}/current", "Stripe status")
    except FetchFailed as exc:
        return timed_result(spec, ctx, Outcome.UNKNOWN, exc.reason, exc.elapsed_ms)
    latency = got.elapsed_ms
    if not isinstance(data, dict):
        detail = f"unrecognised Stripe status: {got.snippet()}"
        return timed_result(spec, ctx, Outcome.UNKNOWN, detail, latency)
    statuses = data.get("statuses")
    statuses = statuses if isinstance(statuses, dict) else {}
    large = data.get("largestatus")
    if large is None and not statuses:
        detail = f"unrecognised Stripe status: {got.snippet()}"
        return timed_result(spec, ctx, Outcome.UNKNOWN, detail, latency)

    outcomes: list[Outcome] = []
    notes: list[str] = []
    if spec.services:
        for service in spec.services:
            if service not in statuses:
                notes.append(f"{service} not reported")
                continue
            outcome, text = _value(statuses[service])
            outcomes.append(outcome)
            if outcome is not Outcome.UP:
                notes.append(f"{service} {text}")
    else:
        if large is not None:
            outcomes.append(_value(large)[0])
        for service, raw in statuses.items():
            outcome, text = _value(raw)
            outcomes.append(outcome)
            if outcome is not Outcome.UP:
                notes.append(f"{service} {text}")

    outcome = worst(outcomes)
    if outcome is Outcome.UP and len(outcomes) < len(spec.services):
        outcome = Outcome.UNKNOWN  # a watched service is missing and nothing else is wrong
    message = data.get("message")
    if isinstance(message, str) and message.strip() and outcome is not Outcome.UP:
        text = " ".join(redact(message).split())  # redacted whole, then cut: see fetch.snippet
        notes.append(text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…")
    scope = "watched services" if spec.services else "all services"
    head = f"Stripe: {scope} up" if outcome is Outcome.UP else f"Stripe {outcome.value}"
    detail = head + ("; " + "; ".join(notes) if notes else "")
    metrics = {
        "services_degraded": float(
            sum(_value(v)[0] is Outcome.DEGRADED for v in statuses.values())
        ),
        "services_down": float(sum(_value(v)[0] is Outcome.DOWN for v in statuses.values())),
    }
    return timed_result(spec, ctx, outcome, detail, latency, metrics)
