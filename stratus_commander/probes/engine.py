"""The probe engine: runs every configured probe on its schedule and debounces results into states.

    engine = ProbeEngine(config.probes, client)        # client: shared httpx.AsyncClient
    engine.on_result(store.add_sample)                 # every sample, as it arrives
    engine.on_state_change(cockpit.show_flip)          # only when a displayed state flips
    await engine.run()                                 # until cancelled (or: engine.run_once())
    await engine.aclose()

One check = up to ``1 + retries`` attempts; each attempt runs under a hard ``asyncio.timeout`` of
``timeout_s`` (the whole attempt, not one read: a slow-drip server cannot hold it). Only ``down``
is retried, immediately after a short pause: ``degraded`` is an answer and ``unknown`` will not
improve by asking again. At most ``max_concurrency`` attempts are in flight; a deadline starts only
once an attempt has a slot, so queueing behind other probes never reads as the target being slow.

Displayed state (what the cockpit shows, what lands on the timeline), per probe:

- the first result sets it, whatever it is (a ``StateChange`` with ``previous=None``);
- ``fail_threshold`` consecutive failures (``degraded`` or ``down``) flip an ``up`` probe to the
  worst outcome among the last ``fail_threshold`` results. Once failing, the state follows the
  worst of that window: worse news shows at once (degraded -> down on the first ``down``), milder
  news only when the whole window is milder;
- ``success_threshold`` consecutive ``up`` results flip a failing probe back to ``up``;
- ``unknown`` (the probe could not run) flips to ``unknown`` at once: showing the last known state
  would claim evidence we no longer have. It also clears both counts, and the next real result
  sets the state directly, as a first result does: there is no known state to debounce against.

Each flip is emitted once to ``on_state_change`` callbacks. Callbacks are plain functions called on
the event loop; one that raises is logged and the engine carries on.

Scheduling is drift-free: probe *i* is due at ``anchor + k * interval_s``, the anchors spread over
the first ``min(interval_s, start_jitter_s)`` seconds (stratified jitter: no thundering herd at
start). A check that overruns skips the slots it missed rather than running back to back, and a
result with ``retry_after_s`` (HTTP 429) pushes the next check to the first slot after it.

Every result's detail and findings are redacted (:func:`stratus_commander.secrets.redact`) before
anyone sees them, and every result gets ``error_rate`` in its metrics: the share of ``down`` among
the probe's last :data:`ERROR_RATE_WINDOW` known results.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import random
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import httpx

from stratus_commander.clock import Clock, SystemClock
from stratus_commander.probes import kinds
from stratus_commander.probes.base import (
    CheckContext,
    Outcome,
    ProbeResult,
    ProbeState,
    StateChange,
    worst,
)
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import redact, resolve_secret

__all__ = [
    "ERROR_RATE_WINDOW",
    "ProbeEngine",
    "ProbeState",
    "StateTracker",
    "make_client",
    "next_due",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 1024 * 1024
ERROR_RATE_WINDOW = 20
USER_AGENT = "stratus-commander-probe/0.1"

_T = TypeVar("_T")
ResultCallback = Callable[[ProbeResult], object]
ChangeCallback = Callable[[StateChange], object]


def make_client(*, max_connections: int = 50, timeout_s: float = 60.0) -> httpx.AsyncClient:
    """A client fit for the engine: pooled, no automatic redirects, a per-operation backstop.

    ``timeout_s`` only bounds single network operations; each probe's own ``timeout_s`` is the real
    deadline. Keep ``max_connections`` at least the engine's ``max_concurrency``.
    """
    return httpx.AsyncClient(
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,  # fetch() follows at most 5 itself
        headers={"User-Agent": USER_AGENT},
    )


class StateTracker:
    """Debounces one probe's results into its displayed state (rules in the module docstring)."""

    def __init__(self, fail_threshold: int = 3, success_threshold: int = 2) -> None:
        self.fail_threshold = fail_threshold
        self.success_threshold = success_threshold
        self.state: ProbeState | None = None
        self._failures = 0  # consecutive degraded/down results
        self._window: deque[Outcome] = deque(maxlen=fail_threshold)  # the latest failures
        self._successes = 0  # consecutive up results

    def feed(self, result: ProbeResult) -> StateChange | None:
        """Take one result; the flip it causes, if any."""
        current = self.state.outcome if self.state is not None else None
        outcome = result.outcome
        new: Outcome
        if outcome is Outcome.UNKNOWN:
            self._failures = self._successes = 0
            self._window.clear()
            new = Outcome.UNKNOWN
        elif outcome is Outcome.UP:
            self._failures = 0
            self._window.clear()
            self._successes += 1
            if current is None or current is Outcome.UNKNOWN:
                new = Outcome.UP  # first evidence: nothing to debounce against
            else:
                new = Outcome.UP if self._successes >= self.success_threshold else current
        else:
            self._successes = 0
            self._failures += 1
            self._window.append(outcome)
            if current is None or current is Outcome.UNKNOWN:
                new = outcome
            elif self._failures >= self.fail_threshold:
                new = worst(self._window)
            elif current is Outcome.UP:
                new = current
            else:  # already failing: worse news shows at once, milder news waits for the window
                new = worst((current, outcome))
        if new is current and self.state is not None:
            self.state = dataclasses.replace(self.state, last=result)
            return None
        self.state = ProbeState(outcome=new, since=result.at, last=result)
        return StateChange(
            probe=result.probe,
            kind=result.kind,
            check=result.check,
            previous=current,
            current=new,
            at=result.at,
            detail=result.detail,
        )


def next_due(anchor: float, interval: float, now: float, not_before: float | None = None) -> float:
    """The first slot ``anchor + k * interval`` after ``now`` and not before ``not_before``."""
    due = anchor + max(math.floor((now - anchor) / interval) + 1, 1) * interval
    if not_before is not None and due < not_before:
        due = anchor + math.ceil((not_before - anchor) / interval) * interval
        if due < not_before:  # float rounding at the boundary
            due += interval
    return due


def _discard(callbacks: list[Any], callback: object) -> None:
    if callback in callbacks:
        callbacks.remove(callback)


class _Probe:
    """The engine's bookkeeping for one spec."""

    def __init__(self, spec: ProbeSpec) -> None:
        self.spec = spec
        self.tracker = StateTracker(spec.fail_threshold, spec.success_threshold)
        self.recent: deque[bool] = deque(maxlen=ERROR_RATE_WINDOW)  # True = down


class ProbeEngine:
    """Runs probes through one shared client and publishes results and state flips."""

    def __init__(
        self,
        specs: Iterable[ProbeSpec],
        client: httpx.AsyncClient,
        *,
        resolve: Callable[[str], str | None] = resolve_secret,
        clock: Clock | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        max_concurrency: int = 50,
        retry_delay_s: float = 0.5,
        start_jitter_s: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        self._probes: dict[str, _Probe] = {}
        for spec in specs:
            if spec.id in self._probes:
                raise ValueError(f"duplicate probe id {spec.id!r}")
            self._probes[spec.id] = _Probe(spec)
        self._client = client
        self._owns_client = False
        clock = clock or SystemClock()
        self._ctx = CheckContext(
            client=client, resolve_secret=resolve, now=clock.now, max_body_bytes=max_body_bytes
        )
        self._slots = asyncio.Semaphore(max_concurrency)
        self._retry_delay_s = retry_delay_s
        self._start_jitter_s = start_jitter_s
        self._rng = rng or random.Random()
        self._result_callbacks: list[ResultCallback] = []
        self._change_callbacks: list[ChangeCallback] = []
        self._run_task: asyncio.Task[None] | None = None

    @classmethod
    def with_own_client(
        cls, specs: Iterable[ProbeSpec], *, max_concurrency: int = 50, **kwargs: Any
    ) -> ProbeEngine:
        """An engine with a client from :func:`make_client`, closed by :meth:`aclose`."""
        client = make_client(max_connections=max_concurrency)
        engine = cls(specs, client, max_concurrency=max_concurrency, **kwargs)
        engine._owns_client = True
        return engine

    # --- subscribers -------------------------------------------------------------------------

    def on_result(self, callback: ResultCallback) -> Callable[[], None]:
        """Call ``callback(result)`` for every result; returns a function that unsubscribes."""
        self._result_callbacks.append(callback)
        return lambda: _discard(self._result_callbacks, callback)

    def on_state_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback(change)`` for every flip of a displayed state; returns an unsubscribe."""
        self._change_callbacks.append(callback)
        return lambda: _discard(self._change_callbacks, callback)

    # --- state ---------------------------------------------------------------------------------

    @property
    def specs(self) -> tuple[ProbeSpec, ...]:
        return tuple(p.spec for p in self._probes.values())

    @property
    def states(self) -> dict[str, ProbeState]:
        """Probe id -> displayed state, in config order (probes with no result yet are absent)."""
        return {
            pid: p.tracker.state for pid, p in self._probes.items() if p.tracker.state is not None
        }

    def state(self, probe_id: str) -> ProbeState | None:
        """One probe's displayed state (``None`` before its first result)."""
        return self._probes[probe_id].tracker.state

    # --- running -------------------------------------------------------------------------------

    async def check(self, probe_id: str) -> ProbeResult:
        """Run one probe now (a "re-check" button) and publish its result."""
        return await self._check_and_publish(self._probes[probe_id])

    async def run_once(self) -> list[ProbeResult]:
        """Run every probe once, concurrently; results in config order."""
        return list(
            await asyncio.gather(*(self._check_and_publish(p) for p in self._probes.values()))
        )

    async def run(self) -> None:
        """Run every probe on its schedule until cancelled (returns at once with no probes)."""
        if self._run_task is not None:
            raise RuntimeError("the engine is already running")
        self._run_task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        start = loop.time()
        probes = list(self._probes.values())
        try:
            async with asyncio.TaskGroup() as group:
                for i, probe in enumerate(probes):
                    window = min(probe.spec.interval_s, self._start_jitter_s)
                    offset = window * (i + self._rng.random()) / len(probes)
                    group.create_task(self._schedule(probe, start + offset), name=probe.spec.id)
        finally:
            self._run_task = None

    async def aclose(self) -> None:
        """Stop :meth:`run` if it is running; close the client if the engine made it."""
        task = self._run_task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.wait([task])
        if self._owns_client:
            await self._client.aclose()

    async def _schedule(self, probe: _Probe, anchor: float) -> None:
        loop = asyncio.get_running_loop()
        interval = probe.spec.interval_s
        due = anchor
        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            retry_after = None
            try:
                result = await self._check_and_publish(probe)
                retry_after = result.retry_after_s
            except Exception:  # a bug must cost one sample, not the probe's whole schedule
                log.exception("probe %s: check failed unexpectedly", probe.spec.id)
            now = loop.time()
            not_before = None if retry_after is None else now + retry_after
            due = next_due(anchor, interval, now, not_before)

    async def _check_and_publish(self, probe: _Probe) -> ProbeResult:
        result = await self._check_with_retries(probe.spec)
        if result.outcome is not Outcome.UNKNOWN:
            probe.recent.append(result.outcome is Outcome.DOWN)
        metrics = dict(result.metrics)
        if probe.recent:
            metrics["error_rate"] = sum(probe.recent) / len(probe.recent)
        result = dataclasses.replace(
            result,
            detail=redact(result.detail),
            findings=tuple(dataclasses.replace(f, text=redact(f.text)) for f in result.findings),
            metrics=metrics,
        )
        change = probe.tracker.feed(result)
        for callback in tuple(self._result_callbacks):
            self._call(callback, result)
        if change is not None:
            log.info(
                "probe %s: %s -> %s (%s)",
                change.probe,
                change.previous.value if change.previous else "none",
                change.current.value,
                change.detail,
            )
            for change_callback in tuple(self._change_callbacks):
                self._call(change_callback, change)
        return result

    @staticmethod
    def _call(callback: Callable[[_T], object], payload: _T) -> None:
        try:
            callback(payload)
        except Exception:
            log.exception("probe subscriber %r failed", callback)

    async def _check_with_retries(self, spec: ProbeSpec) -> ProbeResult:
        attempt = 1
        while True:
            async with self._slots:
                result = await self._attempt(spec)
            if (
                result.outcome is not Outcome.DOWN
                or attempt > spec.retries
                or result.retry_after_s is not None
            ):
                break
            if self._retry_delay_s > 0:
                await asyncio.sleep(self._retry_delay_s * attempt)
            attempt += 1
        if attempt > 1:
            result = dataclasses.replace(
                result, metrics={**result.metrics, "attempts": float(attempt)}
            )
        return result

    async def _attempt(self, spec: ProbeSpec) -> ProbeResult:
        try:
            check = kinds.check_function(spec.kind)
            timeout_outcome = kinds.on_timeout(spec.kind)
        except Exception as exc:  # unknown, or its module is missing or broken
            return self._result(spec, Outcome.UNKNOWN, f"kind {spec.kind!r} unavailable: {exc}")
        deadline = asyncio.timeout(spec.timeout_s)
        try:
            async with deadline:
                return await check(spec, self._ctx)
        except TimeoutError as exc:
            if not deadline.expired():  # raised by the check itself, not our deadline
                return self._crashed(spec, exc)
            return self._result(
                spec, timeout_outcome, f"no complete answer within {spec.timeout_s:g} s (timeout_s)"
            )
        except Exception as exc:
            return self._crashed(spec, exc)

    def _crashed(self, spec: ProbeSpec, exc: Exception) -> ProbeResult:
        # A kind's bug: the probe could not run, which says nothing about the target.
        log.error("probe %s (%s) raised", spec.id, spec.kind, exc_info=exc)
        return self._result(spec, Outcome.UNKNOWN, f"probe error: {type(exc).__name__}: {exc}")

    def _result(self, spec: ProbeSpec, outcome: Outcome, detail: str) -> ProbeResult:
        return ProbeResult(
            probe=spec.id,
            kind=spec.kind,
            check=spec.check,
            outcome=outcome,
            latency_ms=None,
            detail=detail,
            at=self._ctx.now(),
        )
