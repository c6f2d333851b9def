"""What the cockpit says about the probes themselves (not what they see)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stratus_commander.probes.base import StateChange
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit


@dataclass
class StoppedProbes:
    """Probes whose worker died: the cockpit learns it from ``problem``."""

    first_failure: StateChange | None = None
    specs: tuple[Any, ...] = ()
    states: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    simulator: Any = None


def test_probes_that_stopped_by_themselves_raise_an_urgent_banner(
    qtbot, incidents, runbook, clock
) -> None:
    bus = Bus()
    window = Cockpit(bus, incidents, runbook, clock)
    qtbot.addWidget(window)
    live = StoppedProbes()
    window.attach_live(live)
    bus.tick.emit()
    assert "probes" not in window.banners.order()

    live.problem = "the probe process exited (code -9)"
    bus.tick.emit()
    assert window.banners.order() == ["probes"]
    assert window.banners.severity("probes") == "overdue"
    assert window.banners.texts()[0].startswith(
        "PROBES STOPPED — the probe process exited (code -9)"
    )
    assert window.probe_summary.text() == "Probes: STOPPED — the probe process exited (code -9)"
    window.banners.dismiss("probes")
    bus.tick.emit()  # said once: a dismissed banner does not come back every second
    assert "probes" not in window.banners.order()


def test_a_drill_shows_its_cockpit_before_its_probes_start(
    qtbot, incidents, runbook, clock
) -> None:
    window = Cockpit(Bus(), incidents, runbook, clock)
    qtbot.addWidget(window)
    window.expect_drill("Payment processing down", 60)
    with qtbot.waitSignal(window.first_frame, timeout=5000):  # when the drill's probes start
        window.show()
    assert window.drill_strip.isVisible()
    assert window.drill_strip.text().startswith(
        "DRILL — Payment processing down — scenario time starting… · x60"
    )
    assert window.stack.currentIndex() == 1  # the cockpit, not the welcome page
    assert window.header.meta.text().startswith("Drill starting")  # not "no probes configured"
    assert window.windowTitle().startswith("[DRILL]")
