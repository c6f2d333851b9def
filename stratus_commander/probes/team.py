"""The team's samples in a cockpit that does not probe (team mode): what ``probe --record``
wrote, read back from the database when it says it wrote some.

    team = TeamProbes(store, specs)   # specs: the config's, or the probes the database knows
    team.on_result(show_sample); team.on_state_change(show_flip)
    team.start()                      # the last minutes of samples, then
    team.refresh()                    # on each "samples written" notice (``Store.watch``)

It offers what the cockpit reads of :class:`~stratus_commander.live.LiveProbes` (``specs``,
``states``, ``first_failure``, the listeners), so the triage panels and graphs follow the team's
prober as they follow a probe worker of their own. Displayed states are debounced from the
samples by the specs' own thresholds (:class:`~stratus_commander.probes.engine.StateTracker`),
as the prober does. Runs on its owner's thread, with its owner's store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from stratus_commander.clock import Clock, from_ms, to_ms
from stratus_commander.errors import StoreUnreachable
from stratus_commander.probes.base import FAILING, Outcome, ProbeResult
from stratus_commander.probes.engine import StateTracker
from stratus_commander.probes.feed import ProbeFeed
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.store import SampleRow, Store

log = logging.getLogger(__name__)

#: How far back the first read goes (the graphs load older history from the store themselves).
START_WINDOW = timedelta(minutes=5)
#: A batch may commit samples older than the newest already read (a slow probe's result): each
#: read looks back this far and skips what it has seen.
OVERLAP_MS = 120_000


def specs_from_catalog(catalog: Iterable[dict[str, Any]]) -> tuple[ProbeSpec, ...]:
    """The probes the database knows, when this cockpit has no config of its own."""
    return tuple(
        ProbeSpec(id=row["name"], kind=row["kind"], check=row["check"])
        for row in sorted(catalog, key=lambda r: str(r["name"]))
    )


class TeamProbes(ProbeFeed):
    """The team prober's samples and flips, delivered as a live probe worker's would be."""

    problem: str | None = None
    restart: Any = None
    simulator: Any = None

    def __init__(self, store: Store, specs: Iterable[ProbeSpec], clock: Clock) -> None:
        self.store = store
        self.clock = clock
        super().__init__(tuple(specs) or specs_from_catalog(_catalog(store)))
        self._trackers = {
            s.id: StateTracker(s.fail_threshold, s.success_threshold) for s in self._specs
        }
        self._seen: set[tuple[str, int]] = set()
        self._newest_ms = 0
        self.running = False

    def start(self) -> None:
        self.running = True
        self._newest_ms = to_ms(self.clock.now() - START_WINDOW)
        self.refresh()

    async def aclose(self) -> None:
        """Stop delivering (this cockpit's own probes take over, or it closes)."""
        self.running = False

    def refresh(self) -> int:
        """Deliver the samples written since the last read; how many were new."""
        if not self.running:
            return 0
        try:
            written = self.store.samples_since(self._newest_ms - OVERLAP_MS)
        except StoreUnreachable:  # the team server is away (its banner says so): keep what shows
            return 0
        rows = [
            r for r in written if (r.probe, r.at_ms) not in self._seen and r.probe in self._trackers
        ]
        if not rows:
            return 0
        with self._batch():
            for row in rows:
                self._seen.add((row.probe, row.at_ms))
                self._newest_ms = max(self._newest_ms, row.at_ms)
                self._deliver(_result(row))
        horizon = self._newest_ms - 2 * OVERLAP_MS
        self._seen = {k for k in self._seen if k[1] >= horizon}
        return len(rows)

    def _deliver(self, result: ProbeResult) -> None:
        tracker = self._trackers[result.probe]
        change = tracker.feed(result)
        if tracker.state is not None:
            self._states[result.probe] = tracker.state
        calls: list[Callable[[], object]] = [partial(f, result) for f in self._result_listeners]
        if change is not None:
            if change.current in FAILING and self.first_failure is None:
                self.first_failure = change
            calls += [partial(f, change) for f in self._change_listeners]
        for call in calls:
            try:
                call()
            except Exception:  # one broken view must not silence the others
                log.exception("delivering a sample of %s failed", result.probe)


def _catalog(store: Store) -> list[dict[str, Any]]:
    """The probes the database knows (none known while its server is away)."""
    try:
        return list(store.probe_catalog().values())
    except StoreUnreachable:
        return []


def _result(row: SampleRow) -> ProbeResult:
    return ProbeResult(
        probe=row.probe,
        kind=row.kind,
        check=row.check,  # type: ignore[arg-type]  # stored from a checked spec
        outcome=Outcome(row.outcome),
        latency_ms=row.latency_ms,
        detail=row.detail or "",
        at=from_ms(row.at_ms),
    )
