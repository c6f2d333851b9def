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
    restart: Any = None
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


def test_the_banner_counts_down_to_the_restart_and_clears_when_probes_report_again(
    qtbot, incidents, runbook, clock
) -> None:
    from datetime import timedelta

    from stratus_commander.live import Restart

    bus = Bus()
    window = Cockpit(bus, incidents, runbook, clock)
    qtbot.addWidget(window)
    live = StoppedProbes()
    window.attach_live(live)
    live.problem = "the probe process exited (code -9)"
    live.restart = Restart(3, clock.now() + timedelta(seconds=4))
    bus.tick.emit()
    assert window.banners.texts() == [
        "PROBES STOPPED — restarting in 4 s (attempt 3); the probe process exited (code -9). "
        "The panels show the last states seen until the probes report again."
    ]
    assert window.probe_summary.text() == "Probes: STOPPED — restarting in 4 s (attempt 3)"
    window.banners.show_banner("reminder:x", "soon", "CHECK BACK — Stripe support")
    clock.advance(1.5)
    bus.tick.emit()
    assert window.banners.order() == ["reminder:x", "probes"]  # updated in place
    assert window.banners.texts()[1].startswith("PROBES STOPPED — restarting in 3 s (attempt 3)")
    assert window.probe_summary.text() == "Probes: STOPPED — restarting in 3 s (attempt 3)"

    live.restart = Restart(3)  # started, not heard from yet
    bus.tick.emit()
    assert window.probe_summary.text() == "Probes: STOPPED — restarting now (attempt 3)"

    live.problem, live.restart = None, None  # it reports again
    bus.tick.emit()
    assert window.banners.order() == ["reminder:x"]
    assert window.probe_summary.text() == "Probes: 0"

    live.problem = "the probe process exited (code 1)"  # and dies again
    live.restart = Restart(4, clock.now() + timedelta(seconds=8))
    bus.tick.emit()
    window.banners.dismiss("probes")
    bus.tick.emit()  # dismissed: not back every second ...
    assert window.banners.order() == ["reminder:x"]
    assert window.probe_summary.text() == "Probes: STOPPED — restarting in 8 s (attempt 4)"
    live.restart = Restart(5, clock.now() + timedelta(seconds=16))
    bus.tick.emit()  # ... but for the next death
    assert window.banners.order() == ["probes", "reminder:x"]
