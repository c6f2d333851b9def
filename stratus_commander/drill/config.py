"""The probe config that points the cockpit at a running drill simulator, and the drill's fake keys.

The config holds only ``env:`` references; the values come from :func:`drill_secrets`, which the
``simulator`` command prints as shell assignments and the ``drill`` command sets in-process. The
keys look real (so redaction is exercised as in production) but are derived from fixed seeds:
they open nothing outside the simulator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
from typing import Any

from stratus_commander.drill.inventory import CONNECT_ACCOUNT, PROTECTED_TABLES

ENV_STRIPE_KEY = "STRATUS_DRILL_STRIPE_KEY"
ENV_WHSEC = "STRATUS_DRILL_WHSEC"
ENV_SUPABASE_ANON = "STRATUS_DRILL_SUPABASE_ANON"
ENV_UPTIMEROBOT = "STRATUS_DRILL_UPTIMEROBOT"

#: The drill's probe ids, in the runbook's triage order (scenario expectations name these).
PROBE_IDS = (
    "api-health",
    "stripe-webhook-signature",
    "stripe-api",
    "supabase",
    "stripe-status",
    "supabase-status",
    "cdn-status",
    "uptimerobot",
)

# Scenario time between two checks of a probe; real intervals shrink with --speed, down to 1 s.
_INTERVAL_S = 5.0
_MIN_INTERVAL_S = 1.0
# A whole check (up to three calls to a slowed endpoint) fits: slow reads slow, not timed out.
_TIMEOUT_S = 5.0

_ALPHANUM = string.digits + string.ascii_letters


def _seeded(seed: str, length: int, alphabet: str = _ALPHANUM) -> str:
    """Deterministic key-like characters (random-looking, same every run)."""
    out: list[str] = []
    counter = 0
    while len(out) < length:
        digest = hashlib.sha256(f"stratus-drill:{seed}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in digest)
        counter += 1
    return "".join(out[:length])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _anon_jwt() -> str:
    """A JWT shaped like a Supabase anon key (HS256, role anon)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    issued = 1764000000
    claims = {
        "iss": "supabase",
        "ref": "stratusdrill0001",
        "role": "anon",
        "iat": issued,
        "exp": issued + 10 * 365 * 86400,
    }
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    key = _seeded("jwt-secret", 40).encode()
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def drill_secrets() -> dict[str, str]:
    """Env var name -> fake key, for every secret reference in :func:`probe_config_toml`."""
    return {
        ENV_STRIPE_KEY: "sk_test_51Drill" + _seeded("stripe", 92),
        ENV_WHSEC: "whsec_" + _seeded("whsec", 32),
        ENV_SUPABASE_ANON: _anon_jwt(),
        ENV_UPTIMEROBOT: "u1234567-" + _seeded("uptimerobot", 24, "0123456789abcdef"),
    }


def probe_interval_s(speed: float = 1.0) -> float:
    return max(_MIN_INTERVAL_S, round(_INTERVAL_S / speed, 2))


def drill_probes(base_url: str, speed: float = 1.0) -> list[dict[str, Any]]:
    """The ``[[probes]]`` tables, as data."""
    base = base_url.rstrip("/")
    common = {"interval_s": probe_interval_s(speed), "timeout_s": _TIMEOUT_S}
    probes: list[dict[str, Any]] = [
        {
            "id": "api-health",
            "kind": "http",
            "check": "api",
            "url": f"{base}/platform/api/health",
            "expect_status": [200],
            "degraded_ms": 800,
            "expect_json": {"status": "ok"},
        },
        {
            "id": "stripe-webhook-signature",
            "kind": "webhook-signature",
            "check": "webhooks",
            "url": f"{base}/platform/webhooks/stripe",
            "secret": f"env:{ENV_WHSEC}",
        },
        {
            "id": "stripe-api",
            "kind": "stripe",
            "check": "webhooks",
            "api_key": f"env:{ENV_STRIPE_KEY}",
            "api_base": f"{base}/stripe",
            "connect_accounts": [CONNECT_ACCOUNT],
        },
        {
            "id": "supabase",
            "kind": "supabase",
            "check": "database",
            "url": f"{base}/supabase",
            "anon_key": f"env:{ENV_SUPABASE_ANON}",
            "protected_tables": [PROTECTED_TABLES[0]],
        },
        {
            "id": "stripe-status",
            "kind": "stripe-status",
            "check": "external",
            "url": f"{base}/stripe-status",
        },
        {
            "id": "supabase-status",
            "kind": "statuspage",
            "check": "external",
            "url": f"{base}/statuspage/supabase",
        },
        {
            "id": "cdn-status",
            "kind": "statuspage",
            "check": "external",
            "url": f"{base}/statuspage/cdn",
        },
        {
            "id": "uptimerobot",
            "kind": "uptimerobot",
            "check": "external",
            "api_key": f"env:{ENV_UPTIMEROBOT}",
            "api_base": f"{base}/uptimerobot",
        },
    ]
    # Common keys first so each table reads id, kind, check, timing, then the kind's own keys.
    return [{**{k: p[k] for k in ("id", "kind", "check")}, **common, **p} for p in probes]


def probe_config_toml(base_url: str, speed: float = 1.0) -> str:
    """The probe config TOML for a simulator listening at ``base_url``."""
    lines = [
        f"# Probe config for the drill simulator at {base_url} (speed x{speed:g}).",
        "# Secrets are env: references; `stratus-commander simulator` prints their values.",
    ]
    for probe in drill_probes(base_url, speed):
        lines += ["", "[[probes]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in probe.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    # The values are ours (str, number, list, flat table), so a small writer is enough.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")
