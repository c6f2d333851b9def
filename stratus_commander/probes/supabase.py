"""``supabase`` probe: auth, the REST API and an RLS canary, as the public (anon) key sees them.

- ``GET {url}/auth/v1/health`` with the ``apikey`` header: GoTrue answers ``{version, name, …}``;
- ``GET {url}/rest/v1/{rest_table}?select=*&limit=1`` (when ``rest_table`` is set): PostgREST
  reaches the database. PostgREST answers 503 when the database refuses connections (SQLSTATE
  53300, too many connections, or it cannot connect at all): ``down``, "connection pool
  exhausted (503)";
- the RLS canary: the same read of each of ``protected_tables``. The anon key must get no rows
  (``200 []``) or be refused (401/403); rows coming back mean anyone on the internet can read
  them: ``down``, "RLS not enforced on payments".

A service-role or ``sb_secret_`` key bypasses RLS, which would make the canary lie; such a key is
refused (``unknown``) rather than used.

Whose fault: auth health answering 5xx is Supabase's own service saying it fails (its health
answer asks nothing of our tables or queries), so that finding points to the provider whatever
triage group the probe sits in. A REST 503 does not: PostgREST says the same when *our* queries
exhausted the pool. No answer at all could be this laptop's network; the check group decides.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
from typing import Literal
from urllib.parse import quote

from pydantic import Field, field_validator

from stratus_commander.probes.base import (
    CheckContext,
    Finding,
    Outcome,
    Party,
    ProbeResult,
    make_result,
    summarise_findings,
)
from stratus_commander.probes.fetch import Fetched, FetchFailed, HttpURL, fetch
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import missing_credential

_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# How PostgREST reports SQLSTATE 53300: its own code (PGRST000/001) with the server's words in
# ``message`` ("… (SQLSTATE 53300)") or ``details`` ("FATAL: sorry, too many clients already").
_POOL_EXHAUSTED = (
    "53300",
    "too many clients",
    "too many connections",
    "remaining connection slots",
)


class Spec(ProbeSpec):
    kind: Literal["supabase"]
    url: HttpURL  # https://<project>.supabase.co
    anon_key: str = Field(min_length=1)  # a secret reference to the anon / publishable key
    rest_table: str | None = None
    protected_tables: tuple[str, ...] = ()

    @field_validator("protected_tables")
    @classmethod
    def _tables(cls, tables: tuple[str, ...]) -> tuple[str, ...]:
        for name in tables:
            _table_name(name)
        return tables

    @field_validator("rest_table")
    @classmethod
    def _table(cls, name: str | None) -> str | None:
        return None if name is None else _table_name(name)


def _table_name(name: str) -> str:
    if not _TABLE.match(name):
        raise ValueError(f"{name!r} is not a table name exposed by PostgREST (letters, _, digits)")
    return name


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    started = time.perf_counter()
    key = ctx.resolve_secret(spec.anon_key)
    if key is None:
        return make_result(spec, ctx, Outcome.UNKNOWN, missing_credential(spec.anon_key))
    if _bypasses_rls(key):
        return make_result(
            spec,
            ctx,
            Outcome.UNKNOWN,
            "anon_key is a service-role/secret key (it bypasses RLS): configure the anon or "
            "publishable key",
        )
    headers = {"apikey": key}
    if key.startswith("eyJ"):
        # Legacy anon JWT: PostgREST takes the role from the bearer token. The new publishable
        # keys are not JWTs and go in ``apikey`` only.
        headers["Authorization"] = f"Bearer {key}"

    metrics: dict[str, float] = {}
    parts = [_auth(spec, ctx, headers, metrics)]
    if spec.rest_table:
        parts.append(_rest(spec, ctx, headers, spec.rest_table, metrics))
    parts += [_canary(spec, ctx, headers, table) for table in spec.protected_tables]
    # Each part returns what is wrong (nothing when its check passed).
    findings = [f for found in await asyncio.gather(*parts) for f in found]
    latency_ms = (time.perf_counter() - started) * 1000
    if not findings:
        return make_result(
            spec, ctx, Outcome.UP, _summary(spec, metrics), latency_ms=latency_ms, metrics=metrics
        )
    outcome, detail = summarise_findings(findings)
    return make_result(
        spec, ctx, outcome, detail, latency_ms=latency_ms, metrics=metrics, findings=findings
    )


async def _auth(
    spec: Spec, ctx: CheckContext, headers: dict[str, str], metrics: dict[str, float]
) -> list[Finding]:
    try:
        got = await fetch(ctx, "GET", f"{spec.url}/auth/v1/health", headers=headers)
    except FetchFailed as exc:
        return [Finding(Outcome.DOWN, f"auth: {exc.reason}")]
    metrics["auth_ms"] = got.elapsed_ms
    if got.status in (401, 403):
        return [Finding(Outcome.UNKNOWN, f"Supabase rejected the anon key ({got.status})")]
    if got.status != 200:
        provider: Party | None = "provider" if got.status >= 500 else None
        return [Finding(Outcome.DOWN, f"auth health HTTP {got.status}: {got.snippet()}", provider)]
    try:
        body = got.json()
    except FetchFailed as exc:
        return [Finding(Outcome.DOWN, f"auth health: {exc.reason}")]
    if not isinstance(body, dict) or "version" not in body:
        return [Finding(Outcome.DOWN, f"auth health is not GoTrue's: {got.snippet()}")]
    return []


async def _read(ctx: CheckContext, spec: Spec, headers: dict[str, str], table: str) -> Fetched:
    url = f"{spec.url}/rest/v1/{quote(table)}?select=*&limit=1"
    return await fetch(ctx, "GET", url, headers={**headers, "Accept": "application/json"})


async def _rest(
    spec: Spec, ctx: CheckContext, headers: dict[str, str], table: str, metrics: dict[str, float]
) -> list[Finding]:
    try:
        got = await _read(ctx, spec, headers, table)
    except FetchFailed as exc:
        return [Finding(Outcome.DOWN, f"REST: {exc.reason}")]
    metrics["rest_ms"] = got.elapsed_ms
    if got.status == 200:
        return []
    return [_rest_failure(got, table)]


async def _canary(
    spec: Spec, ctx: CheckContext, headers: dict[str, str], table: str
) -> list[Finding]:
    try:
        got = await _read(ctx, spec, headers, table)
    except FetchFailed as exc:
        return [Finding(Outcome.DOWN, f"RLS check of {table}: {exc.reason}")]
    if got.status in (401, 403) and _postgrest_error(got).get("code") == "42501":
        # Permission denied: the anon role has no grant at all, protected even without RLS.
        return []
    if got.status != 200:
        return [_rest_failure(got, table)]
    try:
        rows = got.json()
    except FetchFailed as exc:
        return [Finding(Outcome.DOWN, f"RLS check of {table}: {exc.reason}")]
    if not isinstance(rows, list):
        return [Finding(Outcome.DOWN, f"RLS check of {table}: not a row list: {got.snippet()}")]
    if rows:
        return [Finding(Outcome.DOWN, f"RLS not enforced on {table}: the anon key reads its rows")]
    return []


def _rest_failure(got: Fetched, table: str) -> Finding:
    error = _postgrest_error(got)
    code, message = error.get("code", ""), error.get("message", "")
    if got.status == 503 or code == "53300":
        said = f"{code} {message} {error.get('details', '')}".lower()
        if any(sign in said for sign in _POOL_EXHAUSTED):
            return Finding(Outcome.DOWN, "connection pool exhausted (503)")
        why = message or got.snippet()
        return Finding(Outcome.DOWN, f"REST cannot reach the database (503): {why}")
    if code == "42501":
        return Finding(Outcome.UNKNOWN, f"the anon role may not read {table}: pick a public table")
    if got.status in (401, 403):
        return Finding(Outcome.UNKNOWN, f"Supabase rejected the anon key ({got.status})")
    if got.status == 404 or code in ("42P01", "PGRST205"):
        return Finding(Outcome.UNKNOWN, f"table {table} not found in the REST API")
    why = f"{code} {message}".strip() or got.snippet()
    return Finding(Outcome.DOWN, f"REST read of {table}: HTTP {got.status}: {why}")


def _postgrest_error(got: Fetched) -> dict[str, str]:
    """PostgREST's ``{code, message, details, hint}`` error body, or {} when it is not one."""
    try:
        body = json.loads(got.body)
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    return {k: str(body[k]) for k in ("code", "message", "details") if body.get(k) is not None}


def _bypasses_rls(key: str) -> bool:
    if key.startswith("sb_secret_"):
        return True
    if not key.startswith("eyJ"):
        return False
    # A legacy key is a JWT whose ``role`` claim names it; its signature is not ours to check.
    try:
        payload = key.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return False
    return isinstance(claims, dict) and claims.get("role") == "service_role"


def _summary(spec: Spec, metrics: dict[str, float]) -> str:
    parts = [f"auth {metrics.get('auth_ms', 0):.0f} ms"]
    if spec.rest_table:
        parts.append(f"REST {metrics.get('rest_ms', 0):.0f} ms")
    if spec.protected_tables:
        parts.append(f"{len(spec.protected_tables)} protected table(s) closed to anon")
    return "ok: " + ", ".join(parts)
