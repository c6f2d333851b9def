"""Help inside the app: F1 says what the page in front is for and which runbook step it serves;
the menus hold every command with its key; Help ▸ About says version, database, log, licence."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from stratus_commander import __version__
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.cockpit.about_dialog import shown_location
from stratus_commander.qt.cockpit.menus import KEYS_HELP, PAGE_HELP
from stratus_commander.qt.cockpit.work_area import TABS
from tests.qt.conftest import open_cockpit


def _active(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    return window.windowHandle()


def _press_f1(window) -> None:
    # Offscreen, the first plain F1 sent to a freshly focused window never reaches the shortcut
    # map (Ctrl+letters do); any key before it cures that. F2 is bound to nothing.
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_F2)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_F1)


def _menu_actions(window) -> list[QAction]:
    out = []
    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu)
        out += [a for a in menu.actions() if not a.isSeparator()]
    return out


def test_f1_says_what_the_tab_in_front_is_for_and_its_runbook_step(
    qtbot, runbook, clock, db_path
) -> None:
    store, incidents, _bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    handle = _active(qtbot, window)
    _press_f1(window)
    assert window.help_box is not None
    text = window.help_box.text()
    assert text.startswith("Welcome page")
    assert "Runbook step 1, Declare: Within 5 minutes of detection." in text
    assert "Ctrl+Shift+N    Add a note" in text  # and the keys after it
    window.help_box.close()

    window.set_incident(incidents.declare("Webhooks failing", "Major", scope=["Webhooks"]))
    expected = {
        "triage": "Runbook step 2, Triage: Within 10 minutes of declaration.",
        "graphs": "Runbook step 2, Triage: Within 10 minutes of declaration.",
        "communicate": "Runbook step 3, Communicate: Within 15 minutes of declaration.",
        "mitigate": "Runbook step 4, Mitigate: Based on triage results.",
        "escalate": "Critical within 5\u00a0min: CTO, Head of Engineering; Major within 15",
    }
    assert set(expected) == set(TABS) == set(PAGE_HELP) - {"welcome"}
    for index, tab in enumerate(TABS):
        handle = _active(qtbot, window)  # the help box had the focus
        QTest.keyClick(handle, Qt.Key(Qt.Key.Key_1 + index), Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(window, Qt.Key.Key_F1)
        text = window.help_box.text()
        assert text.startswith(f"The {tab.capitalize()} tab"), text
        assert PAGE_HELP[tab][1] in text
        assert expected[tab] in text, text
        window.help_box.close()
    window.close()
    store.close()


def test_every_menu_command_shows_its_key_and_every_key_is_in_a_menu(
    qtbot, runbook, clock, db_path
) -> None:
    store, _incidents, _bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    actions = _menu_actions(window)
    # The palette choices are radio items; "Switch palette" is their key.
    commands = [a for a in actions if not a.isCheckable()]
    for action in commands:
        assert not action.shortcut().isEmpty(), action.text()
    in_menus = {a.shortcut().toString(QKeySequence.SequenceFormat.PortableText) for a in commands}
    listed = set(re.findall(r"^(Ctrl\+Shift\+\w|Ctrl\+\w|Esc|F1)\b", KEYS_HELP, re.M))
    listed |= {f"Ctrl+{n}" for n in range(1, 6)}  # "Ctrl+1 … Ctrl+5"
    assert listed <= in_menus, listed - in_menus
    window.close()
    store.close()


def test_about_says_version_database_log_and_licence(
    qtbot, runbook, clock, db_path, monkeypatch, tmp_path
) -> None:
    store, _incidents, _bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    log = tmp_path / "stratus-commander.log"
    monkeypatch.setattr("stratus_commander.logs.log_path", lambda: log)
    QTest.keyClick(
        _active(qtbot, window),
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    about = window.about
    assert about is not None and about.isVisible()
    values = {name: label.text() for name, label in about.values.items()}
    assert values["Version"] == __version__
    assert values["Database"] == str(db_path)
    assert values["Log file"] == str(log)
    assert values["Licence"].startswith("MIT licence")
    about.copy.click()
    assert QApplication.clipboard().text() == (
        f"Version: {__version__}\nDatabase: {db_path}\nLog file: {log}"
    )
    about.close()
    window.close()
    store.close()


def test_a_server_database_is_shown_without_its_password() -> None:
    url = "postgresql://commander:s3cret@db.internal:5432/incidents"
    assert shown_location(url) == "postgresql://commander@db.internal:5432/incidents"
    assert shown_location(Path("/x/incidents.db")) == "/x/incidents.db"


def test_the_library_search_and_a_drill_from_the_keyboard_anywhere(
    qtbot, incidents, runbook, clock
) -> None:
    window = Cockpit(Bus(), incidents, runbook, clock, scenarios=[("stripe-down", "Stripe down")])
    qtbot.addWidget(window)
    window.show()
    window.set_incident(incidents.declare("Webhooks failing", "Major", scope=["Webhooks"]))
    assert window.stack.currentIndex() == 1  # the work area
    handle = _active(qtbot, window)
    QTest.keyClick(handle, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.welcome
    assert QApplication.focusWidget() is window.welcome.search
    window.show_tab(0)
    with qtbot.waitSignal(window.drill_requested) as started:
        QTest.keyClick(handle, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert started.args == ["stripe-down"]
    assert window.stack.currentWidget() is window.welcome  # the scenario chosen is in view
