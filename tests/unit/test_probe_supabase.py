"""The supabase probe against a fake project (GoTrue health + PostgREST with an RLS switch)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from stratus_commander.probes import supabase
from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult

NOW = datetime(2026, 11, 27, 10, 51, 44, 123000, tzinfo=UTC)
PROJECT = "https://qxtestproject.supabase.test"


def jwt(role: str) -> str:
    """A key shaped like Supabase's legacy JWT keys (unsigned: the signature is not checked)."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"iss": "supabase", "ref": "qxtestproject", "role": role, "iat": 1, "exp": 2}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1yZWFs"


ANON = jwt("anon")
PUBLISHABLE = "sb_publishable_QxTestKeyNotReal_0000aaaa"


def respond(status: int, body: object = None, *, raw: bytes | None = None) -> httpx.Response:
    if raw is not None:
        return httpx.Response(status, content=raw, headers={"Content-Type": "text/html"})
    return httpx.Response(status, json=body)


@dataclass
class FakeProject:
    """GoTrue's health and PostgREST as the anon role sees them."""

    keys: tuple[str, ...] = (ANON, PUBLISHABLE)
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            "flights": [{"id": 1, "route": "LHR-JFK"}],
            "payments": [{"id": 7, "amount": 125_00}],
            "operators": [{"id": 3, "name": "Skyline"}],
        }
    )
    rls: set[str] = field(default_factory=lambda: {"payments", "operators"})  # no policy for anon
    not_granted: set[str] = field(default_factory=set)
    pool_exhausted: bool = False
    broken: dict[str, httpx.Response] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path in self.broken:
            return self.broken[path]
        if request.headers.get("apikey") not in self.keys:
            return respond(401, {"message": "Invalid API key"})
        if path == "/auth/v1/health":
            return respond(200, {"version": "v2.177.0", "name": "GoTrue", "description": "…"})
        table = path.removeprefix("/rest/v1/")
        if self.pool_exhausted:
            return respond(503, {"code": "53300", "message": "sorry, too many clients already"})
        if table not in self.tables:
            message = f"Could not find the table 'public.{table}' in the schema cache"
            return respond(404, {"code": "PGRST205", "message": message})
        if table in self.not_granted:
            return respond(401, {"code": "42501", "message": f"permission denied for {table}"})
        rows = [] if table in self.rls else self.tables[table]
        return respond(200, rows[: int(request.url.params.get("limit", "100"))])


def make_spec(**keys: object) -> supabase.Spec:
    fields: dict[str, object] = {
        "id": "supabase",
        "kind": "supabase",
        "check": "database",
        "url": PROJECT,
        "anon_key": "env:SUPABASE_ANON_KEY",
        "rest_table": "flights",
        "protected_tables": ["payments", "operators"],
    }
    return supabase.Spec.model_validate(fields | keys)


async def run(
    handler: Callable[[httpx.Request], httpx.Response], key: str | None = ANON, **keys: object
) -> ProbeResult:
    secrets = {} if key is None else {"env:SUPABASE_ANON_KEY": key}
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        ctx = CheckContext(client=client, resolve_secret=secrets.get, now=lambda: NOW)
        return await supabase.check(make_spec(**keys), ctx)


@pytest.mark.asyncio
async def test_healthy_project_is_up_reading_as_anon() -> None:
    project = FakeProject()
    result = await run(project)
    assert result.outcome is Outcome.UP, result.detail
    assert result.detail.startswith("ok: auth ")
    assert result.detail.endswith("2 protected table(s) closed to anon")
    assert {r.url.path for r in project.requests} == {
        "/auth/v1/health",
        "/rest/v1/flights",
        "/rest/v1/payments",
        "/rest/v1/operators",
    }
    for request in project.requests:
        assert request.headers["apikey"] == ANON
        assert request.headers["authorization"] == f"Bearer {ANON}"
    payments = next(r for r in project.requests if r.url.path == "/rest/v1/payments")
    assert payments.url.params["select"] == "*" and payments.url.params["limit"] == "1"


@pytest.mark.asyncio
async def test_rls_off_on_a_protected_table_is_down_naming_it() -> None:
    project = FakeProject(rls={"operators"})  # RLS switched off on payments
    result = await run(project)
    assert result.outcome is Outcome.DOWN
    assert result.detail == "RLS not enforced on payments: the anon key reads its rows"


@pytest.mark.asyncio
async def test_table_with_no_grant_to_anon_counts_as_protected() -> None:
    project = FakeProject(rls=set(), not_granted={"payments", "operators"})
    assert (await run(project)).outcome is Outcome.UP


@pytest.mark.asyncio
async def test_pool_exhausted_is_down_said_once() -> None:
    result = await run(FakeProject(pool_exhausted=True))
    assert result.outcome is Outcome.DOWN
    assert result.detail == "connection pool exhausted (503)"


@pytest.mark.asyncio
async def test_pool_exhausted_as_postgrest_words_it_is_recognised() -> None:
    exhausted = respond(
        503,
        {
            "code": "PGRST000",
            "details": 'connection to server at "db.qxtestproject.supabase.co", port 5432 '
            "failed: FATAL:  sorry, too many clients already",
            "hint": None,
            "message": "Database client error. Retrying the connection.",
        },
    )
    result = await run(FakeProject(broken={"/rest/v1/flights": exhausted}), protected_tables=[])
    assert result.outcome is Outcome.DOWN
    assert result.detail == "connection pool exhausted (503)"


@pytest.mark.asyncio
async def test_rest_unable_to_reach_the_database_is_down_with_postgrests_reason() -> None:
    gone = respond(503, {"code": "PGRST001", "message": "Database client error. Retrying."})
    result = await run(FakeProject(broken={"/rest/v1/flights": gone}), protected_tables=[])
    assert result.outcome is Outcome.DOWN
    assert result.detail == (
        "REST cannot reach the database (503): Database client error. Retrying."
    )


@pytest.mark.asyncio
async def test_auth_failure_is_down_and_points_to_supabase() -> None:
    broken = {"/auth/v1/health": respond(502, raw=b"<html>upstream connect error</html>")}
    result = await run(FakeProject(broken=broken))
    assert result.outcome is Outcome.DOWN
    assert result.detail == "auth health HTTP 502: <html>upstream connect error</html>"
    # Supabase's own auth service failing is the provider's fault, whatever group the probe is in.
    assert [f.points_to for f in result.findings] == ["provider"]


@pytest.mark.asyncio
async def test_a_503_from_rest_alone_does_not_point_to_supabase() -> None:
    """PostgREST answers 503 when our own queries exhausted the pool: not evidence of Supabase."""
    result = await run(FakeProject(pool_exhausted=True))
    assert result.outcome is Outcome.DOWN
    assert {f.points_to for f in result.findings} == {None}

    # Nor is no answer at all: that could be this laptop's network.
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = await run(refuse, protected_tables=[])
    assert {f.points_to for f in result.findings} == {None}


@pytest.mark.asyncio
async def test_publishable_key_goes_in_apikey_only() -> None:
    project = FakeProject()
    result = await run(project, key=PUBLISHABLE)
    assert result.outcome is Outcome.UP, result.detail
    assert all("authorization" not in r.headers for r in project.requests)


@pytest.mark.asyncio
@pytest.mark.parametrize("key", [jwt("service_role"), "sb_secret_QxTestKeyNotReal_0000aaaa"])
async def test_rls_bypassing_key_is_refused_before_any_request(key: str) -> None:
    project = FakeProject(keys=(key,), rls=set())
    result = await run(project, key=key)
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail.startswith("anon_key is a service-role/secret key (it bypasses RLS)")
    assert project.requests == []


@pytest.mark.asyncio
async def test_rejected_key_is_unknown() -> None:
    result = await run(FakeProject(keys=(PUBLISHABLE,)))
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "Supabase rejected the anon key (401)"


@pytest.mark.asyncio
async def test_missing_credential_is_unknown() -> None:
    project = FakeProject()
    result = await run(project, key=None)
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "credential env:SUPABASE_ANON_KEY not set"
    assert project.requests == []


@pytest.mark.asyncio
async def test_unknown_tables_are_unknown_not_down() -> None:
    result = await run(FakeProject(), rest_table="flightz", protected_tables=["paymentz"])
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == (
        "table flightz not found in the REST API; table paymentz not found in the REST API"
    )


@pytest.mark.asyncio
async def test_html_instead_of_rows_is_down() -> None:
    portal = respond(200, raw=b"<html>Sign in to the hotel wifi</html>")
    result = await run(FakeProject(broken={"/rest/v1/payments": portal}))
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("RLS check of payments: expected JSON, got text/html")


@pytest.mark.asyncio
async def test_unreachable_project_is_down() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = await run(refuse, protected_tables=[])
    assert result.outcome is Outcome.DOWN
    assert result.detail == "auth: connection refused; REST: connection refused"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"protected_tables": ["payments?select=*"]}, "is not a table name"),
        ({"rest_table": "public.flights"}, "is not a table name"),
        ({"url": "qxtestproject.supabase.co"}, "http:// or https://"),
    ],
)
def test_bad_config_is_refused(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_spec(**keys)
