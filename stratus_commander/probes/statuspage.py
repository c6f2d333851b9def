"""``statuspage`` probe: a provider's Statuspage v2 page (Supabase, Vercel, Cloudflare, GitHub…).

``GET {url}/api/v2/summary.json`` and read the page indicator, the components and the unresolved
incidents:

    up        indicator ``none`` and every watched component ``operational``
    degraded  indicator ``minor``/``maintenance``; a component ``degraded_performance`` or
              ``under_maintenance`` (or a status this probe does not recognise)
    down      indicator ``major``/``critical``; a component ``partial_outage``/``major_outage``
    unknown   the page could not be read (unreachable, not JSON, not a summary), or a watched
              component is not on the page and nothing else is wrong

With ``components`` listed, only those count (by name, case-insensitive) and the page-wide
indicator is reported but not judged: an outage of a product we do not use is not our outage.

A status page that does not answer tells us nothing about the provider, so failures to read it are
``unknown`` (``ON_TIMEOUT`` too), never ``down``: the triage hint must not blame a provider for its
status page being slow.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult, timed_result, worst
from stratus_commander.probes.checks import Check
from stratus_commander.probes.fetch import FetchFailed, HttpURL, get_json
from stratus_commander.probes.spec import ProbeSpec

ON_TIMEOUT = Outcome.UNKNOWN

INDICATORS = {
    "none": Outcome.UP,
    "minor": Outcome.DEGRADED,
    "maintenance": Outcome.DEGRADED,
    "major": Outcome.DOWN,
    "critical": Outcome.DOWN,
}
COMPONENT_STATUSES = {
    "operational": Outcome.UP,
    "degraded_performance": Outcome.DEGRADED,
    "under_maintenance": Outcome.DEGRADED,
    "partial_outage": Outcome.DOWN,
    "major_outage": Outcome.DOWN,
}


class Spec(ProbeSpec):
    kind: Literal["statuspage"]
    check: Check = "external"
    url: HttpURL  # the page's base URL, e.g. https://status.supabase.com
    components: list[str] = Field(default_factory=list)  # names to watch; empty = all


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    try:
        got, data = await get_json(ctx, f"{spec.url}/api/v2/summary.json", "status page")
    except FetchFailed as exc:
        return timed_result(spec, ctx, Outcome.UNKNOWN, exc.reason, exc.elapsed_ms)
    latency = got.elapsed_ms
    if not isinstance(data, dict) or not ("status" in data or "components" in data):
        detail = f"not a Statuspage v2 summary: {got.snippet()}"
        return timed_result(spec, ctx, Outcome.UNKNOWN, detail, latency)

    page = data.get("page")
    name = _text(page.get("name")) if isinstance(page, dict) else ""
    status = data.get("status")
    indicator = _text(status.get("indicator")) if isinstance(status, dict) else ""
    description = _text(status.get("description")) if isinstance(status, dict) else ""

    components = [
        c
        for c in data.get("components") or []
        if isinstance(c, dict) and isinstance(c.get("name"), str) and not c.get("group")
    ]
    watched = {n.casefold() for n in spec.components}
    if watched:
        components = [c for c in components if c["name"].casefold() in watched]
    found = {c["name"].casefold() for c in components}
    missing = [n for n in spec.components if n.casefold() not in found]

    component_outcomes: list[Outcome] = []
    notes: list[str] = []
    for comp in components:
        raw = _text(comp.get("status"))
        outcome = COMPONENT_STATUSES.get(raw, Outcome.DEGRADED)
        component_outcomes.append(outcome)
        if outcome is not Outcome.UP:
            label = raw.replace("_", " ") if raw in COMPONENT_STATUSES else f"status {raw!r}?"
            notes.append(f"{comp['name']} {label}")

    outcomes = list(component_outcomes)
    if not watched:  # the whole page counts, its indicator included
        if indicator in INDICATORS:
            outcomes.append(INDICATORS[indicator])
        elif indicator:
            outcomes.append(Outcome.DEGRADED)
            notes.append(f"indicator {indicator!r}?")
    outcome = worst(outcomes)
    if missing:
        notes.append("not on the page: " + ", ".join(missing))
        if outcome is Outcome.UP:
            outcome = Outcome.UNKNOWN
    if not outcomes and not missing:
        outcome = Outcome.UNKNOWN
        notes.append("no indicator and no components")

    incidents = [
        i
        for i in data.get("incidents") or []
        if isinstance(i, dict) and _text(i.get("status")) not in ("resolved", "postmortem")
    ]
    for inc in incidents[:3]:
        notes.append(
            f"incident {_text(inc.get('name')) or '(unnamed)'!r} "
            f"({_text(inc.get('status')) or '?'}, impact {_text(inc.get('impact')) or '?'})"
        )

    head = name or spec.url
    page_wide = (description or indicator) if indicator not in ("", "none") else ""
    if watched:
        if outcome is Outcome.UP:
            head += ": watched components operational"
        if page_wide:
            head += f" (page: {page_wide})"
    elif page_wide:
        head += f": {page_wide}"
    elif outcome is Outcome.UP:
        head += ": all systems operational"
    detail = head + ("; " + "; ".join(notes) if notes else "")
    metrics = {
        "components_degraded": float(component_outcomes.count(Outcome.DEGRADED)),
        "components_down": float(component_outcomes.count(Outcome.DOWN)),
        "incidents_open": float(len(incidents)),
    }
    return timed_result(spec, ctx, outcome, detail, latency, metrics)
