"""The postgres probe against a real PostgreSQL server (see pg_server.py): RLS, pool, slow queries,
lock waits, deadlocks, and the ways a connection can fail."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
import pytest_asyncio
from pydantic import ValidationError

from stratus_commander.probes import postgres
from stratus_commander.probes.base import CheckContext, Outcome, ProbeResult
from tests.integration.pg_server import MAX_CONNECTIONS, PgServer, pg_server

pytestmark = pytest.mark.postgres
__all__ = ["pg_server"]  # the fixture, imported for pytest

NOW = datetime(2026, 11, 27, 10, 51, 44, 123000, tzinfo=UTC)
_ids = itertools.count()

AsyncConn = psycopg.AsyncConnection[tuple[object, ...]]


def make_spec(**keys: object) -> postgres.Spec:
    # A fresh probe id per spec: the deadlock baseline is kept per probe id.
    fields: dict[str, object] = {
        "id": f"db-{next(_ids)}",
        "kind": "postgres",
        "check": "database",
        "dsn": "env:PG_DSN",
        "timeout_s": 10,
    }
    return postgres.Spec.model_validate(fields | keys)


async def run(spec: postgres.Spec, secrets: dict[str, str]) -> ProbeResult:
    async with httpx.AsyncClient() as client:  # unused by this kind, but part of the contract
        ctx = CheckContext(client=client, resolve_secret=secrets.get, now=lambda: NOW)
        return await postgres.check(spec, ctx)


@pytest.fixture
def probe(pg_server: PgServer) -> Callable[..., Awaitable[ProbeResult]]:
    async def probe_with(**keys: object) -> ProbeResult:
        return await run(make_spec(**keys), {"env:PG_DSN": pg_server.probe_dsn()})

    return probe_with


@pytest_asyncio.fixture
async def admin(pg_server: PgServer) -> AsyncIterator[AsyncConn]:
    conn = await psycopg.AsyncConnection.connect(pg_server.admin_dsn(), autocommit=True)
    async with conn:
        yield conn


@contextlib.asynccontextmanager
async def connections(pg: PgServer, n: int) -> AsyncIterator[list[AsyncConn]]:
    """``n`` extra idle superuser connections, closed on exit."""
    conns: list[AsyncConn] = []
    try:
        for _ in range(n):
            conns.append(await psycopg.AsyncConnection.connect(pg.admin_dsn(), autocommit=True))
        yield conns
    finally:
        for conn in conns:
            await conn.close()


async def only_admin_connected(admin: AsyncConn) -> None:
    """Wait until the earlier tests' closed connections have left the server."""
    await wait_for(
        admin, "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'client backend'"
    )


async def wait_for(admin: AsyncConn, sql: str) -> None:
    """Poll the server (not a clock) until ``sql`` returns true: another session got there."""
    for _ in range(500):
        cur = await admin.execute(sql)
        row = await cur.fetchone()
        if row is not None and row[0]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"server never reached: {sql}")


@pytest.mark.asyncio
async def test_healthy_server_is_up_with_connection_metrics(
    probe: Callable[..., Awaitable[ProbeResult]],
) -> None:
    result = await probe()
    assert result.outcome is Outcome.UP, result.detail
    assert result.detail.startswith("ok: ")
    assert result.metrics["max_connections"] == MAX_CONNECTIONS
    assert 1 <= result.metrics["connections"] < MAX_CONNECTIONS
    assert result.metrics["connect_ms"] > 0
    assert result.metrics["lock_waits"] == 0 and result.metrics["long_queries"] == 0


@pytest.mark.asyncio
async def test_rls_on_with_policy_is_up_and_switched_off_is_down(
    probe: Callable[..., Awaitable[ProbeResult]], admin: AsyncConn
) -> None:
    await admin.execute("CREATE TABLE public.payments_rls (id int primary key, amount int)")
    await admin.execute("CREATE TABLE public.bookings_rls (id int primary key)")
    await admin.execute("ALTER TABLE public.payments_rls ENABLE ROW LEVEL SECURITY")
    await admin.execute("ALTER TABLE public.bookings_rls ENABLE ROW LEVEL SECURITY")
    await admin.execute("CREATE POLICY own ON public.payments_rls USING (false)")
    await admin.execute("CREATE POLICY own ON public.bookings_rls USING (false)")
    try:
        tables = ["payments_rls", "public.bookings_rls"]
        result = await probe(rls_tables=tables)
        assert result.outcome is Outcome.UP, result.detail

        await admin.execute("ALTER TABLE public.payments_rls DISABLE ROW LEVEL SECURITY")
        result = await probe(rls_tables=tables)
        assert result.outcome is Outcome.DOWN
        assert result.detail == "RLS disabled on public.payments_rls"

        await admin.execute("DROP POLICY own ON public.bookings_rls")
        result = await probe(rls_tables=tables)
        assert result.outcome is Outcome.DOWN
        assert "RLS disabled on public.payments_rls" in result.detail
        assert "RLS on public.bookings_rls has no policy" in result.detail
    finally:
        await admin.execute("DROP TABLE public.payments_rls, public.bookings_rls")


@pytest.mark.asyncio
async def test_listed_table_that_does_not_exist_is_unknown_not_down(
    probe: Callable[..., Awaitable[ProbeResult]],
) -> None:
    result = await probe(rls_tables=["public.paymnts"])
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "RLS not checked: public.paymnts not found"


@pytest.mark.asyncio
async def test_pool_filled_to_warn_ratio_is_degraded(
    pg_server: PgServer, probe: Callable[..., Awaitable[ProbeResult]], admin: AsyncConn
) -> None:
    target = math.ceil(0.8 * MAX_CONNECTIONS)
    await only_admin_connected(admin)
    # admin + extra + the probe's own connection = target
    async with connections(pg_server, target - 2):
        result = await probe(pool_warn_ratio=0.8, pool_down_ratio=0.95)
    assert result.outcome is Outcome.DEGRADED, result.detail
    assert result.detail.startswith(f"connection pool at {target}/{MAX_CONNECTIONS} (≥ 80%)")
    assert result.metrics["pool_ratio"] == pytest.approx(target / MAX_CONNECTIONS)

    # Once they are gone the pool is fine again.
    result = await probe()
    assert result.outcome is Outcome.UP, result.detail


@pytest.mark.asyncio
async def test_pool_at_down_ratio_is_down(
    pg_server: PgServer, probe: Callable[..., Awaitable[ProbeResult]], admin: AsyncConn
) -> None:
    # warn 0.5 / down 0.6 of 20 = 12 connections: below the reserved superuser slots.
    target = 12
    await only_admin_connected(admin)
    async with connections(pg_server, target - 2):
        result = await probe(pool_warn_ratio=0.5, pool_down_ratio=0.6)
    assert result.outcome is Outcome.DOWN, result.detail
    assert result.detail == f"connection pool at {target}/{MAX_CONNECTIONS} (exhausted)"


@pytest.mark.asyncio
async def test_server_refusing_connections_is_down_too_many_connections(
    pg_server: PgServer, probe: Callable[..., Awaitable[ProbeResult]], admin: AsyncConn
) -> None:
    # 3 slots are reserved for superusers: with 17 in use the (non-superuser) probe is refused.
    await only_admin_connected(admin)
    async with connections(pg_server, MAX_CONNECTIONS - 3 - 1):
        result = await probe()
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("too many connections: server refused a new one")
    assert "probe-Pa55" not in result.detail


@pytest.mark.asyncio
async def test_long_running_query_is_degraded_naming_pid_and_query(
    pg_server: PgServer, probe: Callable[..., Awaitable[ProbeResult]], admin: AsyncConn
) -> None:
    async with connections(pg_server, 1) as (slow,):
        pid = slow.info.backend_pid
        sleeper = asyncio.create_task(slow.execute("SELECT pg_sleep(60) /* nightly report */"))
        try:
            await wait_for(
                admin,
                f"SELECT clock_timestamp() - query_start > interval '0.3 s' "
                f"FROM pg_stat_activity WHERE pid = {pid} AND state = 'active'",
            )
            result = await probe(long_query_s=0.2)
        finally:
            await admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
            with pytest.raises(psycopg.errors.QueryCanceled):
                await sleeper
    assert result.outcome is Outcome.DEGRADED, result.detail
    assert result.detail.startswith("1 query running > 0.2s (pid ")
    assert f"pid {pid} " in result.detail
    assert "SELECT pg_sleep(60) /* nightly report */" in result.detail
    assert result.metrics["long_queries"] == 1

    # The default threshold (30 s) does not flag the same kind of query.
    assert (await probe()).outcome is Outcome.UP


@pytest.mark.asyncio
async def test_lock_wait_is_degraded_naming_waiter_and_blocker(
    pg_server: PgServer, probe: Callable[..., Awaitable[ProbeResult]], admin: AsyncConn
) -> None:
    await admin.execute("CREATE TABLE public.seats (id int primary key, held_by text)")
    await admin.execute("INSERT INTO public.seats VALUES (1, NULL)")
    try:
        async with connections(pg_server, 2) as (holder, waiter):
            blocked, blocker = waiter.info.backend_pid, holder.info.backend_pid
            await holder.execute("BEGIN")
            await holder.execute("SELECT * FROM public.seats WHERE id = 1 FOR UPDATE")
            update = asyncio.create_task(
                waiter.execute("UPDATE public.seats SET held_by = 'b' WHERE id = 1")
            )
            await wait_for(admin, "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted")
            result = await probe(long_query_s=60)
            await holder.execute("ROLLBACK")
            await update
        assert result.outcome is Outcome.DEGRADED, result.detail
        assert result.detail.startswith("1 lock wait(s) (pid ")
        assert f"pid {blocked} waiting" in result.detail
        assert f"on {blocker})" in result.detail
        assert result.metrics["lock_waits"] == 1
    finally:
        await admin.execute("DROP TABLE public.seats")


@pytest.mark.asyncio
async def test_deadlocks_since_the_last_check_are_degraded_once(
    pg_server: PgServer, admin: AsyncConn
) -> None:
    spec = make_spec()
    secrets = {"env:PG_DSN": pg_server.probe_dsn()}
    assert (await run(spec, secrets)).metrics["deadlocks_delta"] == 0  # the baseline

    cur = await admin.execute(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    (before,) = await cur.fetchone() or (0,)
    await admin.execute("CREATE TABLE public.ledger (id int primary key, n int)")
    await admin.execute("INSERT INTO public.ledger VALUES (1, 0), (2, 0)")
    try:
        async with connections(pg_server, 2) as (a, b):
            for conn, row in ((a, 1), (b, 2)):
                await conn.execute("BEGIN")
                await conn.execute("UPDATE public.ledger SET n = n + 1 WHERE id = %s", (row,))
            first = asyncio.create_task(a.execute("UPDATE public.ledger SET n = 9 WHERE id = 2"))
            await wait_for(admin, "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted")
            outcomes = await asyncio.gather(
                first,
                b.execute("UPDATE public.ledger SET n = 9 WHERE id = 1"),
                return_exceptions=True,
            )
            assert any(isinstance(o, psycopg.errors.DeadlockDetected) for o in outcomes)
            for conn in (a, b):
                await conn.execute("ROLLBACK")
                # Statistics reach shared memory when a backend goes idle; don't wait a second.
                await conn.execute("SELECT pg_stat_force_next_flush()")
        await wait_for(
            admin,
            f"SELECT deadlocks > {before} FROM pg_stat_database WHERE datname = current_database()",
        )
    finally:
        await admin.execute("DROP TABLE public.ledger")

    result = await run(spec, secrets)
    assert result.outcome is Outcome.DEGRADED, result.detail
    assert result.detail == "1 deadlock(s) since the last check"
    assert result.metrics["deadlocks_delta"] == 1
    # Reported once: the next check has a new baseline.
    assert (await run(spec, secrets)).outcome is Outcome.UP


@pytest.mark.asyncio
async def test_rejected_password_is_unknown_not_down(pg_server: PgServer) -> None:
    secrets = {"env:PG_DSN": pg_server.probe_dsn(password="wrong-password")}
    result = await run(make_spec(), secrets)
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail.startswith("PostgreSQL refused the probe's credentials")
    assert "wrong-password" not in result.detail


@pytest.mark.asyncio
async def test_missing_credential_is_unknown_naming_the_reference() -> None:
    result = await run(make_spec(dsn="env:SUPABASE_DB_URL"), {})
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "credential env:SUPABASE_DB_URL not set"


@pytest.mark.asyncio
async def test_malformed_dsn_is_unknown_without_echoing_it() -> None:
    result = await run(make_spec(), {"env:PG_DSN": "host=db.example user=probe s3cretPassw0rd"})
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "the DSN in env:PG_DSN is not a valid connection string"


@pytest.mark.asyncio
async def test_nothing_listening_is_down() -> None:
    with socket_closed_port() as port:
        secrets = {"env:PG_DSN": f"postgresql://probe:x@127.0.0.1:{port}/postgres"}
        result = await run(make_spec(), secrets)
    assert result.outcome is Outcome.DOWN
    assert result.detail.startswith("cannot connect: ")


@contextlib.contextmanager
def socket_closed_port() -> Iterator[int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        yield s.getsockname()[1]


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"pool_warn_ratio": 0.95, "pool_down_ratio": 0.9}, "must be below pool_down_ratio"),
        ({"rls_tables": ["payments; DROP TABLE x"]}, "is not a table name"),
        ({"long_query_s": 0}, "greater than 0"),
    ],
)
def test_bad_config_is_refused_naming_the_key(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_spec(**keys)
