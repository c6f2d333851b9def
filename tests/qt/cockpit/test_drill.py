"""A drill end to end: the real simulator and probe engine over loopback, into the cockpit."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.drill.config import drill_secrets
from stratus_commander.live import LiveProbes
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from tests.qt.conftest import T0


def test_a_probe_flip_from_the_simulator_reaches_panel_rail_and_timeline(
    qtbot, arun, incidents, runbook, clock, db_path
) -> None:
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock, db_path=db_path)
    qtbot.addWidget(window)
    window.show()
    # The simulator keeps its own (fake) clock: scenario time moves only when the test jumps it.
    live = LiveProbes.drill(
        "payment-processing-down",
        1.0,
        db_path,
        incidents,
        lambda: window.live_incident_id,
        clock=clock,
        simulator_clock=FakeClock(T0),
        isolated=False,  # on a thread, so the fake clock reaches the probes
    )
    try:
        bus.watch_probes(live)
        window.attach_live(live, drill=True)
        assert window.drill_strip.text().startswith("DRILL — Payment processing down")
        assert window.header.title.text() == "No incident declared"
        arun(live.run_once())  # calm: every probe up
        assert window.triage.probe_state_text("stripe-api") == "UP"
        assert window.rail.tiles["declare"].digits.text() == "--:--"

        live.simulator.advance_to("4m")  # Stripe's API fails, status.stripe.com agrees
        for _ in range(3):  # three failures in a row flip a probe
            clock.advance(seconds=5)
            arun(live.run_once())
        first = live.first_failure
        assert first is not None and first.at == T0 + timedelta(seconds=15)
        assert window.triage.probe_state_text("stripe-api") == "DOWN"
        assert window.header.title.text() == "Something is failing — no incident declared yet"
        assert window.rail.tiles["declare"].state_word.text() == "PENDING"
        assert window.rail.tiles["declare"].digits.text() == "05:00"  # from the evidence
        qtbot.waitUntil(
            lambda: (
                window.triage.decision.suggestion.text() == "Evidence suggests: EXTERNAL DEPENDENCY"
            )
        )
        assert incidents.list() == []  # nothing is declared for the commander

        window.declare()
        dialog = window._dialog
        assert dialog is not None and dialog.drill and dialog.detected_at() == first.at
        dialog.title_edit.setText("Stripe API failing")
        dialog.impact_combo.setCurrentText("Critical")
        dialog.accept()
        incident = incidents.last_open()
        assert incident is not None and incident.drill and incident.detected_at == first.at

        live.simulator.advance_to("25m")  # Stripe answers again; webhooks still degraded
        for _ in range(3):
            clock.advance(seconds=5)
            arun(live.run_once())
        flips = incidents.events(incident.id, {"probe_flipped"})
        assert flips, "a flip during the incident is on its timeline"
        assert {e.data["probe"] for e in flips} >= {"stripe-status"}
        timeline_text = [
            window.timeline.tree.topLevelItem(i).text(2)
            for i in range(window.timeline.tree.topLevelItemCount())
        ]
        assert any("stripe-status" in t for t in timeline_text)
        assert window.triage.probe_state_text("stripe-status") == "DEGRADED"
    finally:
        arun(live.aclose())
    with pytest.raises(RuntimeError, match="not started"):
        _ = live.simulator.port  # stopped
    assert not any(name in os.environ for name in drill_secrets())  # keys stayed in-process
    samples = incidents.store.query("SELECT count(*) AS n FROM samples")[0]["n"]
    assert samples == 7 * 8  # every sample of every run kept, none from the shutdown
