"""``stripe`` probe: the payment provider as our account sees it, through the official SDK.

One check makes these calls (the SDK's async methods, through the engine's shared httpx client
with the body cap and redirect limit of :mod:`~stratus_commander.probes.fetch`):

- ``GET /v1/balance``: the API answers our key at all (a rejected key, 401 or 403, is
  ``unknown`` and ends the check: no other answer can be judged);
- ``GET /v1/webhook_endpoints`` (``check_webhooks``): a disabled endpoint is ``down``;
- ``GET /v1/events?delivery_success=false&created[gte]=…``: events whose webhooks failed in the
  last ``failed_window_s``; ``failed_degraded`` or more is ``degraded``, ``failed_down`` or more
  is ``down``;
- ``GET /v1/accounts/{id}`` for each of ``connect_accounts``: charges disabled is ``down``,
  payouts disabled ``degraded``, with Stripe's ``requirements.disabled_reason``.

Any call may fail on its own: 5xx or no connection is ``down``, 429 is ``degraded`` (the longest
Retry-After asked for is honoured). A failed call is one finding among the others, never the end
of the check: when ``/v1/balance`` answers 500, a disabled endpoint or an account that cannot
charge is still named. The worst outcome wins and every finding is in the detail; one failure
that hits several calls is said once, naming them ("Stripe API HTTP 500 reading balance, events
and …").

Whose fault: Stripe answering 5xx is Stripe's own API failing, evidence against the provider
whatever triage group the probe sits in (``Finding.points_to``); a disabled endpoint or Connect
account is ours. The rest (failed deliveries, 429, no connection) could be either: the probe's
check group decides.

The SDK's own retries are off (the engine retries); its module is imported on the first check.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from pydantic import Field, field_validator, model_validator

from stratus_commander.probes.base import (
    CheckContext,
    Finding,
    Outcome,
    Party,
    ProbeResult,
    make_result,
    summarise_findings,
)
from stratus_commander.probes.fetch import FetchFailed, HttpURL, fetch, retry_after_seconds
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import missing_credential, redact
from stratus_commander.text import spoken_list
from stratus_commander.timefmt import human_duration

if TYPE_CHECKING:
    import stripe as stripe_sdk

_ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]+$")
T = TypeVar("T")


class Spec(ProbeSpec):
    kind: Literal["stripe"]
    api_key: str = Field(min_length=1)  # a secret reference ("env:STRIPE_API_KEY")
    api_base: HttpURL = "https://api.stripe.com"
    check_webhooks: bool = True
    failed_window_s: float = Field(default=3600.0, gt=0, le=30 * 86400)  # Stripe keeps 30 days
    failed_degraded: int = Field(default=1, ge=1)
    failed_down: int = Field(default=25, ge=1, le=100)  # one page of events decides
    connect_accounts: tuple[str, ...] = ()

    @field_validator("connect_accounts")
    @classmethod
    def _account_ids(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        for account in ids:
            if not _ACCOUNT_ID.match(account):
                raise ValueError(f"{account!r} is not a Stripe account id (acct_…)")
        return ids

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Spec:
        if self.failed_degraded > self.failed_down:
            raise ValueError(
                f"failed_degraded ({self.failed_degraded}) must not exceed "
                f"failed_down ({self.failed_down})"
            )
        return self


class _NotFound(Exception):
    """A 404 for something the config named (a Connect account that does not exist)."""


#: Where a failure's text names the call it hit; several calls failing alike are named together.
_WHAT = "{what}"


class _Refused(Exception):
    """A Stripe call failed: the outcome it means, why (``template`` names the call as
    :data:`_WHAT`), whose fault it points to, and whether it was our key that was refused."""

    def __init__(
        self,
        outcome: Outcome,
        template: str,
        what: str,
        *,
        retry_after_s: float | None = None,
        points_to: Party | None = None,
        key_refused: bool = False,
    ) -> None:
        super().__init__(template.replace(_WHAT, what))
        self.outcome = outcome
        self.template = template
        self.what = what
        self.retry_after_s = retry_after_s
        self.points_to = points_to
        self.key_refused = key_refused

    @property
    def text(self) -> str:
        return self.template.replace(_WHAT, self.what)


async def check(spec: Spec, ctx: CheckContext) -> ProbeResult:
    started = time.perf_counter()

    def elapsed_ms() -> float:
        return (time.perf_counter() - started) * 1000

    key = ctx.resolve_secret(spec.api_key)
    if key is None:
        return make_result(spec, ctx, Outcome.UNKNOWN, missing_credential(spec.api_key))

    import stripe

    client = stripe.StripeClient(
        key,
        base_addresses={"api": spec.api_base},
        http_client=_shared_client_class()(ctx),
        max_network_retries=0,  # the engine owns retries and the deadline
    )
    metrics: dict[str, float] = {}
    found: list[Finding | _Refused] = []
    try:
        # Our key first: when Stripe refuses it, no other answer can be judged (and there is no
        # point sending the rest).
        await _call(ctx, "balance", client.v1.balance.retrieve_async())
        metrics["api_ms"] = elapsed_ms()
    except _Refused as refused:
        if refused.key_refused:
            return make_result(spec, ctx, refused.outcome, refused.text, latency_ms=elapsed_ms())
        found.append(refused)  # Stripe failing to answer one read says nothing of the others

    parts: list[Awaitable[list[Finding]]] = []
    if spec.check_webhooks:
        parts += [_endpoints(ctx, client, metrics), _failed(spec, ctx, client, metrics)]
    parts += [_account(ctx, client, account) for account in spec.connect_accounts]
    # Every call runs to its end (nothing is left running after we return); a failed call is
    # one finding among the others.
    for got in await asyncio.gather(*parts, return_exceptions=True):
        if isinstance(got, _Refused):
            found.append(got)
        elif isinstance(got, BaseException):
            raise got
        else:
            found += got

    if not found:
        return make_result(
            spec, ctx, Outcome.UP, _summary(spec, metrics), latency_ms=elapsed_ms(), metrics=metrics
        )
    findings = _merge_refusals(found)
    waits = [
        r.retry_after_s for r in found if isinstance(r, _Refused) and r.retry_after_s is not None
    ]
    outcome, detail = summarise_findings(findings)
    return make_result(
        spec,
        ctx,
        outcome,
        detail,
        latency_ms=elapsed_ms(),
        metrics=metrics,
        # Every call that was rate limited asked for a wait: the longest one covers them all.
        retry_after_s=max(waits, default=None),
        findings=findings,
    )


def _merge_refusals(found: list[Finding | _Refused]) -> list[Finding]:
    """The findings in call order, with the calls that failed alike said once, naming each one
    ("Stripe API HTTP 500 reading balance, events and account acct_…: …")."""
    calls: dict[tuple[Outcome, str, Party | None], list[str]] = {}
    order: list[Finding | tuple[Outcome, str, Party | None]] = []
    for item in found:
        if isinstance(item, Finding):
            order.append(item)
            continue
        key = (item.outcome, item.template, item.points_to)
        if key not in calls:
            calls[key] = []
            order.append(key)
        calls[key].append(item.what)
    return [
        item
        if isinstance(item, Finding)
        else Finding(item[0], item[1].replace(_WHAT, spoken_list(calls[item])), item[2])
        for item in order
    ]


async def _endpoints(
    ctx: CheckContext, client: stripe_sdk.StripeClient, metrics: dict[str, float]
) -> list[Finding]:
    # An account has at most 16 webhook endpoints: one page holds them all.
    page = await _call(
        ctx, "webhook endpoints", client.v1.webhook_endpoints.list_async({"limit": 100})
    )
    disabled = [e for e in page.data if _field(e, "status") != "enabled"]
    metrics["webhook_endpoints"] = float(len(page.data))
    metrics["webhook_endpoints_disabled"] = float(len(disabled))
    # Stripe disables an endpoint that kept failing its deliveries (or someone did): ours to fix.
    return [
        Finding(Outcome.DOWN, f"webhook endpoint {e.id} ({_field(e, 'url')}) is disabled", "ours")
        for e in disabled
    ]


async def _failed(
    spec: Spec, ctx: CheckContext, client: stripe_sdk.StripeClient, metrics: dict[str, float]
) -> list[Finding]:
    since = ctx.now() - timedelta(seconds=spec.failed_window_s)
    page = await _call(
        ctx,
        "events",
        client.v1.events.list_async(
            {
                "delivery_success": False,
                "created": {"gte": int(since.timestamp())},
                # Enough to tell "down" apart; counting further would cost more requests.
                "limit": spec.failed_down,
            }
        ),
    )
    count = len(page.data)
    metrics["failed_deliveries"] = float(count)
    if count < spec.failed_degraded:
        return []
    shown = f"{count}+" if page.has_more else str(count)
    latest = page.data[0]
    window = human_duration(timedelta(seconds=spec.failed_window_s))
    text = (
        f"{shown} event(s) with failed webhook deliveries in the last {window} "
        f"(latest {latest.id} {_field(latest, 'type')})"
    )
    outcome = Outcome.DOWN if count >= spec.failed_down else Outcome.DEGRADED
    # Whose fault is open: our handler failing, or Stripe delaying deliveries. The check group
    # decides (points_to None).
    return [Finding(outcome, text)]


async def _account(
    ctx: CheckContext, client: stripe_sdk.StripeClient, account: str
) -> list[Finding]:
    try:
        acct = await _call(
            ctx, f"account {account}", client.v1.accounts.retrieve_async(account), missing_ok=True
        )
    except _NotFound:
        return [Finding(Outcome.UNKNOWN, f"Connect account {account} not found")]
    reason = _field(_field(acct, "requirements"), "disabled_reason")
    why = f" ({reason})" if reason else ""
    # A disabled account is the account's own standing (requirements due), not Stripe failing.
    findings = []
    if not _field(acct, "charges_enabled"):
        findings.append(
            Finding(Outcome.DOWN, f"Connect account {account}: charges disabled{why}", "ours")
        )
    if not _field(acct, "payouts_enabled"):
        findings.append(
            Finding(Outcome.DEGRADED, f"Connect account {account}: payouts disabled{why}", "ours")
        )
    return findings


async def _call(ctx: CheckContext, what: str, call: Awaitable[T], missing_ok: bool = False) -> T:
    """Await one SDK call, turning Stripe's errors into a verdict on the whole check.

    With ``missing_ok`` a 404 raises :class:`_NotFound` (the config named something that does
    not exist) instead.
    """
    import stripe

    try:
        return await call
    except stripe.AuthenticationError:
        raise _Refused(
            Outcome.UNKNOWN, "Stripe rejected the API key (401)", what, key_refused=True
        ) from None
    except stripe.PermissionError:
        raise _Refused(
            Outcome.UNKNOWN,
            f"the API key may not read {_WHAT} (403: restricted key?)",
            what,
            key_refused=True,
        ) from None
    except stripe.RateLimitError as exc:
        wait = retry_after_seconds(httpx.Headers(dict(exc.headers or {})), ctx.now())
        raise _Refused(
            Outcome.DEGRADED,
            f"rate limited by Stripe (429) reading {_WHAT}",
            what,
            retry_after_s=wait,
        ) from None
    except stripe.APIConnectionError as exc:
        # No answer at all: Stripe, or this laptop's own network. Not evidence against either.
        raise _Refused(Outcome.DOWN, f"cannot reach Stripe: {exc.user_message}", what) from None
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404 and missing_ok:
            raise _NotFound(what) from None
        raise _Refused(
            Outcome.DOWN, f"Stripe refused the {_WHAT} request: {_message(exc)}", what
        ) from None
    except stripe.StripeError as exc:
        status = f"HTTP {exc.http_status}" if exc.http_status else "error"
        # Stripe itself answered that it failed (500 api_error, a 502/503 from its edge): the
        # provider's own API is at fault, whatever our probes say about us.
        provider: Party | None = "provider" if (exc.http_status or 0) >= 500 else None
        raise _Refused(
            Outcome.DOWN,
            f"Stripe API {status} reading {_WHAT}: {_message(exc)}",
            what,
            points_to=provider,
        ) from None


def _field(obj: object, name: str) -> Any:
    """A response field, or None when Stripe (or a stand-in) left it out."""
    return getattr(obj, name, None)


def _message(exc: stripe_sdk.StripeError) -> str:
    # Redacted whole before it is cut: a key cut in half no longer matches the redaction patterns.
    text = " ".join(redact(exc.user_message or type(exc).__name__).split())
    return text if len(text) <= 160 else text[:159] + "…"


def _summary(spec: Spec, metrics: dict[str, float]) -> str:
    parts = [f"API {metrics.get('api_ms', 0):.0f} ms"]
    if spec.check_webhooks:
        parts.append(f"{metrics['webhook_endpoints']:.0f} webhook endpoint(s) enabled")
        parts.append(
            f"no failed deliveries in {human_duration(timedelta(seconds=spec.failed_window_s))}"
        )
    if spec.connect_accounts:
        parts.append(f"{len(spec.connect_accounts)} Connect account(s) enabled")
    return "ok: " + ", ".join(parts)


@functools.cache
def _shared_client_class() -> Callable[[CheckContext], Any]:
    """The SDK's HTTP client interface over the engine's shared httpx client.

    ``stripe.HTTPXClient`` opens its own connection pool (and loads a CA bundle) per instance;
    the SDK documents ``HTTPClient`` as the base for custom clients, so this one sends through
    :func:`fetch` instead: one pool, a capped body, bounded redirects, the engine's timeouts.
    Built on first use because ``stripe`` is imported lazily.
    """
    import stripe

    class SharedHTTPXClient(stripe.HTTPClient):
        name = "stratus-commander-httpx"

        def __init__(self, ctx: CheckContext) -> None:
            super().__init__()
            self._ctx = ctx

        async def request_async(
            self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
        ) -> tuple[bytes, int, Mapping[str, str]]:
            if post_data:
                # The probe only reads; a body would need form encoding we do not need.
                raise stripe.APIConnectionError("the probe's Stripe client only sends GET")
            try:
                got = await fetch(self._ctx, method.upper(), url, headers=headers)
            except FetchFailed as exc:
                raise stripe.APIConnectionError(exc.reason) from None
            return got.body, got.status, got.headers

        async def close_async(self) -> None:
            """The shared client belongs to the engine; nothing of ours to close."""

        def sleep_async(self, secs: float) -> Awaitable[None]:
            return asyncio.sleep(secs)

    return SharedHTTPXClient
