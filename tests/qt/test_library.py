"""The incident library: saved incidents, full-text search, and read-only review windows."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.probes.series import series_window
from stratus_commander.qt.library import LibraryWindow
from stratus_commander.runbook import Runbook
from stratus_commander.store import open_store

from .review_data import NOTE_WORD, PROBES, reviewed_incident, stored_points


def library_of(qtbot, path: Path, runbook: Runbook, clock: FakeClock) -> LibraryWindow:
    window = LibraryWindow(path, runbook, clock)
    qtbot.addWidget(window)
    window.show()
    return window


def shown(window: LibraryWindow) -> list[list[str]]:
    t = window.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def three_incidents(incidents: Incidents, runbook: Runbook) -> tuple[int, int, int]:
    """The reviewed outage, then a drill, then an open incident (newest)."""
    clock = incidents.clock
    assert isinstance(clock, FakeClock)
    outage = reviewed_incident(incidents, runbook)
    clock.advance(hours=1)
    drill = incidents.declare("Drill: webhook signature failures", "Major", drill=True).id
    incidents.note(drill, "Rotated the signing secret in the drill")
    clock.advance(minutes=30)
    incidents.resolve(drill)
    clock.advance(hours=2)
    live = incidents.declare("Status page slow to load", "Minor").id
    return outage, drill, live


def test_lists_newest_first_and_searches_notes_and_rca(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    outage, drill, live = three_incidents(incidents, runbook)
    window = library_of(qtbot, incidents.store.path, runbook, clock)
    rows = shown(window)
    assert [r[0] for r in rows] == [f"INC-{live}", f"INC-{drill}", f"INC-{outage}"]
    assert rows[0][2:5] == ["INVESTIGATING", "Minor", ""]
    assert rows[1][2:5] == ["resolved", "Major", "DRILL"]
    assert rows[2][2:] == ["closed", "Critical", "", "Payment API down: checkout failing"]
    assert window.count.text() == "3 saved incident(s), newest first."
    assert window.grab().save(str(tmp_path / "library.png"))

    qtbot.keyClicks(window.search, NOTE_WORD)  # a word of a timeline note only
    assert [r[0] for r in shown(window)] == [f"INC-{outage}"]
    assert window.count.text() == f"1 incident matches “{NOTE_WORD}”"

    window.search.clear()
    qtbot.keyClicks(window.search, "payout worker")  # the root cause, written at close
    assert [r[0] for r in shown(window)] == [f"INC-{outage}"]

    window.search.clear()
    qtbot.keyClicks(window.search, "signing secret")
    assert [r[0] for r in shown(window)] == [f"INC-{drill}"]

    window.search.clear()
    qtbot.keyClicks(window.search, "mainframe")
    assert shown(window) == []
    assert window.count.text().startswith("No incident matches “mainframe”")
    assert not window.open_button.isEnabled()

    window.search.clear()
    assert len(shown(window)) == 3


def test_opens_a_past_incident_read_only_with_graphs_replayed_from_a_copy(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    outage, _, _ = three_incidents(incidents, runbook)
    incidents.store.close()
    copy = tmp_path / "archive" / "incidents-copy.db"
    copy.parent.mkdir()
    shutil.copy(incidents.store.path, copy)
    clock.advance(days=30)  # reviewed a month later
    window = library_of(qtbot, copy, runbook, clock)
    qtbot.keyClicks(window.search, "payout")
    with qtbot.waitSignal(window.open_incident) as opened:
        qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert opened.args == [outage]
    review = window.reviews[outage]
    qtbot.addWidget(review)
    view = review.view
    qtbot.waitUntil(lambda: view.review is not None and view.replay is not None, timeout=10_000)

    assert view.read_only
    for button in (
        view.impact_tab.save_impact_button,
        view.impact_tab.save_rca_button,
        view.actions_tab.add_item_button,
        view.actions_tab.edit_item_button,
        view.credits_tab.import_button,
        view.actions_tab.meeting_button,
        view.header.complete_button,
    ):
        assert not button.isEnabled()
    assert view.impact_tab.affected_users.isReadOnly()
    assert view.header.export_button.isEnabled()
    assert "Read-only" in view.impact_tab.save_impact_button.toolTip()
    # A month on, the 48 h review is late, and says by how much in days.
    assert "OVERDUE" in view.header.deadline_label.text()
    assert "(30\u00a0d 2\u00a0h ago)" in view.header.deadline_label.text()

    window_span = series_window(view.replay.incident, clock.now())
    assert window_span[1] - window_span[0] == timedelta(minutes=63 + 30)
    with open_store(copy) as store:
        for probe, _, _ in PROBES:
            assert view.graphs.point_count(probe) == stored_points(store, probe, *window_span)
    view.tabs.setCurrentWidget(view.graphs)
    assert review.grab().save(str(tmp_path / "library-review-graphs.png"))

    # Opening it again shows the same window rather than a second one.
    assert window.open_review(outage) is review
    window.close()
    assert not review.isVisible()
