"""A closed incident opened from the library: its review desk first, its cockpit visibly
read-only (no "check by hand" prompts, no input that looks editable)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.library import ReviewWindow
from stratus_commander.store import open_store
from tests.late_example import record_late_incident


def test_a_closed_incident_opens_its_review_first_and_a_read_only_cockpit(
    qtbot, runbook, tmp_path: Path
) -> None:
    db = tmp_path / "incidents.db"
    record_late_incident(db, tmp_path, complete_review=False)
    clock = SystemClock()
    store = open_store(db)
    window = Cockpit(Bus(), Incidents(store, clock), runbook, clock, db_path=db)
    qtbot.addWidget(window)
    window.show()
    assert window.welcome.library.shown_ids() == [1]
    window.welcome.incident_list.setFocus()
    window.welcome.library.focus_table()
    window.welcome.library.open_selected()  # Enter on the row

    review = window.review_window
    assert isinstance(review, ReviewWindow) and review.isVisible()
    assert review.windowTitle() == "INC-1 — post-incident review"
    qtbot.addWidget(review)
    qtbot.waitUntil(lambda: review.view.review is not None, timeout=10_000)

    assert window.header.status.text() == "CLOSED · READ-ONLY"
    work = window.stack.currentWidget()
    labels: list[str] = []
    editable: list[QWidget] = []
    for tab in range(window.tabs.count()):  # every page, as shown
        window.tabs.setCurrentIndex(tab)
        labels += [w.text() for w in work.findChildren(QLabel) if w.isVisibleTo(work)]
        editable += [
            w
            for kind in (QLineEdit, QPlainTextEdit, QTextEdit)
            for w in work.findChildren(kind)
            if w.isVisibleTo(work) and w.isEnabled() and not w.isReadOnly()
        ]
    assert not [t for t in labels if "check by hand" in t.lower()]
    assert any(t.startswith("CLOSED — read-only") for t in labels)
    assert editable == [], [w.objectName() or w.accessibleName() for w in editable]
    window.close()
    store.close()
