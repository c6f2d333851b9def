"""A short accelerated drill in the cockpit ends with its debrief: the tab views recorded (and
only the debrief shows them), the debrief window opened when the drill incident resolves, and the
review desk's Debrief tab for the same drill afterwards."""

from __future__ import annotations

from datetime import timedelta

from stratus_commander.debrief import VIEWED
from stratus_commander.incident import drill_run_of
from stratus_commander.live import LiveProbes
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.cockpit.work_area import TABS
from stratus_commander.qt.review.view import ReviewView
from stratus_commander.timeline import EVENT_KINDS
from tests.qt.conftest import T0

SPEED = 60.0  # a scenario minute per second of the (fake) clock


def test_a_short_accelerated_drill_opens_its_debrief_when_resolved(
    qtbot, arun, incidents, runbook, clock, db_path
) -> None:
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock, db_path=db_path)
    qtbot.addWidget(window)
    window.show()
    live = LiveProbes.drill(
        "payment-processing-down",
        SPEED,
        db_path,
        incidents,
        lambda: window.live_incident_id,
        clock=clock,
        simulator_clock=clock,  # one clock: scenario time is SPEED times the runbook's
        isolated=False,
    )
    try:
        bus.watch_probes(live)
        window.attach_live(live, drill=True)
        arun(live.run_once())  # scenario 0: calm
        clock.advance(seconds=1)  # scenario 1m: Stripe's API fails
        for _ in range(3):  # three failures in a row flip a probe
            clock.advance(seconds=1)
            arun(live.run_once())
        assert live.first_failure is not None

        window.declare()
        dialog = window._dialog
        assert dialog is not None
        dialog.title_edit.setText("Stripe API failing")
        dialog.impact_combo.setCurrentText("Critical")
        dialog.accept()
        incident = incidents.last_open()
        assert incident is not None and incident.drill
        run = drill_run_of(incidents.events(incident.id, EVENT_KINDS))
        assert run is not None and run.scenario == "payment-processing-down"
        assert run.speed == SPEED and run.started_at == T0

        window.show_tab(TABS.index("graphs"))  # the commander looks around
        window.show_tab(TABS.index("communicate"))
        views = incidents.events(incident.id, {VIEWED})
        assert [e.data["tab"] for e in views][-2:] == ["graphs", "communicate"]
        shown = [
            window.timeline.tree.topLevelItem(i).text(2)
            for i in range(window.timeline.tree.topLevelItemCount())
        ]
        assert not any(t.startswith("Looked at") for t in shown)  # only the debrief shows them

        clock.advance(seconds=1)
        incidents.decide(incident.id, "internal")  # the scenario expects external
        clock.advance(seconds=1)
        incidents.resolve(incident.id, "Stripe recovered")
        debrief_window = window.debriefs.windows[incident.id]
        qtbot.addWidget(debrief_window)
        qtbot.waitExposed(debrief_window)
        view = debrief_window.view
        assert view.debrief is not None
        assert view.score.text() == f"{view.debrief.score}/100"
        outcomes = {
            view.clocks.item(r, 0).text(): view.clocks.item(r, 1).text()
            for r in range(view.clocks.rowCount())
        }
        assert outcomes["DECLARE"] == "MET" and outcomes["TRIAGE"] == "MET"
        body = view.body.toPlainText()
        assert "internal" in body and "expected external" in body
        assert "first looked at communicate" in body
        assert view.debrief.evidence.flips  # the flips of the drill, in scenario time
        assert view.debrief.evidence.flips[0].scenario is not None
        assert view.debrief.evidence.flips[0].scenario >= timedelta(minutes=1)
    finally:
        arun(live.aclose())

    review = ReviewView(db_path, runbook, clock, incident.id, read_only=True)
    qtbot.addWidget(review)
    with qtbot.waitSignal(review.debrief_loaded, timeout=10_000):
        pass
    assert review.tabs.tabText(review.tabs.count() - 1) == "&Debrief"
    assert review.debrief_tab is not None
    assert review.debrief_tab.view.score.text() == view.score.text()
    review.shutdown()


def test_closing_the_drill_window_opens_the_debrief_of_its_open_drill(
    qtbot, arun, incidents, runbook, clock, db_path
) -> None:
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock, db_path=db_path)
    qtbot.addWidget(window)
    window.show()
    live = LiveProbes.drill(
        "rls-disabled",
        SPEED,
        db_path,
        incidents,
        lambda: window.live_incident_id,
        clock=clock,
        simulator_clock=clock,
        isolated=False,
    )
    try:
        bus.watch_probes(live)
        window.attach_live(live, drill=True)
        clock.advance(seconds=2)  # scenario 2m: RLS is off
        window.declare()
        dialog = window._dialog
        assert dialog is not None
        dialog.title_edit.setText("Payments readable with the anon key")
        dialog.impact_combo.setCurrentText("Critical")
        dialog.accept()
        incident = incidents.last_open()
        assert incident is not None
        clock.advance(seconds=1)
        incidents.decide(incident.id, "internal")
    finally:
        arun(live.aclose())
    window.close()  # the drill ends unresolved: its debrief opens (the app waits for it)
    debrief_window = window.debriefs.closing_window
    assert debrief_window is not None
    qtbot.addWidget(debrief_window)
    assert debrief_window.isVisible()
    debrief = debrief_window.view.debrief
    assert debrief is not None and debrief.scenario == "rls-disabled"
    assert debrief.triage[0].matches is True  # internal, as the scenario expects
    assert not debrief.resolved
