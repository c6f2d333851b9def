import pytest
from PySide6.QtCore import Qt

from stratus_commander.incident import Incident, Incidents
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.mitigate_panel import MitigatePanel
from stratus_commander.store import open_store


@pytest.fixture
def incident(incidents: Incidents) -> Incident:
    return incidents.declare("Database pool exhausted", "Major", ["Database"], ["Bookings"])


def _checked(panel: MitigatePanel) -> list[bool]:
    return [
        panel.checklist.item(i).checkState() == Qt.CheckState.Checked
        for i in range(panel.checklist.count())
    ]


def test_a_tick_is_a_timed_event_restored_after_rebuild(
    mount_panel, qtbot, db_path, bus, incidents, clock, incident, runbook
) -> None:
    panel = mount_panel(MitigatePanel, bus, incidents)
    panel.set_incident(incident)
    assert panel.group == "mitigate:database"  # the declared scope picks the checklist
    clock.advance(minutes=4)
    panel.checklist.setFocus()
    panel.checklist.setCurrentRow(2)
    qtbot.keyClick(panel.checklist, Qt.Key.Key_Space)  # ticking works from the keyboard

    (tick,) = incidents.events(incident.id, {"check_ticked"})
    item = runbook.mitigation["database"][2]
    assert tick.at == clock.now()
    assert tick.data == {"group": "mitigate:database", "item": item.id}
    assert item.text in tick.text
    assert _checked(panel) == [False, False, True, False]
    assert "1 of 4 done" in panel.progress_label.text()
    assert "✓" in panel.checklist.item(2).text()

    with open_store(db_path) as store:
        fresh = Incidents(store, clock)
        rebuilt = mount_panel(MitigatePanel, Bus(), fresh)
        rebuilt.set_incident(fresh.get(incident.id))
        assert _checked(rebuilt) == [False, False, True, False]


def test_untick_and_playbooks_are_separate_groups(mount_panel, bus, incidents, incident) -> None:
    panel = mount_panel(MitigatePanel, bus, incidents)
    panel.set_incident(incident)
    panel.checklist.item(0).setCheckState(Qt.CheckState.Checked)
    panel.checklist.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert [e.kind for e in incidents.events(incident.id)][-2:] == [
        "check_ticked",
        "check_unticked",
    ]
    assert _checked(panel) == [False] * 4

    index = panel.list_combo.findData("playbook:database-connection-issues")
    panel.list_combo.setCurrentIndex(index)
    panel.list_combo.activated.emit(index)
    panel.checklist.item(0).setCheckState(Qt.CheckState.Checked)  # "pool-status", as above
    assert _checked(panel) == [True, False, False, False]
    back = panel.list_combo.findData("mitigate:database")
    panel.list_combo.setCurrentIndex(back)
    panel.list_combo.activated.emit(back)
    assert _checked(panel) == [False] * 4  # the same item id in another group stays unticked


def test_status_goes_investigating_identified_monitoring_resolved(
    mount_panel, qtbot, bus, incidents, clock, incident
) -> None:
    panel = mount_panel(MitigatePanel, bus, incidents)
    panel.set_incident(incident)
    asked: list[str] = []
    panel.confirm = lambda title, text: asked.append(title) or True

    def current() -> list[str]:
        return [s for s, b in panel.status_buttons.items() if b.isChecked()]

    assert current() == ["investigating"]
    for status in ("identified", "monitoring", "resolved"):
        clock.advance(minutes=5)
        qtbot.mouseClick(panel.status_buttons[status], Qt.MouseButton.LeftButton)
        assert incidents.get(incident.id).status == status
        assert current() == [status]
        assert status.upper() in panel.status_label.text()
    assert asked == ["Resolve incident"]  # only resolving asked first
    changes = [e.data["to"] for e in incidents.events(incident.id, {"status_changed"})]
    assert changes == ["identified", "monitoring", "resolved"]
    assert incidents.get(incident.id).resolved_at == clock.now()


def test_declining_the_confirmation_keeps_the_status(
    mount_panel, qtbot, bus, incidents, incident
) -> None:
    panel = mount_panel(MitigatePanel, bus, incidents)
    panel.set_incident(incident)
    panel.confirm = lambda title, text: False
    qtbot.mouseClick(panel.status_buttons["resolved"], Qt.MouseButton.LeftButton)
    assert incidents.get(incident.id).status == "investigating"
    assert not panel.status_buttons["resolved"].isChecked()
    assert panel.status_buttons["investigating"].isChecked()


def test_an_external_decision_opens_the_external_checklist(
    mount_panel, bus, incidents, incident
) -> None:
    panel = mount_panel(MitigatePanel, bus, incidents)
    panel.set_incident(incident)
    incidents.decide(incident.id, "external", "Supabase status page red")
    assert panel.group == "mitigate:external"


def test_without_an_incident_the_checklists_are_read_only(
    mount_panel, bus, incidents, runbook
) -> None:
    panel = mount_panel(MitigatePanel, bus, incidents)
    panel.set_incident(None)
    assert panel.checklist.count() == len(runbook.mitigation["api"])
    assert not panel.checklist.isEnabled()
    assert not any(b.isEnabled() for b in panel.status_buttons.values())
