"""``http`` probe: one of our own endpoints (the runbook's "check /api/health").

    up        expected status, JSON expectations met, answered within ``degraded_ms``
    degraded  all of that, but slower than ``degraded_ms``
    down      unreachable, wrong status, body not JSON or a JSON field not as expected
    unknown   a header's credential reference does not resolve

``expect_json`` maps dotted paths to expected values: ``{"status": "ok", "checks.database": "ok"}``;
a path step that is a number indexes a list (``"regions.0.status"``). Numeric fields of a JSON
object body become metrics (``body.error_rate``) so the health endpoint's own figures graph too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult, make_result
from stratus_commander.probes.fetch import FetchFailed, HttpURL, fetch
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import is_secret_ref, missing_credential

_MISSING = object()
_MAX_BODY_METRICS = 20


class Spec(ProbeSpec):
    kind: Literal["http"]
    url: HttpURL
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    expect_status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=lambda: [200], min_length=1
    )
    degraded_ms: float = Field(default=1000.0, gt=0)
    expect_json: dict[str, Any] | None = None
    # A value may be a secret reference ("env:HEALTH_TOKEN"): it is resolved at check time.
    headers: dict[str, str] = Field(default_factory=dict)


def _lookup(data: Any, path: str) -> Any:
    node = data
    for step in path.split("."):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return _MISSING
    return node


def _numeric_leaves(data: Any, prefix: str, out: dict[str, float]) -> None:
    if len(out) >= _MAX_BODY_METRICS:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            _numeric_leaves(value, f"{prefix}.{key}", out)
    elif isinstance(data, int | float) and not isinstance(data, bool):
        out[prefix] = float(data)


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    headers: dict[str, str] = {}
    for name, value in spec.headers.items():
        if is_secret_ref(value):
            resolved = ctx.resolve_secret(value)
            if resolved is None:
                return make_result(spec, ctx, Outcome.UNKNOWN, missing_credential(value))
            value = resolved
        headers[name] = value

    try:
        got = await fetch(ctx, spec.method, spec.url, headers=headers)
    except FetchFailed as exc:
        return make_result(spec, ctx, Outcome.DOWN, exc.reason)

    latency = got.elapsed_ms
    metrics = {"latency_ms": latency, "status_code": float(got.status)}
    where = f" after {got.redirects} redirect(s)" if got.redirects else ""

    def result(outcome: Outcome, detail: str) -> ProbeResult:
        return make_result(spec, ctx, outcome, detail, latency_ms=latency, metrics=metrics)

    if got.status not in spec.expect_status:
        expected = ", ".join(str(c) for c in spec.expect_status)
        return result(
            Outcome.DOWN,
            f"HTTP {got.status}{where} (expected {expected}): {got.snippet()}",
        )

    data: Any = None
    if spec.expect_json is not None:
        try:
            data = got.json()
        except FetchFailed as exc:
            return result(Outcome.DOWN, exc.reason)
    elif "json" in got.content_type:
        try:  # only for the metrics: nothing was expected of this body
            data = got.json()
        except FetchFailed:
            data = None
    _numeric_leaves(data, "body", metrics)

    if spec.expect_json is not None:
        wrong = []
        for path, expected_value in spec.expect_json.items():
            actual = _lookup(data, path)
            if actual is _MISSING:
                wrong.append(f"{path} missing (expected {expected_value!r})")
            elif actual != expected_value:
                wrong.append(f"{path} is {actual!r} (expected {expected_value!r})")
        if wrong:
            return result(Outcome.DOWN, f"HTTP {got.status}{where}: " + "; ".join(wrong))

    detail = f"HTTP {got.status}{where} in {latency:.0f} ms"
    if latency > spec.degraded_ms:
        return result(Outcome.DEGRADED, f"{detail} (slower than {spec.degraded_ms:.0f} ms)")
    return result(Outcome.UP, detail)
