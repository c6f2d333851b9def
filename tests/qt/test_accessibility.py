"""Every interactive widget of ours has an accessible name and description: the cockpit (every
page made), the review desk (every tab) and each dialog, walked as a screen reader sees them
(tests/qt/accessibility.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from stratus_commander import review as rv
from stratus_commander.qt.cockpit.about_dialog import AboutDialog
from stratus_commander.qt.cockpit.declare_dialog import DeclareDialog
from stratus_commander.qt.review.action_item_dialog import ActionItemDialog
from stratus_commander.qt.review.close_dialog import CloseDialog
from stratus_commander.qt.review.view import ReviewView
from tests.qt.accessibility import unnamed
from tests.qt.conftest import open_cockpit
from tests.qt.review_data import full_close_record, reviewed_incident, worked_incident


def _shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_cockpit_names_every_control(qtbot, runbook, clock, db_path) -> None:
    store, incidents, _bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    assert unnamed(window) == []  # the welcome page
    window.set_incident(incidents.declare("Webhooks failing", "Major", scope=["Webhooks"]))
    work = window.work_area()
    for index in range(work.tabs.count()):
        work.page(index)
    assert unnamed(window) == []
    window.close()
    store.close()


def test_the_review_desk_names_every_control(qtbot, incidents, runbook, clock) -> None:
    iid = reviewed_incident(incidents, runbook)
    view = ReviewView(incidents.store.path, runbook, clock, iid, read_only=False)
    _shown(qtbot, view)
    qtbot.waitUntil(lambda: view.review is not None and not view.uptime_pending, timeout=10_000)
    assert unnamed(view) == []


def test_every_dialog_names_every_control(qtbot, incidents, runbook, clock, db_path) -> None:
    iid = worked_incident(incidents)
    clock.advance(hours=1)
    dialogs = [
        DeclareDialog(incidents, runbook, clock),
        CloseDialog(incidents, runbook, clock, iid),
        ActionItemDialog(runbook, clock.now()),
        AboutDialog(db_path, None),
    ]
    rv.close_incident(incidents, runbook, iid, full_close_record(runbook))
    problems = {}
    for dialog in dialogs:
        _shown(qtbot, dialog)
        problems[type(dialog).__name__] = unnamed(dialog)
    assert problems == {name: [] for name in problems}
