from datetime import UTC

import pytest
from PySide6.QtCore import Qt

from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.deadlines import ClockState, clocks
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.escalation_panel import EscalationPanel
from stratus_commander.qt.panel_kit import LATE_MARK
from stratus_commander.store import open_store


@pytest.fixture
def incident(incidents: Incidents) -> Incident:
    return incidents.declare("Payment Processing API Down", "Critical", ["API"])


def _timer_texts(panel: EscalationPanel) -> list[str]:
    return [panel.timer_list.item(i).text() for i in range(panel.timer_list.count())]


def test_matrix_row_for_the_severity_with_its_deadline(
    mount_panel, qtbot, bus, incidents, clock, incident, runbook
) -> None:
    panel = mount_panel(EscalationPanel, bus, incidents)
    panel.set_incident(incident)
    assert "CTO, Head of Engineering" in panel.who_label.text()
    assert "5" in panel.who_label.text()
    assert "in 05:00" in panel.by_label.text()
    clock.advance(minutes=6)
    bus.tick.emit()
    assert "OVERDUE by 01:00" in panel.by_label.text()

    qtbot.mouseClick(panel.escalate_button, Qt.MouseButton.LeftButton)
    after = incidents.get(incident.id)
    assert after.escalated_at == clock.now()
    (escalate,) = [r for r in clocks(after, runbook, clock.now()) if r.id == "escalate"]
    assert escalate.state == ClockState.LATE and escalate.met_late
    # Escalated, but late: said so, in its own mark, not the green ✓.
    assert panel.by_label.text().startswith(f"{LATE_MARK} Escalated LATE at")
    assert panel.by_label.text().endswith("01:00 late")
    assert not panel.escalate_button.isEnabled()


def test_contacts_show_placeholders_as_such_and_real_numbers_plainly(
    mount_panel, bus, incidents, runbook
) -> None:
    panel = mount_panel(EscalationPanel, bus, incidents)
    panel.set_incident(None)
    texts = [w.text() for w in panel.findChildren(type(panel.who_label))]
    assert any("<b>+44 20 1234 5678</b>" in t for t in texts)
    assert any("not in the runbook yet: [Phone], [Email]" in t for t in texts)
    assert "Major" in panel.matrix_label.text()  # no incident: the whole matrix


def test_a_call_log_entry_lands_on_the_timeline(
    mount_panel, qtbot, bus, incidents, clock, incident
) -> None:
    panel = mount_panel(EscalationPanel, bus, incidents)
    panel.set_incident(incident)
    clock.advance(minutes=10)  # 14:40: the CTO answered a minute ago
    panel.call_who.setCurrentText("CTO")
    panel.call_action.setCurrentText("Paged")
    panel.answered_check.setChecked(True)
    local_now = clock.now().astimezone()
    panel.answered_time.setTime(panel.answered_time.time().fromString("14:39", "HH:mm"))
    qtbot.keyClicks(panel.call_note, "joining the bridge")
    qtbot.keyClick(panel.call_note, Qt.Key.Key_Return)

    (call,) = incidents.events(incident.id, {"call_logged"})
    assert call.at == clock.now()
    assert call.text.startswith("Paged CTO, answered 14:39")
    assert call.text.endswith("— joining the bridge")
    assert call.data["who"] == "CTO" and call.data["action"] == "paged"
    answered = local_now.replace(hour=14, minute=39, second=0, microsecond=0)
    assert call.data["answered_at"] == answered.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")
    assert "Paged CTO" in panel.call_list.item(0).text()
    assert panel.call_note.text() == ""


def test_a_reminder_is_raised_when_due_and_survives_a_rebuild(
    mount_panel, qtbot, db_path, bus, incidents, clock, incident
) -> None:
    panel = mount_panel(EscalationPanel, bus, incidents)
    panel.set_incident(incident)
    qtbot.keyClicks(panel.timer_who, "Dana")
    qtbot.keyClicks(panel.timer_task, "roll back deploy 4812")
    panel.timer_minutes.setValue(5)
    qtbot.mouseClick(panel.set_timer_button, Qt.MouseButton.LeftButton)
    (set_event,) = incidents.events(incident.id, {"reminder_set"})
    assert set_event.data["minutes"] == 5

    raised: list[str] = []
    panel.reminder_due.connect(raised.append)
    clock.advance(minutes=4, seconds=59)
    bus.tick.emit()
    assert raised == []
    assert "in 00:01" in _timer_texts(panel)[0]
    clock.advance(seconds=1)
    bus.tick.emit()
    assert raised == [raised[0]] and "Dana: roll back deploy 4812" in raised[0]
    assert _timer_texts(panel)[0].startswith("⚠ DUE")
    due_row = panel.timer_list.item(0)
    assert due_row.background().style() != Qt.BrushStyle.NoBrush and due_row.font().bold()
    bus.tick.emit()
    assert len(raised) == 1  # raised once, not every second
    assert len(incidents.events(incident.id, {"reminder_due"})) == 1

    # A second timer comes due while the cockpit is closed.
    qtbot.keyClicks(panel.timer_who, "Sam")
    qtbot.keyClicks(panel.timer_task, "check Supabase pool")
    panel.timer_minutes.setValue(1)
    qtbot.keyClick(panel.timer_task, Qt.Key.Key_Return)
    clock.advance(minutes=2)

    with open_store(db_path) as store:
        fresh = Incidents(store, clock)
        rebuilt_bus = Bus()
        rebuilt_bus.watch_incidents(fresh)
        rebuilt = mount_panel(EscalationPanel, rebuilt_bus, fresh)
        again: list[str] = []
        rebuilt.reminder_due.connect(again.append)
        rebuilt.set_incident(fresh.get(incident.id))
        rebuilt_bus.tick.emit()
        texts = _timer_texts(rebuilt)
        assert [t.startswith("⚠ DUE") for t in texts] == [True, True]
        assert len(again) == 1 and "Sam" in again[0]  # Dana's was announced before

        rebuilt.timer_list.setCurrentRow(next(i for i, t in enumerate(texts) if "Dana" in t))
        qtbot.mouseClick(rebuilt.done_button, Qt.MouseButton.LeftButton)
        assert len(_timer_texts(rebuilt)) == 1 and "Sam" in _timer_texts(rebuilt)[0]
        done = [e for e in fresh.events(incident.id, {"reminder_due"}) if e.data["state"] == "done"]
        assert len(done) == 1 and "Dana" in done[0].text


def test_bad_timer_input_is_shown_not_raised(mount_panel, qtbot, bus, incidents, incident) -> None:
    panel = mount_panel(EscalationPanel, bus, incidents)
    panel.set_incident(incident)
    qtbot.keyClicks(panel.timer_task, "nobody named")
    qtbot.mouseClick(panel.set_timer_button, Qt.MouseButton.LeftButton)
    assert "who" in panel.feedback.text()
    assert incidents.events(incident.id, {"reminder_set"}) == []
