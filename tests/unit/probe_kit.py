"""Running one probe kind against an ``httpx.MockTransport`` handler (no network, no engine)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx

from stratus_commander.clock import FakeClock
from stratus_commander.probes.base import CheckContext, ProbeResult

T0 = datetime(2026, 11, 27, 10, 51, 44, 123000, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


@asynccontextmanager
async def mock_ctx(
    handler: Handler,
    secrets: Mapping[str, str] | None = None,
    max_body_bytes: int = 1024 * 1024,
) -> AsyncIterator[CheckContext]:
    known = dict(secrets or {})
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        yield CheckContext(
            client=client,
            resolve_secret=known.get,
            now=FakeClock(T0).now,
            max_body_bytes=max_body_bytes,
        )


async def run_check(
    kind: ModuleType,
    handler: Handler,
    secrets: Mapping[str, str] | None = None,
    **keys: Any,
) -> ProbeResult:
    """Validate ``keys`` as the kind's Spec (id/check defaulted) and run its check once."""
    keys.setdefault("id", "probe-1")
    keys.setdefault("kind", kind.Spec.model_fields["kind"].annotation.__args__[0])
    if kind.Spec.model_fields["check"].is_required():
        keys.setdefault("check", "api")
    spec = kind.Spec.model_validate(keys)
    async with mock_ctx(handler, secrets) as ctx:
        result: ProbeResult = await kind.check(spec, ctx)
    return result
