"""What the cockpit says about the probes themselves (not what they see).

The status bar counts them (``Probes: 12 · 2 DOWN``). When their process stops by itself, a red
banner says why and when it starts again, counting down by the cockpit's clock
(``PROBES STOPPED — restarting in 4 s (attempt 3); the probe process exited (code -9)…``), and the
status bar says the same in short; both clear once the new process reports. A dismissed banner
stays dismissed until the process dies again.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import QLabel

from stratus_commander.clock import Clock
from stratus_commander.probes.base import Outcome, ProbeState, StateChange
from stratus_commander.qt.cockpit.notify import Banner, BannerArea

if TYPE_CHECKING:  # pydantic loads with a config's validation, not the first frame
    from stratus_commander.probes.spec import ProbeSpec

__all__ = ["Live", "LiveStatus", "ProbeStatus", "restart_text"]

KEY = "probes"


class LiveStatus(Protocol):
    """What is read from the running probes (``stratus_commander.live.LiveProbes``)."""

    @property
    def specs(self) -> tuple[ProbeSpec, ...]: ...

    @property
    def states(self) -> dict[str, ProbeState]: ...

    problem: str | None  # why the probes stopped by themselves
    restart: Any  # live.Restart | None: when they start again


def restart_text(restart: Any, now: datetime) -> str:
    """``restarting in 4 s (attempt 3)``, ``restarting now (attempt 3)``; ``""`` for no restart."""
    if restart is None:
        return ""
    if restart.at is None:
        return f"restarting now (attempt {restart.attempt})"
    seconds = max(math.ceil((restart.at - now).total_seconds()), 0)
    return f"restarting in {seconds} s (attempt {restart.attempt})"


class ProbeStatus:
    """The probes' line in the status bar and their banner."""

    def __init__(self, banners: BannerArea, summary: QLabel, clock: Clock) -> None:
        self.banners = banners
        self.summary = summary
        self.clock = clock
        self._banner: Banner | None = None
        self._said: tuple[str, int] | None = None  # (problem, attempt) a banner was raised for

    def show(self, live: LiveStatus | None, *, recount: bool = True) -> None:
        """Say how the probes are (``recount``: the summary's counts may have changed)."""
        problem = live.problem if live is not None else None
        if live is None or problem is None:
            if self._said is not None:  # running again
                self._said = None
                self.banners.dismiss(KEY)
                self._banner = None
                recount = True
            if recount:
                self.summary.setText(self._counts(live))
            return
        restart = getattr(live, "restart", None)
        when = restart_text(restart, self.clock.now())
        self.summary.setText(f"Probes: STOPPED — {when or problem}")
        if when:
            text = (
                f"PROBES STOPPED — {when}; {problem}. The panels show the last states seen "
                "until the probes report again."
            )
        else:
            text = (
                f"PROBES STOPPED — {problem}. The panels show the last states seen; restart the "
                "cockpit to probe again."
            )
        said = (problem, restart.attempt if restart is not None else 0)
        if self._said != said:  # a new death: a new banner, even if the last one was dismissed
            self._said = said
            self._banner = self.banners.show_banner(KEY, "overdue", text)
        elif KEY in self.banners.order() and self._banner is not None:
            self._banner.text.setText(text)  # in place: it keeps its place in the stack

    @staticmethod
    def _counts(live: LiveStatus | None) -> str:
        if live is None:
            return "No probes running."
        states = live.states
        counts = {o: sum(1 for s in states.values() if s.outcome is o) for o in Outcome}
        parts = [f"Probes: {len(live.specs)}"]
        for outcome in (Outcome.DOWN, Outcome.DEGRADED, Outcome.UNKNOWN):
            if counts[outcome]:
                parts.append(f"{counts[outcome]} {outcome.value.upper()}")
        return " · ".join(parts)


class Live(Protocol):
    """What the cockpit reads from the running probes (``stratus_commander.live.LiveProbes``)."""

    @property
    def first_failure(self) -> StateChange | None: ...

    @property
    def specs(self) -> tuple[ProbeSpec, ...]: ...

    @property
    def states(self) -> dict[str, ProbeState]: ...

    problem: str | None  # why the probes stopped by themselves
    restart: Any  # when they start again (see qt/cockpit/probe_status.py)
    simulator: Any
