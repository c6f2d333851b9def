import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.comms import zone_name
from stratus_commander.qt.cockpit.timeline_panel import ALL, CATEGORIES, TimelinePanel
from stratus_commander.timeline import DEBRIEF_ONLY_KINDS, EVENT_KINDS


@pytest.fixture
def incident(incidents: Incidents) -> Incident:
    return incidents.declare("Webhooks failing", "Major", ["Webhooks"])


def _activate(qtbot, widget: TimelinePanel) -> None:
    # Offscreen, waitActive can return before the window is active; wait for the real thing.
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)


def _rows(panel: TimelinePanel) -> list[tuple[str, str]]:
    tree = panel.tree
    return [
        (tree.topLevelItem(i).text(1), tree.topLevelItem(i).text(2))
        for i in range(tree.topLevelItemCount())
    ]


def _show(panel: TimelinePanel, label: str) -> None:
    panel.filter_combo.setCurrentIndex(panel.filter_combo.findData(label))


def test_every_kind_has_exactly_one_filter_category() -> None:
    """... but the drill's tab views, which only the debrief shows."""
    seen = [kind for kinds in CATEGORIES.values() for kind in kinds]
    assert sorted(seen) == sorted(EVENT_KINDS - DEBRIEF_ONLY_KINDS)


def test_new_events_appear_live_newest_first(mount_panel, bus, incidents, clock, incident) -> None:
    panel = mount_panel(TimelinePanel, bus, incidents)
    panel.set_incident(incident)
    assert _rows(panel) == [("Declared", "Webhooks failing")]
    clock.advance(minutes=2)
    incidents.record(
        incident.id,
        "probe_flipped",
        "stripe-webhooks (webhooks): up → down — 3 failed deliveries",
        {"probe": "stripe-webhooks", "to": "down"},
    )
    incidents.note(incident.id, "Stripe dashboard shows 500s from our endpoint")
    assert _rows(panel)[:2] == [
        ("Note", "Stripe dashboard shows 500s from our endpoint"),
        ("Probe ▼", "stripe-webhooks (webhooks): up → down — 3 failed deliveries"),
    ]
    # Local time, its zone named in the column header.
    local_time = clock.now().astimezone().strftime("%H:%M:%S")
    assert panel.tree.topLevelItem(1).text(0) == local_time
    assert panel.tree.headerItem().text(0) == f"Time ({zone_name(clock.now())})"
    other = incidents.declare("Another incident", "Minor")
    incidents.note(other.id, "not for this panel")
    assert len(_rows(panel)) == 3


def test_an_event_announced_out_of_turn_is_shown_in_order_once(
    mount_panel, bus, incidents, clock, incident
) -> None:
    # The probes' writer commits a flip (seq 2) but is announced after the commander's note
    # (seq 3), as when both write within the same moment.
    panel = mount_panel(TimelinePanel, bus, incidents)
    panel.set_incident(incident)
    probes = Incidents(incidents.store, clock, actor="dana")  # no listener: announced later
    flip = probes.record(
        incident.id, "probe_flipped", "api-health (api): up → down", {"to": "down"}
    )
    incidents.note(incident.id, "rolling back deploy 4812")
    incidents.announce(incidents.get(incident.id), flip)
    assert _rows(panel) == [
        ("Note", "rolling back deploy 4812"),
        ("Probe ▼", "api-health (api): up → down"),
        ("Declared", "Webhooks failing"),
    ]
    assert [e.seq for e in panel.events] == [1, 2, 3]


def test_filter_by_kind(mount_panel, bus, incidents, incident) -> None:
    panel = mount_panel(TimelinePanel, bus, incidents)
    panel.set_incident(incident)
    incidents.note(incident.id, "first note")
    incidents.set_status(incident.id, "identified")
    incidents.note(incident.id, "second note")
    _show(panel, "Notes")
    assert _rows(panel) == [("Note", "second note"), ("Note", "first note")]
    incidents.set_status(incident.id, "monitoring")  # filtered out live, too
    incidents.note(incident.id, "third note")
    assert [kind for kind, _ in _rows(panel)] == ["Note"] * 3
    _show(panel, "Status and decisions")
    assert [kind for kind, _ in _rows(panel)] == ["Status", "Status", "Declared"]
    _show(panel, "Messages sent")
    assert _rows(panel) == [("", "No events of this kind yet.")]
    _show(panel, ALL)
    assert len(_rows(panel)) == 6


def test_n_then_typing_then_enter_adds_a_note(mount_panel, qtbot, bus, incidents, incident) -> None:
    panel = mount_panel(TimelinePanel, bus, incidents)
    panel.set_incident(incident)
    _activate(qtbot, panel)
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_N)
    assert QApplication.focusWidget() is panel.note_edit
    assert panel.note_edit.text() == ""  # the N itself is not typed into the note
    qtbot.keyClicks(panel.note_edit, "Rolled back deploy 4812")
    qtbot.keyClick(panel.note_edit, Qt.Key.Key_Return)

    notes = incidents.events(incident.id, {"note"})
    assert [n.text for n in notes] == ["Rolled back deploy 4812"]
    assert _rows(panel)[0] == ("Note", "Rolled back deploy 4812")
    assert panel.note_edit.text() == ""
    assert QApplication.focusWidget() is panel.tree  # back to the list for the next N


def test_focus_note_is_a_slot_for_the_global_shortcut(
    mount_panel, qtbot, bus, incidents, incident
) -> None:
    panel = mount_panel(TimelinePanel, bus, incidents)
    panel.set_incident(incident)
    _activate(qtbot, panel)
    panel.filter_combo.setFocus()
    panel.focus_note()
    assert QApplication.focusWidget() is panel.note_edit
    qtbot.keyClick(panel.note_edit, Qt.Key.Key_Return)  # an empty note is not recorded
    assert incidents.events(incident.id, {"note"}) == []


def test_without_an_incident_notes_are_disabled(mount_panel, bus, incidents) -> None:
    panel = mount_panel(TimelinePanel, bus, incidents)
    panel.set_incident(None)
    assert not panel.note_edit.isEnabled()
    assert _rows(panel) == [("", "No incident open.")]
