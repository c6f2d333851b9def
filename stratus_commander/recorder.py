"""Probe evidence to disk: every sample kept, every flip recorded, flips on the open incident.

    recorder = Recorder(db_path, incidents, current_incident=lambda: cockpit.incident_id)
    recorder.attach(engine)          # subscribes to results and state changes
    task = asyncio.create_task(recorder.run())
    ...
    await recorder.aclose()          # flushes what is buffered

Samples and flips are buffered on the event loop and written in batches (one transaction each) by
one worker thread holding its own SQLite connection, so the UI thread never waits for them. A flip
while an incident is open also becomes a ``probe_flipped`` timeline event, written at once through
``incidents`` (its own connection, on the caller's thread): that one is part of the record.
Samples from before any declaration are kept the same way; they are the detection evidence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stratus_commander.clock import to_iso, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.probes.base import Outcome, ProbeResult, StateChange
from stratus_commander.probes.engine import ProbeEngine
from stratus_commander.store import SampleRow, Store, refresh_sample_minutes

log = logging.getLogger(__name__)

FAILING = (Outcome.DEGRADED, Outcome.DOWN)


def sample_row(result: ProbeResult) -> SampleRow:
    return SampleRow(
        probe=result.probe,
        kind=result.kind,
        check=result.check,
        at_ms=to_ms(result.at),
        outcome=result.outcome.value,
        latency_ms=result.latency_ms,
        detail=None if result.outcome is Outcome.UP else result.detail,
        metrics=json.dumps(result.metrics, sort_keys=True) if result.metrics else None,
    )


class Recorder:
    def __init__(
        self,
        db_path: Path,
        incidents: Incidents | None,
        current_incident: Callable[[], int | None] = lambda: None,
        batch_interval_s: float = 1.0,
        rollup_interval_s: float = 60.0,
    ) -> None:
        self.db_path = Path(db_path)
        self.incidents = incidents
        self.current_incident = current_incident
        self.batch_interval_s = batch_interval_s
        self.rollup_interval_s = rollup_interval_s
        self._last_rollup = 0.0
        self.first_failure: StateChange | None = None  # detection evidence for the DECLARE clock
        self._samples: list[SampleRow] = []
        self._flips: list[StateChange] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recorder")
        self._store: Store | None = None  # lives on the worker thread only

    def attach(self, engine: ProbeEngine) -> None:
        engine.on_result(self.on_result)
        engine.on_state_change(self.on_state_change)

    def on_result(self, result: ProbeResult) -> None:
        self._samples.append(sample_row(result))

    def on_state_change(self, change: StateChange) -> None:
        self._flips.append(change)
        if change.current in FAILING and self.first_failure is None:
            self.first_failure = change
        incident_id = self.current_incident()
        # A probe's first state that is "up" is not news; anything else during an incident is.
        if incident_id is None or self.incidents is None:
            return
        if change.previous is None and change.current is Outcome.UP:
            return
        before = change.previous.value if change.previous else "first check"
        try:
            self.incidents.record(
                incident_id,
                "probe_flipped",
                f"{change.probe} ({change.check}): {before} → {change.current.value}"
                + (f" — {change.detail}" if change.detail else ""),
                {
                    "probe": change.probe,
                    "kind": change.kind,
                    "check": change.check,
                    "from": change.previous.value if change.previous else None,
                    "to": change.current.value,
                    "at": to_iso(change.at),
                },
            )
        except Exception:  # a closed incident must not stop the evidence from being kept
            log.exception("could not put a flip of %s on INC-%s", change.probe, incident_id)

    async def flush(self) -> int:
        """Write what is buffered; returns how many samples were written."""
        samples, self._samples = self._samples, []
        flips, self._flips = self._flips, []
        if not samples and not flips:
            return 0
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._write, samples, flips)
        except BaseException:
            # Keep the batch for the next try (rows are keyed, so a partial write repeats safely).
            self._samples[:0] = samples
            self._flips[:0] = flips
            raise
        return len(samples)

    async def run(self) -> None:
        """Flush every ``batch_interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(self.batch_interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("writing probe samples failed; will retry with the next batch")

    async def aclose(self) -> None:
        await self.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_store)
        self._executor.shutdown(wait=True)

    # --- worker thread ------------------------------------------------------------------------

    def _write(self, samples: list[SampleRow], flips: list[StateChange]) -> None:
        if self._store is None:
            self._store = Store.open(self.db_path)
        store = self._store
        store.add_samples(samples)
        for f in flips:
            store.add_flip(
                f.probe,
                f.kind,
                f.check,
                to_ms(f.at),
                f.previous.value if f.previous else None,
                f.current.value,
                f.detail,
            )
        # Keep the per-minute rollup current as we go (a few ms a minute), so opening a review
        # after hours of recording does not first recompute all of them.
        now = time.monotonic()
        if now - self._last_rollup >= self.rollup_interval_s:
            self._last_rollup = now
            refresh_sample_minutes(store)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
