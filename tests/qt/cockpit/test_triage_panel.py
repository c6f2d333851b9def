"""Triage panel: ticks are timeline events; probe evidence, hint and decision."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import ticked
from stratus_commander.probes.base import Outcome, ProbeResult, StateChange
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.probe_table import ProbeTable
from stratus_commander.qt.cockpit.triage_panel import TriagePanel
from tests.qt.conftest import T0, hm


def _panel(qtbot, incidents: Incidents, runbook, clock) -> tuple[Bus, TriagePanel]:
    bus = Bus()
    bus.watch_incidents(incidents)
    panel = TriagePanel(bus, incidents, runbook, clock)
    qtbot.addWidget(panel)
    panel.show()
    return bus, panel


def _result(
    probe: str, check: str, outcome: Outcome, seconds: int, detail: str = ""
) -> ProbeResult:
    return ProbeResult(
        probe=probe,
        kind="http",
        check=check,  # type: ignore[arg-type]
        outcome=outcome,
        latency_ms=42.0,
        detail=detail or outcome.value,
        at=T0 + timedelta(seconds=seconds),
        metrics={"error_rate": 0.0},
    )


def _flip(result: ProbeResult, previous: Outcome | None) -> StateChange:
    return StateChange(
        result.probe, result.kind, result.check, previous, result.outcome, result.at, result.detail
    )


def test_a_tick_is_a_timeline_event_and_comes_back(qtbot, incidents, runbook, clock) -> None:
    incident = incidents.declare("API errors", "Major")
    _, panel = _panel(qtbot, incidents, runbook, clock)
    panel.set_incident(incident)
    check = panel.groups["api"].checks["api-logs"]
    assert check.isEnabled() and not check.isChecked()

    clock.advance(minutes=2)
    check.setFocus()
    qtbot.keyClick(check, Qt.Key.Key_Space)  # keyboard: Space ticks
    (event,) = incidents.events(incident.id, {"check_ticked"})
    assert event.data == {"group": "triage:api", "item": "api-logs"}
    assert event.at == T0 + timedelta(minutes=2)
    assert "Check API logs for errors" in event.text
    assert panel.groups["api"].tick_times["api-logs"].text().startswith(f"✓ {hm(2)}")

    # Rebuilt from the timeline, the tick is still there; unticking is recorded too.
    _, again = _panel(qtbot, incidents, runbook, clock)
    again.set_incident(incidents.get(incident.id))
    assert again.groups["api"].checks["api-logs"].isChecked()
    qtbot.keyClick(again.groups["api"].checks["api-logs"], Qt.Key.Key_Space)
    assert ticked(incidents.events(incident.id), "triage:api") == {}
    assert incidents.events(incident.id)[-1].kind == "check_unticked"
    assert not panel.groups["api"].checks["api-logs"].isChecked()  # the other view follows


def test_without_an_incident_ticks_and_decisions_wait(qtbot, incidents, runbook, clock) -> None:
    _, panel = _panel(qtbot, incidents, runbook, clock)
    assert not panel.groups["webhooks"].checks["webhook-logs"].isEnabled()
    assert not any(b.isEnabled() for b in panel.decision.buttons.values())
    assert "Declare the incident (Ctrl+N)" in panel.decision.decided.text()


def test_probe_evidence_rows_hint_and_decision(qtbot, incidents, runbook, clock) -> None:
    bus, panel = _panel(qtbot, incidents, runbook, clock)
    results = [
        _result("api-health", "api", Outcome.UP, 0),
        _result("stripe-api", "webhooks", Outcome.UP, 0),
        _result("stripe-status", "external", Outcome.UP, 0),
    ]
    for r in results:
        bus.probe_result.emit(r)
        bus.probe_flip.emit(_flip(r, None))
    assert panel.probe_state_text("stripe-status") == "UP"
    qtbot.waitUntil(lambda: panel.decision.suggestion.text() == "Evidence suggests: UNKNOWN")

    down = _result("stripe-status", "external", Outcome.DOWN, 30, "Stripe: api down")
    bus.probe_result.emit(down)
    bus.probe_flip.emit(_flip(down, Outcome.UP))
    table = panel.groups["external"].table
    cells = table.rows["stripe-status"]
    assert cells[0].text() == "DOWN"  # the row at once; the group a moment later
    qtbot.waitUntil(lambda: "DOWN" in panel.groups["external"].state.text())
    assert [cell.text() for cell in cells] == [
        "DOWN",
        "stripe-status",
        "42 ms",
        "Stripe: api down",
        hm(0.5, "%H:%M:%S"),
    ]
    assert panel.groups["external"].state.text() == "DOWN — 1 of 1 probe(s) failing"
    assert (
        "DOWN stripe-status: Stripe: api down"
        in panel.groups["external"].evidence["stripe-status"].text()
    )
    assert panel.decision.suggestion.text() == "Evidence suggests: EXTERNAL DEPENDENCY"
    assert "stripe-status down" in panel.decision.reason.text()
    assert panel.groups["database"].state.text() == "NO PROBE — check by hand"

    incident = incidents.declare("Payments failing", "Critical")
    panel.set_incident(incident)
    assert not panel.decision.next_step.isVisible()
    with qtbot.waitSignal(panel.goto) as goto:
        panel.decision.buttons["external"].click()
        assert incidents.get(incident.id).triage_decision == "external"
        assert panel.decision.next_step.text() == (
            "NEXT STEP: Contact provider, implement workaround."
        )
        assert panel.decision.go.text() == "Go to Mitigate (Ctrl+4) › external checklist"
        panel.decision.go.click()
    assert goto.args == ["mitigate", "external"]
    (event,) = incidents.events(incident.id, {"decision"})
    assert event.data["reason"] == "as the probe evidence suggests"


def test_probes_that_have_not_reported_yet_say_so(qtbot, incidents, runbook, clock) -> None:
    from stratus_commander.drill.config import probe_config_toml
    from stratus_commander.probes.config import parse_config

    bus, panel = _panel(qtbot, incidents, runbook, clock)
    specs = parse_config(probe_config_toml("http://127.0.0.1:1", 1.0)).probes
    panel.expect(specs)
    api = panel.groups["api"]
    assert panel.probe_state_text("api-health") == "WAITING"
    assert api.state.text() == "WAITING — first result of 1 probe(s)"  # not "NO PROBE"
    assert (
        api.evidence["api-health-endpoint"].text()
        == "Waiting for the first result of its probe(s)."
    )

    first = _result("api-health", "api", Outcome.UP, 1, "200")
    bus.probe_result.emit(first)
    bus.probe_flip.emit(_flip(first, None))
    panel.flush()
    assert panel.probe_state_text("api-health") == "UP"
    assert api.state.text() == "UP — all 1 probe(s)"


def test_a_groups_probe_table_is_made_with_its_first_probe(qtbot, incidents, runbook, clock):
    # The first frame (no probes yet) does without the four tables; a group gets its own when
    # a probe of its check is expected, with that probe WAITING in it.
    _, panel = _panel(qtbot, incidents, runbook, clock)
    assert not panel.findChildren(ProbeTable)
    assert panel.probe_state_text("api-health") == ""
    panel.expect([ProbeSpec(id="api-health", kind="http", check="api")])
    assert panel.findChildren(ProbeTable) == [panel.groups["api"].table]
    assert panel.groups["api"].table.isVisible()
    assert panel.probe_state_text("api-health") == "WAITING"
