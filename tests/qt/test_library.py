"""The incident library: saved incidents, full-text search, and read-only review windows."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QSettings, Qt

from stratus_commander.clock import FakeClock, SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.probes.series import series_window
from stratus_commander.qt.library import LibraryWindow
from stratus_commander.runbook import Runbook
from stratus_commander.store import open_store
from tests.late_example import record_late_incident

from .review_data import NOTE_WORD, PROBES, reviewed_incident, stored_points


def library_of(qtbot, path: Path, runbook: Runbook, clock: FakeClock) -> LibraryWindow:
    window = LibraryWindow(path, runbook, clock)
    qtbot.addWidget(window)
    window.show()
    return window


def shown(window: LibraryWindow) -> list[list[str]]:
    return window.library.cell_texts()


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
    # id, title, impact, status, detected, duration, drill, clocks on time
    assert rows[0][1:4] == ["Status page slow to load", "Minor", "INVESTIGATING"]
    assert rows[0][5:7] == ["ongoing", ""]
    assert rows[1][2:4] + rows[1][5:7] == ["Major", "resolved", "30\xa0min", "DRILL"]
    assert rows[2][1:4] == ["Payment API down: checkout failing", "Critical", "closed"]
    assert window.count.text() == "3 saved incident(s)."
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


def library_with_settings(qtbot, incidents: Incidents, runbook, clock, settings) -> LibraryWindow:
    window = LibraryWindow(incidents.store.path, runbook, clock, settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def test_sorts_filters_from_the_keyboard_and_remembers_its_sort(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    outage, drill, live = three_incidents(incidents, runbook)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = library_with_settings(qtbot, incidents, runbook, clock, settings)
    lib = window.library
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert lib.shown_ids() == [live, drill, outage]  # newest detected first
    # Clocks on time: a LATE or MISSED clock counts against, never as met.
    on_time = {row[0]: row[7] for row in shown(window)}
    assert all(re.fullmatch(r"\d/\d", v) for v in on_time.values()), on_time

    # Sort by impact from the keyboard: Alt+B (Sort by), choose Impact; Critical first.
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    assert lib.sort_by.hasFocus()
    lib.sort_by.setCurrentIndex(2)  # what arrow keys in the focused combo do
    assert lib.descending.isChecked()
    assert lib.shown_ids() == [live, drill, outage]  # Minor, Major, Critical
    qtbot.keyClick(window.search, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # Descending off
    qtbot.waitUntil(lambda: not lib.descending.isChecked())  # a mnemonic clicks, animated
    assert lib.shown_ids() == [outage, drill, live]  # Critical first
    # A click on a header sorts by that column too, and the controls follow.
    lib.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # title A→Z
    assert [r[1] for r in shown(window)] == sorted(r[1] for r in shown(window))
    assert lib.sort_by.currentText() == "Title" and not lib.descending.isChecked()

    # Filters: open only; then drills only; then impact Critical with no drills.
    lib.status.setCurrentIndex(1)
    assert lib.shown_ids() == [live]
    assert window.count.text() == "1 of 3 saved incident(s) shown (filtered)."
    lib.status.setCurrentIndex(0)
    lib.drills.setCurrentIndex(2)
    assert lib.shown_ids() == [drill]
    lib.drills.setCurrentIndex(1)
    lib.impact.setCurrentIndex(1)
    assert lib.shown_ids() == [outage]
    lib.status.setCurrentIndex(2)  # closed/resolved, Critical, no drill: still the outage
    assert lib.shown_ids() == [outage]
    # Filters and search combine.
    qtbot.keyClicks(window.search, "signing secret")
    assert lib.shown_ids() == []
    assert not window.open_button.isEnabled()
    window.search.clear()
    lib.impact.setCurrentIndex(0)
    lib.drills.setCurrentIndex(0)
    lib.status.setCurrentIndex(0)
    assert len(lib.shown_ids()) == 3

    # Enter in the search goes to the table; Enter there opens the selected incident.
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    assert lib.view.hasFocus()
    qtbot.keyClick(lib.view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)  # top row
    with qtbot.waitSignal(window.open_incident) as opened:
        qtbot.keyClick(lib.view, Qt.Key.Key_Return)
    assert opened.args == [lib.shown_ids()[0]]
    window.close()

    # Another library on the same settings opens sorted by title, A→Z, as it was left.
    again = library_with_settings(qtbot, incidents, runbook, clock, settings)
    assert again.library.sort_by.currentText() == "Title"
    assert [r[1] for r in shown(again)] == sorted(r[1] for r in shown(again))
    again.close()


def test_the_issue_example_counts_late_clocks_against_on_time(
    qtbot, runbook: Runbook, tmp_path: Path
) -> None:
    db = tmp_path / "incidents.db"
    record_late_incident(db, tmp_path)
    window = library_of(qtbot, db, runbook, SystemClock())  # type: ignore[arg-type]
    (row,) = shown(window)
    # declare, triage, communicate, escalate met; next update and the review LATE.
    assert row[7] == "4/6"
    tip = window.library.proxy.index(0, 7).data(Qt.ItemDataRole.ToolTipRole)
    assert "NEXT UPDATE LATE" in tip and "POST-INCIDENT REVIEW LATE" in tip
    assert row[5] == "1\xa0h 40\xa0min"  # detected 14:30, resolved 16:10
