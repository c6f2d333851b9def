from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.qt.welcome import WelcomeWindow
from stratus_commander.store import Store


def test_welcome_lists_past_incidents_and_opens_one(qtbot) -> None:
    inc = Incidents(Store.memory(), FakeClock(datetime(2026, 11, 27, 14, 30, tzinfo=UTC)))
    first = inc.declare("Webhook deliveries failing", "Major")
    inc.declare("Database pool exhausted", "Critical")
    window = WelcomeWindow(inc.list())
    qtbot.addWidget(window)
    window.show()
    texts = [window.incident_list.item(i).text() for i in range(window.incident_list.count())]
    assert "Database pool exhausted" in texts[0] and "Webhook deliveries failing" in texts[1]
    window.incident_list.setCurrentRow(1)
    with qtbot.waitSignal(window.open_requested) as opened:
        qtbot.keyClick(window.incident_list, Qt.Key.Key_Return)
    assert opened.args == [first.id]


def test_ctrl_n_asks_to_declare(qtbot) -> None:
    window = WelcomeWindow([])
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    with qtbot.waitSignal(window.declare_requested):
        # Through the QWindow: a spontaneous event, which is what shortcuts listen to.
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert "No incidents recorded yet." in window.incident_list.item(0).text()
