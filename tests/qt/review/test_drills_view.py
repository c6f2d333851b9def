"""The library's Drills view: every drill scored, a time-to-meet chart per clock, and the HTML
export with the chart inline."""

from __future__ import annotations

from pathlib import Path

from stratus_commander.qt.library import LibraryWindow
from tests.debrief_kit import record_drills
from tests.qt.conftest import T0


def test_the_drills_view_shows_every_drill_getting_faster_and_exports_it(
    qtbot, incidents, runbook, clock, db_path, tmp_path: Path
) -> None:
    ids = record_drills(incidents, clock, T0)
    incidents.declare("A real outage", "Minor")  # not a drill: not in the view
    library = LibraryWindow(db_path, runbook, clock)
    qtbot.addWidget(library)
    with qtbot.waitSignal(library.open_drills().loaded, timeout=10_000):
        pass
    view = library.drills_window
    qtbot.addWidget(view)
    assert [d.incident_id for d in view.history] == ids  # oldest first
    scores = [d.score for d in view.history]
    assert scores[-1] == 100 and scores[0] < scores[-1]
    declare = [d.to_meet["declare"].total_seconds() / 60 for d in view.history]
    assert declare == [6, 3, 1.5]  # the team declares faster each week
    assert view.table.rowCount() == 3
    assert view.table.item(2, 3).text() == "100/100"
    assert view.table.item(0, 4).text().endswith("(late)")  # DECLARE at 6 min: due at 5

    out = tmp_path / "drills.html"
    view.export_html(out)
    page = out.read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in page
    assert page.count("<tr>") == 4 and "INC-3" in page and "Payment processing down" in page
