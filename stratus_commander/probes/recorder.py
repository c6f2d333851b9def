"""Probe evidence to disk: every sample kept, every flip recorded, flips on the open incident.

    recorder = Recorder(db_path, incidents, current_incident=lambda: cockpit.incident_id)
    recorder.attach(engine)          # subscribes to results and state changes
    task = asyncio.create_task(recorder.run())
    ...
    await recorder.aclose()          # flushes what is buffered

Samples and flips are buffered on the event loop and written in batches by one worker thread
holding its own SQLite connection, so the loop never waits for them. A flip while an incident is
open also becomes a ``probe_flipped`` timeline event, written in the same transaction as its
batch (one fsync a batch, even for a storm of hundreds of flips). The incident is the one that
was current when the flip was seen. Once committed, each event is announced (by default to
``incidents``' listeners) on the loop that flushed. Samples from before any declaration are kept
the same way; they are the detection evidence.

With ``retention`` settings, a second thread with its own connection prunes the raw samples
retention lets go (:mod:`stratus_commander.probes.retention`) every ``retention.interval_s``, one
small batch per transaction: a batch of samples waits for one pruning batch at most.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stratus_commander.actors import PROBE
from stratus_commander.clock import Clock, to_iso, to_ms
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incident, Incidents
from stratus_commander.probes.base import Outcome, ProbeResult, StateChange
from stratus_commander.probes.engine import ProbeEngine
from stratus_commander.probes.retention import RetentionSettings, prune
from stratus_commander.store import SampleRow, Store, as_location, open_store
from stratus_commander.timeline import Event

log = logging.getLogger(__name__)

Announce = Callable[[Incident, Event], None]


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
        db_path: Path | str,
        incidents: Incidents | None,
        current_incident: Callable[[], int | None] = lambda: None,
        batch_interval_s: float = 1.0,
        rollup_interval_s: float = 60.0,
        announce: Announce | None = None,
        clock: Clock | None = None,
        retention: RetentionSettings | None = None,
    ) -> None:
        self.db_path = as_location(db_path)  # a file, or a postgresql:// URL
        # The time of the flips' timeline events (default: ``incidents``'s clock); they are
        # signed by the probes themselves (actors.PROBE), never by the person at the keyboard.
        self.clock = clock or (incidents.clock if incidents else None)
        self.current_incident = current_incident
        self.batch_interval_s = batch_interval_s
        self.rollup_interval_s = rollup_interval_s
        self.announce = announce or (incidents.announce if incidents is not None else None)
        self._last_rollup = 0.0
        self._samples: list[SampleRow] = []
        self._flips: list[tuple[StateChange, int | None]] = []  # with the incident of the time
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recorder")
        self._store: Store | None = None  # lives on the worker thread only
        self._writer: Incidents | None = None  # the worker's view of the incidents
        self._written: list[tuple[Incident, Event]] = []  # committed, not yet announced
        self.retention = retention
        self._pruner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="retention")
        self._pruning: asyncio.Future[int] | None = None
        self._last_prune: float | None = None
        self._stop_pruning = threading.Event()

    def attach(self, engine: ProbeEngine) -> None:
        engine.on_result(self.on_result)
        engine.on_state_change(self.on_state_change)

    def on_result(self, result: ProbeResult) -> None:
        self._samples.append(sample_row(result))

    def on_state_change(self, change: StateChange) -> None:
        self._flips.append((change, self.current_incident()))

    async def flush(self) -> int:
        """Write what is buffered; returns how many samples were written."""
        samples, self._samples = self._samples, []
        flips, self._flips = self._flips, []
        if not samples and not flips:
            return 0
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(self._executor, self._write, samples, flips)
        except BaseException:
            # Keep the batch for the next try (it was one transaction: nothing of it is written).
            self._samples[:0] = samples
            self._flips[:0] = flips
            raise
        if self.announce is not None:
            for incident, event in written:
                self.announce(incident, event)
        return len(samples)

    async def run(self) -> None:
        """Flush every ``batch_interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(self.batch_interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("writing probe samples failed; will retry with the next batch")
            self.start_pruning()

    def start_pruning(self) -> asyncio.Future[int] | None:
        """A pruning pass on the retention thread, when one is due and none is running."""
        if self.retention is None or (self._pruning is not None and not self._pruning.done()):
            return None
        now = time.monotonic()
        if self._last_prune is not None and now - self._last_prune < self.retention.interval_s:
            return None
        self._last_prune = now
        loop = asyncio.get_running_loop()
        self._pruning = loop.run_in_executor(self._pruner, self._prune, self.retention)
        return self._pruning

    async def aclose(self) -> None:
        self._stop_pruning.set()
        await self.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_store)
        self._executor.shutdown(wait=True)
        if self._pruning is not None:
            await asyncio.gather(self._pruning, return_exceptions=True)
        self._pruner.shutdown(wait=True)

    # --- worker thread ------------------------------------------------------------------------

    def _write(
        self, samples: list[SampleRow], flips: list[tuple[StateChange, int | None]]
    ) -> list[tuple[Incident, Event]]:
        try:
            return self._write_batch(samples, flips)
        except StratusError:
            # The server may have gone (team mode): the next batch opens a new connection.
            self._close_store()
            raise

    def _write_batch(
        self, samples: list[SampleRow], flips: list[tuple[StateChange, int | None]]
    ) -> list[tuple[Incident, Event]]:
        if self._store is None:
            self._store = open_store(self.db_path)
            if self.clock is not None:
                self._writer = Incidents(self._store, self.clock, actor=PROBE)
                self._writer.subscribe(
                    lambda incident, event: self._written.append((incident, event))
                )
        store = self._store
        self._written = []
        with store.write():
            store.add_samples(samples)
            for change, incident_id in flips:
                store.add_flip(
                    change.probe,
                    change.kind,
                    change.check,
                    to_ms(change.at),
                    change.previous.value if change.previous else None,
                    change.current.value,
                    change.detail,
                )
                if incident_id is not None:
                    self._put_on_timeline(change, incident_id)
        # Keep the per-minute rollup current as we go (a few ms a minute), so opening a review
        # after hours of recording does not first recompute all of them.
        now = time.monotonic()
        if now - self._last_rollup >= self.rollup_interval_s:
            self._last_rollup = now
            try:
                store.refresh_rollup()
            except Exception:  # the batch is committed: retrying it would write it twice
                log.exception("refreshing the per-minute rollup failed; readers will catch up")
        return self._written

    def _put_on_timeline(self, change: StateChange, incident_id: int) -> None:
        # A probe's first state that is "up" is not news; anything else during an incident is.
        if self._writer is None or (change.previous is None and change.current is Outcome.UP):
            return
        before = change.previous.value if change.previous else "first check"
        try:
            self._writer.record(
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
        except StratusError:  # closed since: the evidence is still kept as a sample and a flip
            log.exception("could not put a flip of %s on INC-%s", change.probe, incident_id)

    def _prune(self, settings: RetentionSettings) -> int:
        """On the retention thread, with a connection of its own for the pass."""
        now_ms = to_ms(self.clock.now()) if self.clock is not None else int(time.time() * 1000)
        try:
            with open_store(self.db_path) as store:
                pruned = prune(store, settings, now_ms, self._stop_pruning)
        except Exception:
            log.exception("pruning old probe samples failed; will try again later")
            return 0
        if pruned:
            log.info(
                "retention: pruned %d raw samples older than %g days", pruned, settings.raw_days
            )
        return pruned

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            try:
                store.close()
            except Exception:  # a connection already lost: nothing left to close
                log.debug("closing the recorder's store", exc_info=True)
