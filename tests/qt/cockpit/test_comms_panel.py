from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.comms import format_time
from stratus_commander.incident.deadlines import ClockState, clocks
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.comms_panel import CommsPanel
from stratus_commander.store import open_store
from tests.qt.conftest import T0


@pytest.fixture
def incident(incidents: Incidents) -> Incident:
    return incidents.declare(
        "Payment Processing API Down",
        "Critical",
        ["API", "Webhooks"],
        ["Stripe Connect API", "Payment Intents"],
        detected_at=T0 - timedelta(minutes=3),
    )


@pytest.mark.parametrize(
    ("fmt", "impact"),
    [
        ("plain", "Impact: Critical"),
        ("markdown", "**Impact:** Critical"),
        ("slack", "*Impact:* Critical"),
    ],
)
def test_copy_puts_the_rendered_message_on_the_clipboard(
    mount_panel, qtbot, bus, incidents, incident, fmt: str, impact: str
) -> None:
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(incident)
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(panel.copy_buttons[fmt], Qt.MouseButton.LeftButton)
    text = QGuiApplication.clipboard().text()
    assert "affecting API and Webhooks" in text
    assert "Stripe Connect API, Payment Intents" in text
    assert impact in text
    assert format_time(incident.detected_at) in text  # the start time, local with zone
    assert "{{" not in text


def test_mark_sent_records_the_message_and_restarts_next_update(
    mount_panel, qtbot, bus, incidents, clock, incident, runbook
) -> None:
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(incident)
    assert panel.template == "investigating"
    clock.advance(minutes=9)
    panel.copy("slack")
    panel.channel_combo.setCurrentIndex(panel.channel_combo.findData("slack"))
    qtbot.mouseClick(panel.mark_sent_button, Qt.MouseButton.LeftButton)

    (sent,) = incidents.events(incident.id, {"message_sent"})
    assert sent.at == clock.now()
    assert sent.data == {"channel": "slack", "template": "investigating", "format": "slack"}
    assert sent.text.startswith("We are currently investigating an issue affecting API")
    after = incidents.get(incident.id)
    readings = {r.id: r for r in clocks(after, runbook, clock.now())}
    assert readings["communicate"].state == ClockState.MET
    assert readings["next_update"].due_at == clock.now() + timedelta(minutes=30)
    assert "Next status update due by" in panel.due_label.text()
    # The next message needed is the 30-minute update, promising the new next-update time.
    assert panel.template == "update"
    next_at = format_time(clock.now() + timedelta(minutes=30))
    assert f"Next update: {next_at}" in panel.preview.toPlainText()

    clock.advance(minutes=31)
    bus.tick.emit()
    assert "OVERDUE" in panel.due_label.text()


def test_edits_survive_ticks_until_regenerated(
    mount_panel, qtbot, bus, incidents, clock, incident
) -> None:
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(incident)
    qtbot.keyClick(panel.preview, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.preview, " Payments are queued, not lost.")
    edited = panel.preview.toPlainText()
    assert edited.endswith("Payments are queued, not lost.")
    clock.advance(minutes=2)
    bus.tick.emit()
    incidents.note(incident.id, "a note does not overwrite the message")
    assert panel.preview.toPlainText() == edited
    assert "Edited by you" in panel.edited_label.text()
    qtbot.mouseClick(panel.regenerate_button, Qt.MouseButton.LeftButton)
    assert "queued" not in panel.preview.toPlainText()


def test_next_update_follows_the_clock_before_the_first_update(
    mount_panel, bus, incidents, clock, incident
) -> None:
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(incident)
    panel.template_combo.setCurrentIndex(panel.template_combo.findData("update"))
    panel.template_combo.activated.emit(panel.template_combo.currentIndex())
    clock.advance(minutes=5)
    bus.tick.emit()
    expected = format_time(clock.now() + timedelta(minutes=30))
    assert f"Next update: {expected}" in panel.preview.toPlainText()


def test_status_page_ticks_are_events_restored_on_rebuild(
    mount_panel, db_path, clock, bus, incidents, incident, runbook
) -> None:
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(incident)
    step = runbook.comms.status_page_steps[1]
    panel.status_page.item(1).setCheckState(Qt.CheckState.Checked)
    (tick,) = incidents.events(incident.id, {"check_ticked"})
    assert tick.data == {"group": "status_page", "item": step.id}

    with open_store(db_path) as store:
        fresh = Incidents(store, clock)
        again = mount_panel(CommsPanel, Bus(), fresh)
        again.set_incident(fresh.get(incident.id))
        states = [again.status_page.item(i).checkState() for i in range(again.status_page.count())]
    assert states.count(Qt.CheckState.Checked) == 1
    assert states[1] == Qt.CheckState.Checked


def test_audience_for_the_severity_is_beside_the_message(
    mount_panel, bus, incidents, incident
) -> None:
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(incident)
    assert "All users, brokers, operators" in panel.audience_label.text()


def test_no_incident_shows_a_calm_empty_state(mount_panel, bus, incidents) -> None:
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(None)
    assert panel.stack.currentIndex() == 0
