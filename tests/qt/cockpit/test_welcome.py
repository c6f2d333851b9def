"""The welcome page: declare, start a drill, or open an incident from the library."""

from __future__ import annotations

from PySide6.QtCore import Qt

from stratus_commander.qt.cockpit.welcome import WelcomePage


def test_library_lists_searches_and_opens_with_enter(qtbot, incidents) -> None:
    first = incidents.declare("Webhook deliveries failing", "Major")
    incidents.declare("Database pool exhausted", "Critical", drill=True)
    incidents.note(first.id, "Stripe shows 37 failed deliveries")
    page = WelcomePage(incidents, [("baseline", "Calm day")])
    qtbot.addWidget(page)
    page.show()
    texts = [page.incident_list.item(i).text() for i in range(page.incident_list.count())]
    assert "Database pool exhausted  [DRILL]" in texts[0] and "INVESTIGATING" in texts[0]
    assert "Webhook deliveries failing" in texts[1]
    qtbot.keyClicks(page.search, "37 failed")  # full text: notes count too
    assert page.incident_list.count() == 1
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # Enter moves to the list
    with qtbot.waitSignal(page.open_requested) as opened:
        qtbot.keyClick(page.incident_list, Qt.Key.Key_Return)
    assert opened.args == [first.id]
    page.search.setText("nothing like this")
    assert page.incident_list.item(0).text() == "No incident matches."


def test_declare_and_drill_buttons(qtbot, incidents) -> None:
    page = WelcomePage(incidents, [("baseline", "Calm day"), ("payment-processing-down", "Pay")])
    qtbot.addWidget(page)
    assert page.incident_list.item(0).text() == "No incidents recorded yet."
    assert page.scenario.currentData() == "payment-processing-down"  # a drill that does something
    with qtbot.waitSignal(page.drill_requested) as drill:
        page.drill_button.click()
    assert drill.args == ["payment-processing-down"]
    with qtbot.waitSignal(page.declare_requested):
        page.declare_button.click()
