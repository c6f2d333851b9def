"""What the credits tests share: samples by the minute, resolved incidents, accounts, the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from stratus_commander import credits as cr
from stratus_commander.cli import main
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.store import SampleRow, SqliteStore, Store

T0 = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)

GOOD = (
    "account_id,name,monthly_fee,currency,groups\n"
    "acme,Acme Aviation Ltd,1250.00,GBP,\n"
    'jet,"Jet Charter, Inc",99.5,usd,api;webhooks\n'
    "yen,Tokyo Wings,12000,JPY,api\n"
)

# Detected 30 September 23:00 UTC, 120 minutes down: 60 in September, 60 in October.
CROSSING = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
USD_FEE = "account_id,name,monthly_fee,currency\nacme,Acme Aviation Ltd,499.00,USD\n"


def incidents() -> Incidents:
    """An in-memory store, its clock two days after :data:`T0`."""
    return Incidents(SqliteStore.memory(), FakeClock(T0 + timedelta(days=2)))


def per_minute(
    store: Store,
    start: datetime,
    count: int,
    down: Iterable[int] = (),
    probe: str = "api-health",
    check: str = "api",
    outcome: str = "down",
) -> None:
    """One sample per minute for ``count`` minutes; minutes in ``down`` get ``outcome``."""
    bad = set(down)
    store.add_samples(
        SampleRow(probe, "http", check, to_ms(start) + m * 60_000 + 5_000,
                  outcome if m in bad else "up", 40.0)
        for m in range(count)
    )  # fmt: skip


def account(fee: str = "1000.00", currency: str = "GBP", groups=cr.DEFAULT_SLA_GROUPS):
    return cr.Account(
        account_id="acme",
        name="Acme Aviation Ltd",
        monthly_fee=Decimal(fee),
        currency=currency,
        groups=tuple(groups),
    )


def resolved(inc: Incidents, start: datetime, minutes: int = 30) -> int:
    clock = inc.clock
    clock.set(start)  # type: ignore[attr-defined]
    iid = inc.declare("Payment API down", "Major", ["API"], detected_at=start).id
    clock.set(start + timedelta(minutes=minutes))  # type: ignore[attr-defined]
    inc.resolve(iid)
    return iid


def crossing_incident(inc: Incidents, down: int = 120, after: int = 60) -> int:
    """Probes every minute from detection: ``down`` minutes down, then ``after`` up; resolved
    when the downtime ends."""
    per_minute(inc.store, CROSSING, down + after, range(down))
    return resolved(inc, CROSSING, minutes=down)


def usd_account() -> cr.Account:
    return cr.Account(
        account_id="acme", name="Acme Aviation Ltd", monthly_fee=Decimal("499.00"), currency="USD"
    )


def cli_at(db: Path) -> Callable[..., tuple[int, str, str]]:
    """``run(*args)`` -> (exit code, stdout, stderr) of the CLI on ``db`` (``run.db``)."""
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, ["--db", str(db), *args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    run.db = db  # type: ignore[attr-defined]
    return run
