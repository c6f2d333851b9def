"""What a cockpit reads and hears from a source of probe results, whatever runs the probes: the
cockpit's own worker process (:class:`stratus_commander.live.LiveProbes`) or the team prober's
stored samples (:class:`stratus_commander.probes.team.TeamProbes`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from stratus_commander.probes.base import ProbeResult, ProbeState, StateChange

if TYPE_CHECKING:  # pydantic loads with a config's validation, not the first frame
    from stratus_commander.probes.spec import ProbeSpec

__all__ = ["ProbeFeed"]


class ProbeFeed:
    """The probes, their displayed states, and the listeners results and flips go to."""

    def __init__(self, specs: Iterable[ProbeSpec]) -> None:
        self._specs = tuple(specs)
        self._states: dict[str, ProbeState] = {}
        self._result_listeners: list[Callable[[ProbeResult], object]] = []
        self._change_listeners: list[Callable[[StateChange], object]] = []
        self._batch: Callable[[], AbstractContextManager[object]] = nullcontext
        self.first_failure: StateChange | None = None  # detection evidence for the DECLARE clock

    @property
    def specs(self) -> tuple[ProbeSpec, ...]:
        return self._specs

    @property
    def states(self) -> dict[str, ProbeState]:
        """Probe id -> displayed state, as delivered so far (absent before a first result)."""
        return dict(self._states)

    def on_result(self, callback: Callable[[ProbeResult], object]) -> None:
        """Call ``callback(result)`` on the owner's loop for every probe result."""
        self._result_listeners.append(callback)

    def on_state_change(self, callback: Callable[[StateChange], object]) -> None:
        """Call ``callback(change)`` on the owner's loop for every flip of a displayed state."""
        self._change_listeners.append(callback)

    def deliver_within(self, batch: Callable[[], AbstractContextManager[object]]) -> None:
        """Deliver each batch of reports inside ``batch()`` (views redraw once a batch)."""
        self._batch = batch
