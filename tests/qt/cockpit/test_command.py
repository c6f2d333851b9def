"""Roles in the cockpit: the header says who holds which role and who this cockpit is; "Hand
over command" is one key (Ctrl+Shift+H) and one event; the receiving cockpit says "You are the
incident commander"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from stratus_commander.incident import Incidents
from stratus_commander.incident.roles import assign
from stratus_commander.qt.app import open_settings
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.cockpit.command import BANNER_KEY, HandOverDialog
from stratus_commander.qt.cockpit.notify import Banner
from stratus_commander.store import open_store


def _cockpit(qtbot, db_path, runbook, clock, person: str) -> tuple[Incidents, Cockpit]:
    incidents = Incidents(open_store(db_path), clock, actor=person)
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock, db_path=db_path, settings=open_settings())
    qtbot.addWidget(window)
    window.show()
    return incidents, window


def test_hand_over_command_with_one_key_and_the_new_commander_is_told(
    qtbot, runbook, clock, db_path, app_style
) -> None:
    alice, a_window = _cockpit(qtbot, db_path, runbook, clock, "alice")
    incident = alice.declare("Payments failing", "Critical")
    assign(alice, incident.id, "scribe", "carol")
    bob, b_window = _cockpit(qtbot, db_path, runbook, clock, "bob")
    a_window.set_incident(alice.get(incident.id))
    b_window.set_incident(bob.get(incident.id))
    assert a_window.header.roles.text() == (
        "Incident commander alice · Scribe carol · you: alice (incident commander)"
    )
    assert b_window.header.roles.text().endswith("· you: bob")
    assert BANNER_KEY not in b_window.banners.order()

    a_window.activateWindow()
    qtbot.waitActive(a_window)
    QTest.keyClick(
        a_window.windowHandle(),
        Qt.Key.Key_H,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = a_window.findChild(HandOverDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.person, "bob")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert not dialog.isVisible()

    (event,) = alice.events(incident.id, {"role_assigned"})[-1:]
    assert (event.actor, event.text) == ("alice", "Command handed over: alice → bob")
    assert event.data["handover"] is True
    assert a_window.header.roles.text().startswith("Incident commander bob")
    assert BANNER_KEY not in a_window.banners.order()  # alice is not the one told

    # Bob's cockpit hears the event (in team mode the database tells it) and says so.
    bob.announce(bob.get(incident.id), event)
    assert BANNER_KEY in b_window.banners.order()
    (banner,) = (b for b in b_window.banners.findChildren(Banner) if b.key == BANNER_KEY)
    assert banner.text.text().startswith("You are the incident commander — alice handed command")
    assert b_window.header.roles.text().endswith("you: bob (incident commander)")
    # The timeline shows who signed each event.
    rows = [
        b_window.timeline.tree.topLevelItem(i)
        for i in range(b_window.timeline.tree.topLevelItemCount())
    ]
    assert ("Command handed over: alice → bob", "alice") in [(r.text(2), r.text(3)) for r in rows]


def test_a_refused_hand_over_stays_in_the_dialog(qtbot, runbook, clock, db_path) -> None:
    alice = Incidents(open_store(db_path), clock, actor="alice")
    incident = alice.declare("Payments failing", "Critical")
    eve = Incidents(open_store(db_path), clock, actor="eve")
    dialog = HandOverDialog(eve, incident.id, None)
    qtbot.addWidget(dialog)
    dialog.person.setText("eve")
    dialog.hand_over()
    assert "only the incident commander (alice) assigns roles; you are eve" in (
        dialog.feedback.text()
    )
    assert not eve.events(incident.id, {"role_assigned"})


def test_a_check_ticked_by_someone_else_first_is_answered_in_place(
    qtbot, runbook, clock, db_path
) -> None:
    from stratus_commander.incident.checklists import set_tick
    from stratus_commander.qt.cockpit.mitigate_panel import MitigatePanel

    alice = Incidents(open_store(db_path), clock, actor="alice")
    incident = alice.declare("Database pool exhausted", "Major", ["Database"])
    assign(alice, incident.id, "scribe", "bob")
    panel = MitigatePanel(Bus(), alice, runbook, clock)  # alice's panel, not told of bob's tick
    qtbot.addWidget(panel)
    panel.set_incident(incident)
    item = runbook.mitigation["database"][2]
    bob = Incidents(open_store(db_path), clock, actor="bob")
    set_tick(bob, incident.id, "mitigate:database", item, True)
    panel.checklist.setFocus()
    panel.checklist.setCurrentRow(2)
    qtbot.keyClick(panel.checklist, Qt.Key.Key_Space)
    shown = panel.feedback.text()
    assert shown.startswith(f"INC-1: “{item.text}” was already ticked by the scribe (bob) at ")
    assert "⚠" not in shown and panel.feedback.isVisibleTo(panel)
    # The list shows what the timeline holds: ticked (by bob), not unticked by the click.
    assert panel.checklist.item(2).checkState() == Qt.CheckState.Checked
    assert len(alice.events(incident.id, {"check_ticked"})) == 1


def test_two_cockpits_deciding_triage_at_once_the_second_is_told(
    qtbot, runbook, clock, db_path
) -> None:
    from stratus_commander.qt.cockpit.triage_panel import TriagePanel

    alice = Incidents(open_store(db_path), clock, actor="alice")
    incident = alice.declare("API errors", "Major")
    assign(alice, incident.id, "deputy", "bob")
    bob = Incidents(open_store(db_path), clock, actor="bob")
    panels = []
    for incidents in (alice, bob):  # each on its own store and bus: neither hears the other
        panel = TriagePanel(Bus(), incidents, runbook, clock)
        qtbot.addWidget(panel)
        panel.set_incident(incidents.get(incident.id))
        panels.append(panel)
    panels[0].decision.buttons["internal"].click()
    panels[1].decision.buttons["external"].click()  # bob still sees "no decision yet"
    assert (
        panels[1]
        .feedback.text()
        .startswith(
            "INC-1: triage was already decided: internal by the incident commander (alice) at "
        )
    )
    assert [e.actor for e in alice.events(incident.id, {"decision"})] == ["alice"]
    assert panels[1].incident is not None and panels[1].incident.triage_decision == "internal"
    assert panels[1].decision.buttons["internal"].isChecked()
