"""The cockpit window: restart resumes exactly, keys, palette and layout remembered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import platformdirs
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from stratus_commander.clock import to_ms
from stratus_commander.qt import theme
from stratus_commander.qt.app import open_settings
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.store import SampleRow
from tests.qt.conftest import T0, open_cockpit


def _snapshot(window: Cockpit) -> dict:
    return {
        "header": window.header.title.text(),
        "tiles": {
            cid: (t.property("state"), t.digits.text(), t.state_word.text(), t.detail.text())
            for cid, t in window.rail.tiles.items()
        },
        "order": window.rail.order(),
        "ticks": {
            gid: {item: box.isChecked() for item, box in gb.checks.items()}
            for gid, gb in window.triage.groups.items()
        },
        "tick_times": {
            gid: {item: label.text() for item, label in gb.tick_times.items()}
            for gid, gb in window.triage.groups.items()
        },
        "decision": window.triage.decision.current(),
        "next_step": window.triage.decision.next_step.text(),
        "tab": window.tabs.currentIndex(),
    }


def test_restart_resumes_exactly(qtbot, arun, runbook, clock, db_path) -> None:
    store, incidents, bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    incident = incidents.declare("Webhooks failing", "Major", scope=["Webhooks"])
    window.set_incident(incident)
    clock.advance(minutes=3)
    window.triage.groups["webhooks"].checks["webhook-logs"].click()
    window.triage.groups["api"].checks["api-logs"].click()
    window.triage.groups["api"].checks["api-logs"].click()  # ticked, then unticked
    window.triage.decision.buttons["internal"].click()
    clock.advance(minutes=4)
    incidents.record(incident.id, "message_sent", "Investigating", {"channel": "status page"})
    store.add_samples(
        SampleRow("api-health", "http", "api", to_ms(T0 + timedelta(seconds=s)), "up", 30.0 + s)
        for s in range(0, 420, 5)
    )
    clock.advance(minutes=9, seconds=17)  # escalate (Major: 15 min) now overdue
    bus.tick.emit()
    window.tabs.setCurrentIndex(2)
    before = _snapshot(window)
    assert before["ticks"]["webhooks"]["webhook-logs"] and not before["ticks"]["api"]["api-logs"]
    assert before["decision"] == "internal"
    assert before["tiles"]["escalate"][:3] == ("overdue", "+01:17", "OVERDUE")
    assert before["tiles"]["next_update"][:3] == ("pending", "20:43", "PENDING")
    window.close()
    store.close()

    store, incidents, bus, again = open_cockpit(qtbot, db_path, runbook, clock)

    async def reopen() -> None:
        again.open_incident(incidents.last_open().id)  # type: ignore[union-attr]
        await asyncio.gather(*again.pending_tasks())

    arun(reopen())
    assert _snapshot(again) == before
    again.graphs.redraw_now()
    assert again.graphs.point_count("latency:api-health") == 84
    assert again.graphs.marker_labels() == ["declared", "decision: internal", "update sent"]
    store.close()


def test_layout_and_palette_are_remembered_under_the_user_config_dir(
    qtbot, incidents, runbook, clock, tmp_path, app_style
) -> None:
    window = Cockpit(Bus(), incidents, runbook, clock, settings=open_settings())
    qtbot.addWidget(window)
    window.show()
    window.splitter.setSizes([1000, 0])  # the commander folded the timeline away
    window.tabs.setCurrentIndex(3)
    window.menus.themes["dark"].trigger()
    assert theme.current().name == "dark"
    window.close()
    path = Path(platformdirs.user_config_dir("stratus-commander")) / "cockpit.ini"
    assert path.is_relative_to(tmp_path) and path.exists()  # never the real user's settings
    settings = open_settings()
    assert settings.value("view/theme") == "dark"
    assert settings.value("cockpit/geometry") is not None
    again = Cockpit(Bus(), incidents, runbook, clock, settings=settings)
    qtbot.addWidget(again)
    again.show()
    assert again.splitter.sizes()[1] == 0 and again.tabs.currentIndex() == 3
    again.set_theme("light")
    assert open_settings().value("view/theme") == "light"


def test_tabs_library_decision_and_palette_from_the_keyboard(
    qtbot, incidents, runbook, clock, app_style
) -> None:
    incidents.declare("Old drill", "Minor", drill=True)
    window = Cockpit(Bus(), incidents, runbook, clock)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    handle = window.windowHandle()
    assert window.stack.currentWidget() is window.welcome
    assert window.welcome.library.cell_texts()[0][6] == "DRILL"
    window.welcome.incident_list.setFocus()
    qtbot.keyClick(window.welcome.incident_list, Qt.Key.Key_Return)
    assert window.header.title.text().startswith("[DRILL] INC-1")
    assert window.stack.currentIndex() == 1
    QTest.keyClick(handle, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.comms
    QTest.keyClick(handle, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.welcome
    QTest.keyClick(handle, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentIndex() == 1
    QTest.keyClick(handle, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.triage
    QTest.keyClick(
        handle,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.keyClicks(QApplication.focusWidget(), "Stripe support ticket 4711 opened")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    (note,) = incidents.events(window.incident_id, {"note"})
    assert note.text == "Stripe support ticket 4711 opened"
    QTest.keyClick(handle, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # the decision, too
    # (a mnemonic "animates" the click: it lands a moment later)
    qtbot.waitUntil(lambda: incidents.get(window.incident_id).triage_decision == "external")
    QTest.keyClick(
        handle,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert theme.current().name == "dark"


def test_the_palette_follows_the_desktop_until_the_commander_picks_one(
    qtbot, qapp, incidents, runbook, clock, app_style
) -> None:
    window = Cockpit(Bus(), incidents, runbook, clock, settings=open_settings())
    qtbot.addWidget(window)
    window.show()
    assert window.theme_choice == theme.SYSTEM  # nothing picked yet
    assert window.menus.themes[theme.SYSTEM].isChecked()
    hints = qapp.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the desktop went dark
    assert theme.current().name == "dark"
    assert qapp.palette().window().color().name() == theme.THEMES["dark"].window
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)  # and light again, live
    assert theme.current().name == "light"

    window.menus.themes["dark"].trigger()  # the commander's pick wins from now on
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert theme.current().name == "dark"
    window.close()
    assert open_settings().value("view/theme") == "dark"

    again = Cockpit(Bus(), incidents, runbook, clock, settings=open_settings())
    qtbot.addWidget(again)
    assert again.menus.themes["dark"].isChecked()
    again.menus.themes[theme.SYSTEM].trigger()  # back to the desktop's
    assert theme.current().name == theme.scheme_theme(hints.colorScheme())
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.current().name == "dark"
    assert open_settings().value("view/theme") == theme.SYSTEM
