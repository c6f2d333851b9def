"""The welcome page: declare, start a drill, or open an incident from the library."""

from __future__ import annotations

from PySide6.QtCore import Qt

from stratus_commander.qt.cockpit.welcome import WelcomePage


def test_library_lists_searches_and_opens_with_enter(qtbot, incidents) -> None:
    first = incidents.declare("Webhook deliveries failing", "Major")
    incidents.clock.advance(minutes=1)
    incidents.declare("Database pool exhausted", "Critical", drill=True)
    incidents.note(first.id, "Stripe shows 37 failed deliveries")
    page = WelcomePage(incidents, [("baseline", "Calm day")])
    qtbot.addWidget(page)
    page.show()
    rows = page.library.cell_texts()
    # A table, newest first: id, title, impact, status, detected, duration, drill, on time.
    assert rows[0][1:4] == ["Database pool exhausted", "Critical", "INVESTIGATING"]
    assert rows[0][6] == "DRILL"
    assert rows[1][1] == "Webhook deliveries failing"
    qtbot.keyClicks(page.search, "37 failed")  # full text: notes count too
    assert page.library.shown_ids() == [first.id]
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # Enter moves to the table
    with qtbot.waitSignal(page.open_requested) as opened:
        qtbot.keyClick(page.incident_list, Qt.Key.Key_Return)
    assert opened.args == [first.id]
    page.search.setText("nothing like this")
    assert page.library.shown_ids() == []
    assert page.library.count.text().startswith("No incident matches “nothing like this”")


def test_declare_and_drill_buttons(qtbot, incidents) -> None:
    page = WelcomePage(incidents, [("baseline", "Calm day"), ("payment-processing-down", "Pay")])
    qtbot.addWidget(page)
    assert page.library.count.text() == "No incidents recorded yet."
    assert page.scenario.currentData() == "payment-processing-down"  # a drill that does something
    with qtbot.waitSignal(page.drill_requested) as drill:
        page.drill_button.click()
    assert drill.args == ["payment-processing-down"]
    with qtbot.waitSignal(page.declare_requested):
        page.declare_button.click()
