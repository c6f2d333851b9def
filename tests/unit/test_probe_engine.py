"""The probe engine: debounced states, flips emitted once, deadlines, retries, callbacks, runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.probes import http, statuspage, uptimerobot
from stratus_commander.probes.base import (
    CheckContext,
    Finding,
    Outcome,
    ProbeResult,
    StateChange,
    make_result,
)
from stratus_commander.probes.engine import ProbeEngine, StateTracker, next_due
from stratus_commander.probes.spec import ProbeSpec
from tests.unit.probe_kit import T0

U, G, D, X = Outcome.UP, Outcome.DEGRADED, Outcome.DOWN, Outcome.UNKNOWN


# --- the state rules, fed by hand -----------------------------------------------------------------


def results(*outcomes: Outcome) -> Iterator[ProbeResult]:
    for i, outcome in enumerate(outcomes):
        yield ProbeResult(
            probe="api",
            kind="http",
            check="api",
            outcome=outcome,
            latency_ms=10.0,
            detail=f"sample {i}",
            at=T0 + timedelta(seconds=30 * i),
        )


def flips(*outcomes: Outcome, fail: int = 3, success: int = 2) -> list[tuple[Any, Outcome, int]]:
    """(previous, current, index of the sample that caused it) for each flip."""
    tracker = StateTracker(fail, success)
    out = []
    for i, result in enumerate(results(*outcomes)):
        change = tracker.feed(result)
        if change is not None:
            out.append((change.previous, change.current, i))
    return out


def test_first_result_sets_the_initial_state() -> None:
    assert flips(U) == [(None, U, 0)]
    assert flips(D) == [(None, D, 0)]


def test_three_failures_flip_down_and_two_successes_flip_back_once() -> None:
    assert flips(U, D, D, D, D, D, U, U, U) == [(None, U, 0), (U, D, 3), (D, U, 7)]


def test_interrupted_runs_do_not_flip() -> None:
    assert flips(U, D, D, U, D, D, U) == [(None, U, 0)]
    # Down, then one success between failures: stays down.
    assert flips(U, D, D, D, U, D, U, D) == [(None, U, 0), (U, D, 3)]


def test_degraded_counts_as_failure_and_the_flip_carries_the_worst() -> None:
    assert flips(U, G, G, G) == [(None, U, 0), (U, G, 3)]
    assert flips(U, G, D, G) == [(None, U, 0), (U, D, 3)]


def test_once_failing_worse_news_shows_at_once_milder_waits_for_the_window() -> None:
    assert flips(U, G, G, G, D, G, G, G) == [(None, U, 0), (U, G, 3), (G, D, 4), (D, G, 7)]


def test_unknown_flips_at_once_and_the_next_real_result_sets_the_state() -> None:
    assert flips(U, X, U) == [(None, U, 0), (U, X, 1), (X, U, 2)]
    assert flips(U, D, D, X, D) == [(None, U, 0), (U, X, 3), (X, D, 4)]
    assert flips(X, X, X) == [(None, X, 0)]


def test_thresholds_are_configurable() -> None:
    assert flips(U, D, U, fail=1, success=1) == [(None, U, 0), (U, D, 1), (D, U, 2)]
    assert flips(U, D, D, D, D, U, U, U, fail=4, success=3) == [
        (None, U, 0),
        (U, D, 4),
        (D, U, 7),
    ]


def test_state_keeps_since_and_the_latest_sample() -> None:
    tracker = StateTracker()
    samples = list(results(U, U, D))
    for result in samples:
        tracker.feed(result)
    assert tracker.state is not None
    assert tracker.state.outcome is U
    assert tracker.state.since == samples[0].at
    assert tracker.state.last == samples[2]


# --- the schedule ---------------------------------------------------------------------------------


def test_next_due_is_drift_free_and_skips_missed_slots() -> None:
    assert next_due(100.0, 10.0, 100.3) == 110.0
    assert next_due(100.0, 10.0, 109.999) == 110.0
    assert next_due(100.0, 10.0, 135.0) == 140.0  # a 35 s overrun skips slots, no burst
    assert next_due(100.0, 0.1, 100.0 + 1000 * 0.1 + 0.01) == pytest.approx(200.1)


def test_next_due_honours_not_before() -> None:
    assert next_due(100.0, 10.0, 101.0, not_before=161.0) == 170.0
    assert next_due(100.0, 10.0, 101.0, not_before=170.0) == 170.0
    assert next_due(100.0, 10.0, 101.0, not_before=105.0) == 110.0


# --- the engine over MockTransport ----------------------------------------------------------------


def spec(probe_id: str = "api", **keys: Any) -> ProbeSpec:
    keys.setdefault("url", f"https://{probe_id}.example.test/health")
    return http.Spec.model_validate({"id": probe_id, "kind": "http", "check": "api", **keys})


Handler = Callable[[httpx.Request], Any]


@asynccontextmanager
async def engine_for(
    handler: Handler, specs: list[ProbeSpec], **kwargs: Any
) -> AsyncIterator[ProbeEngine]:
    kwargs.setdefault("clock", FakeClock(T0))
    kwargs.setdefault("retry_delay_s", 0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        engine = ProbeEngine(specs, client, **kwargs)
        try:
            yield engine
        finally:
            await engine.aclose()


def scripted(*statuses: int) -> Handler:
    """Answers the given statuses in turn (then repeats the last)."""
    queue = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        status = queue.pop(0) if len(queue) > 1 else queue[0]
        return httpx.Response(status, json={"status": "ok" if status == 200 else "error"})

    return handler


@pytest.mark.asyncio
async def test_run_once_returns_results_in_config_order_and_sets_states() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if request.url.host.startswith("db") else 200)

    specs = [spec("web"), spec("db"), spec("api")]
    seen: list[ProbeResult] = []
    async with engine_for(handler, specs) as engine:
        engine.on_result(seen.append)
        results = await engine.run_once()
        assert [r.probe for r in results] == ["web", "db", "api"]
        assert [r.outcome for r in results] == [U, D, U]
        assert seen == results
        assert {pid: s.outcome for pid, s in engine.states.items()} == {
            "web": U,
            "db": D,
            "api": U,
        }
        assert list(engine.states) == ["web", "db", "api"]


@pytest.mark.asyncio
async def test_flips_are_emitted_once_each() -> None:
    changes: list[StateChange] = []
    clock = FakeClock(T0)
    async with engine_for(
        scripted(200, 500, 500, 500, 500, 200, 200, 200), [spec()], clock=clock
    ) as engine:
        engine.on_state_change(changes.append)
        for _ in range(8):
            await engine.run_once()
            clock.advance(30)
        assert [(c.previous, c.current) for c in changes] == [(None, U), (U, D), (D, U)]
        assert changes[1].at == T0 + timedelta(seconds=90)  # the third failure
        assert "HTTP 500" in changes[1].detail
        state = engine.states["api"]
        assert state.outcome is U
        assert state.since == T0 + timedelta(seconds=180)  # the second success
        assert state.last.at == T0 + timedelta(seconds=210)


@pytest.mark.asyncio
async def test_a_raising_callback_is_logged_and_the_engine_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(result: object) -> None:
        raise RuntimeError("subscriber bug")

    good: list[object] = []
    async with engine_for(scripted(200), [spec()]) as engine:
        engine.on_result(broken)
        engine.on_state_change(broken)
        engine.on_result(good.append)
        engine.on_state_change(good.append)
        with caplog.at_level(logging.ERROR):
            first = await engine.run_once()
            second = await engine.run_once()
    assert first[0].outcome is U and second[0].outcome is U
    assert len(good) == 3  # two results and the initial state
    logged = [r for r in caplog.records if r.exc_info and "subscriber bug" in str(r.exc_info[1])]
    assert len(logged) == 3


@pytest.mark.asyncio
async def test_unsubscribe_stops_callbacks() -> None:
    seen: list[ProbeResult] = []
    async with engine_for(scripted(200), [spec()]) as engine:
        unsubscribe = engine.on_result(seen.append)
        await engine.run_once()
        unsubscribe()
        unsubscribe()  # harmless twice
        await engine.run_once()
    assert len(seen) == 1


@pytest.mark.asyncio
async def test_hard_deadline_cuts_a_hanging_check() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    page = statuspage.Spec.model_validate(
        {"id": "supabase", "kind": "statuspage", "url": "https://s.test", "timeout_s": 0.1}
    )
    async with engine_for(hang, [spec(timeout_s=0.1), page]) as engine:
        own, provider = await engine.run_once()
    assert own.outcome is D  # our endpoint not answering is down
    assert own.detail == "no complete answer within 0.1 s (timeout_s)"
    assert own.latency_ms is None
    assert provider.outcome is X  # a status page not answering says nothing about the provider


@pytest.mark.asyncio
async def test_down_is_retried_and_the_attempts_are_counted() -> None:
    async with engine_for(scripted(500, 200), [spec(retries=2)]) as engine:
        (result,) = await engine.run_once()
    assert result.outcome is U
    assert result.metrics["attempts"] == 2

    async with engine_for(scripted(500, 500, 500, 200), [spec(retries=2)]) as engine:
        (result,) = await engine.run_once()
    assert result.outcome is D
    assert result.metrics["attempts"] == 3

    async with engine_for(scripted(500, 200), [spec()]) as engine:  # retries = 0
        (result,) = await engine.run_once()
    assert result.outcome is D
    assert "attempts" not in result.metrics


@pytest.mark.asyncio
async def test_details_are_redacted_before_anyone_sees_them() -> None:
    leak = "sk_live_51HxYzAbCdEfGhIjKlMnOp"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": f"bad key {leak}"})

    changes: list[StateChange] = []
    async with engine_for(handler, [spec()]) as engine:
        engine.on_state_change(changes.append)
        (result,) = await engine.run_once()
    assert leak not in result.detail
    assert "sk_live_[REDACTED]" in result.detail
    assert leak not in changes[0].detail
    assert leak not in engine.states["api"].last.detail


@pytest.mark.asyncio
async def test_findings_are_redacted_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Triage quotes a result's findings in its reason: they must be as clean as the detail."""
    leak = "sk_live_51HxYzAbCdEfGhIjKlMnOp"

    async def finds_a_key(spec: ProbeSpec, ctx: CheckContext) -> ProbeResult:
        found = Finding(D, f"Stripe API HTTP 500: bad key {leak}", "provider")
        return make_result(spec, ctx, D, found.text, findings=[found])

    monkeypatch.setattr(http, "check", finds_a_key)
    async with engine_for(lambda request: httpx.Response(200), [spec()]) as engine:
        (result,) = await engine.run_once()
    assert result.findings == (
        Finding(D, "Stripe API HTTP 500: bad key sk_live_[REDACTED]", "provider"),
    )


@pytest.mark.asyncio
async def test_error_rate_is_the_share_of_down_in_recent_results() -> None:
    async with engine_for(scripted(200, 500, 200, 500), [spec()]) as engine:
        rates = [(await engine.run_once())[0].metrics["error_rate"] for _ in range(4)]
    assert rates == [0.0, 0.5, pytest.approx(1 / 3), 0.5]


@pytest.mark.asyncio
async def test_a_kind_that_raises_reports_unknown(caplog: pytest.LogCaptureFixture) -> None:
    def broken_resolver(ref: str) -> str | None:
        raise RuntimeError("resolver bug")

    probe = spec(headers={"Authorization": "env:TOKEN"})
    with caplog.at_level(logging.ERROR):
        async with engine_for(scripted(200), [probe], resolve=broken_resolver) as engine:
            (result,) = await engine.run_once()
    assert result.outcome is X
    assert result.detail == "probe error: RuntimeError: resolver bug"
    assert "resolver bug" in caplog.text


@pytest.mark.asyncio
async def test_unknown_kind_reports_unknown() -> None:
    odd = ProbeSpec(id="odd", kind="no-such-kind", check="api")
    async with engine_for(scripted(200), [odd]) as engine:
        (result,) = await engine.run_once()
    assert result.outcome is X
    assert "kind 'no-such-kind' unavailable" in result.detail


@pytest.mark.asyncio
async def test_concurrency_is_bounded() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200)

    specs = [spec(f"p{i}") for i in range(12)]
    async with engine_for(handler, specs, max_concurrency=3) as engine:
        results = await engine.run_once()
    assert all(r.outcome is U for r in results)
    assert peak == 3


def test_duplicate_ids_are_refused() -> None:
    client = httpx.AsyncClient()  # never used: the constructor refuses first
    try:
        with pytest.raises(ValueError, match="duplicate probe id 'api'"):
            ProbeEngine([spec(), spec()], client)
    finally:
        asyncio.run(client.aclose())


# --- run(): the periodic schedule -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_run_checks_every_probe_repeatedly_until_cancelled() -> None:
    counts: dict[str, int] = {}
    enough = asyncio.Event()

    def count(result: ProbeResult) -> None:
        counts[result.probe] = counts.get(result.probe, 0) + 1
        if len(counts) == 3 and min(counts.values()) >= 3:
            enough.set()

    specs = [spec(f"p{i}", interval_s=0.02) for i in range(3)]
    async with engine_for(scripted(200), specs, start_jitter_s=0.01) as engine:
        engine.on_result(count)
        runner = asyncio.create_task(engine.run())
        await asyncio.wait_for(enough.wait(), timeout=10)
        with pytest.raises(RuntimeError, match="already running"):
            await engine.run()
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        before = dict(counts)
        await asyncio.sleep(0.1)
        assert counts == before  # nothing runs after cancellation


@pytest.mark.asyncio
async def test_aclose_stops_a_running_engine() -> None:
    async with engine_for(scripted(200), [spec(interval_s=0.02)]) as engine:
        runner = asyncio.create_task(engine.run())
        await asyncio.sleep(0.05)
        await engine.aclose()
        assert runner.done()


@pytest.mark.asyncio
async def test_run_does_not_poll_again_before_retry_after() -> None:
    calls = 0
    limited = asyncio.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        limited.set()
        return httpx.Response(429, headers={"Retry-After": "30"}, json={"stat": "fail"})

    probe = uptimerobot.Spec.model_validate(
        {"id": "ur", "kind": "uptimerobot", "api_key": "env:UR", "interval_s": 0.01}
    )
    async with engine_for(
        handler, [probe], resolve={"env:UR": "u1234567-0123456789abcdef01234567"}.get
    ) as engine:
        runner = asyncio.create_task(engine.run())
        await asyncio.wait_for(limited.wait(), timeout=10)
        await asyncio.sleep(0.3)  # thirty intervals: a naive schedule would have polled again
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        assert engine.states["ur"].outcome is X
    assert calls == 1


@pytest.mark.asyncio
async def test_own_client_is_closed_by_aclose() -> None:
    engine = ProbeEngine.with_own_client([spec()], max_concurrency=4)
    client = engine._client
    await engine.aclose()
    assert client.is_closed
