"""The fault catalogue: named switches a drill scenario turns on and off.

In a scenario file a fault is an inline table tagged by ``fault``::

    on = [{ fault = "api_slow", ms = 1500 }, { fault = "stripe_status", level = "down" }]
    off = ["api_slow", "statuspage:supabase"]

A fault's *key* is its name, or ``name:target`` for faults aimed at one page or monitor, so the
same fault can be on for two targets at once. Turning on a key that is already on replaces its
parameters (an error rate ramping up); ``off`` names keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from stratus_commander.drill.inventory import MONITOR_NAMES, STATUS_PAGES

StripeService = Literal["api", "dashboard", "stripejs", "checkoutjs", "webhooks", "emails"]
ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]


class _Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fault: str

    @property
    def key(self) -> str:
        return self.fault


class ApiDown(_Fault):
    """Every platform route answers 503 from the load balancer (no healthy upstream)."""

    fault: Literal["api_down"]


class ApiSlow(_Fault):
    """Every platform response is delayed by ``ms``."""

    fault: Literal["api_slow"]
    ms: int = Field(gt=0, le=60_000)


class ApiErrors(_Fault):
    """A share ``rate`` of API requests answer 500; the rest report ``degraded`` health."""

    fault: Literal["api_errors"]
    rate: float = Field(gt=0, le=1)


class Webhook5xx(_Fault):
    """The webhook handler verifies signatures, then fails processing with 500."""

    fault: Literal["webhook_5xx"]


class WebhookEndpointDisabled(_Fault):
    """Stripe lists the platform's webhook endpoint as ``disabled``."""

    fault: Literal["webhook_endpoint_disabled"]


class WebhookFailedDeliveries(_Fault):
    """``n`` recent events are still pending delivery (``delivery_success=false`` lists them)."""

    fault: Literal["webhook_failed_deliveries"]
    n: int = Field(ge=1, le=500)


class StripeApi5xx(_Fault):
    """Every Stripe API call answers 500 ``api_error``."""

    fault: Literal["stripe_api_5xx"]


class StripeApiSlow(_Fault):
    """Every Stripe API response is delayed by ``ms``."""

    fault: Literal["stripe_api_slow"]
    ms: int = Field(gt=0, le=60_000)


class StripeStatus(_Fault):
    """status.stripe.com reports ``level`` for the listed services."""

    fault: Literal["stripe_status"]
    level: Literal["degraded", "down"]
    services: tuple[StripeService, ...] = Field(default=("api",), min_length=1)
    message: str | None = None


class DbPoolExhausted(_Fault):
    """PostgREST cannot get a connection (SQLSTATE 53300): REST answers 503."""

    fault: Literal["db_pool_exhausted"]


class DbSlow(_Fault):
    """Slow queries: REST reads and the platform's health check are delayed by ``ms``."""

    fault: Literal["db_slow"]
    ms: int = Field(gt=0, le=60_000)


class RlsDisabled(_Fault):
    """Row level security is off: the anon key reads the protected tables."""

    fault: Literal["rls_disabled"]


class SupabaseDown(_Fault):
    """The Supabase project is unreachable: auth and REST answer 503."""

    fault: Literal["supabase_down"]


class Statuspage(_Fault):
    """A Statuspage v2 page reports an indicator, component statuses and an open incident."""

    fault: Literal["statuspage"]
    page: str
    indicator: Literal["none", "minor", "major", "critical", "maintenance"]
    components: dict[str, ComponentStatus] = Field(default_factory=dict)
    incident: str | None = None
    incident_status: Literal["investigating", "identified", "monitoring"] = "investigating"

    @property
    def key(self) -> str:
        return f"statuspage:{self.page}"

    @field_validator("page")
    @classmethod
    def _known_page(cls, page: str) -> str:
        if page not in STATUS_PAGES:
            raise ValueError(f"unknown status page {page!r}; pages: {', '.join(STATUS_PAGES)}")
        return page

    @field_validator("components")
    @classmethod
    def _known_components(cls, components: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        page = info.data.get("page")
        if page in STATUS_PAGES:
            known = STATUS_PAGES[page].components
            unknown = [name for name in components if name not in known]
            if unknown:
                raise ValueError(
                    f"unknown component(s) {', '.join(map(repr, unknown))} on page {page!r}; "
                    f"components: {', '.join(known)}"
                )
        return components


class UptimerobotDown(_Fault):
    """UptimeRobot reports ``monitor`` as seems-down (8) or down (9)."""

    fault: Literal["uptimerobot_down"]
    monitor: str
    status: Literal[8, 9] = 9

    @property
    def key(self) -> str:
        return f"uptimerobot_down:{self.monitor}"

    @field_validator("monitor")
    @classmethod
    def _known_monitor(cls, monitor: str) -> str:
        if monitor not in MONITOR_NAMES:
            raise ValueError(f"unknown monitor {monitor!r}; monitors: {', '.join(MONITOR_NAMES)}")
        return monitor


class UptimerobotRateLimited(_Fault):
    """UptimeRobot's API answers 429 with ``Retry-After``."""

    fault: Literal["uptimerobot_rate_limited"]
    retry_after: int = Field(default=60, ge=1)


Fault = Annotated[
    ApiDown
    | ApiSlow
    | ApiErrors
    | Webhook5xx
    | WebhookEndpointDisabled
    | WebhookFailedDeliveries
    | StripeApi5xx
    | StripeApiSlow
    | StripeStatus
    | DbPoolExhausted
    | DbSlow
    | RlsDisabled
    | SupabaseDown
    | Statuspage
    | UptimerobotDown
    | UptimerobotRateLimited,
    Field(discriminator="fault"),
]

F = TypeVar("F", bound=_Fault)


class ActiveFaults(Mapping[str, _Fault]):
    """The faults on at one instant, by key (immutable)."""

    def __init__(self, faults: Mapping[str, _Fault] | None = None) -> None:
        self._faults = dict(faults or {})

    def __getitem__(self, key: str) -> _Fault:
        return self._faults[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._faults)

    def __len__(self) -> int:
        return len(self._faults)

    def first(self, kind: type[F]) -> F | None:
        """The active fault of that kind, if any (for kinds that have no target)."""
        return next(iter(self.of(kind)), None)

    def of(self, kind: type[F]) -> list[F]:
        return [f for f in self._faults.values() if isinstance(f, kind)]

    def __repr__(self) -> str:
        return f"ActiveFaults({sorted(self._faults)})"
