"""A clock met after its deadline reads LATE in the debrief as on the clock rail: bold, in the
palette's LATE orange — not the red fill of a missed clock, nor the green of on time; the same in
the Drills view's table and in the debrief's HTML."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidgetItem

from stratus_commander.debrief import build_debrief
from stratus_commander.debrief.render import debrief_html
from stratus_commander.qt import theme
from stratus_commander.qt.review.debrief_view import DebriefView
from stratus_commander.qt.review.drills_view import DrillsWindow
from tests.debrief_kit import record_drills
from tests.qt.conftest import T0


def test_late_clocks_read_late_in_the_rails_orange_not_red(
    qtbot, incidents, runbook, clock, db_path
) -> None:
    # The first drill: every clock met after its deadline (declared at 6 min, due at 5…);
    # the second: every clock on time.
    first, second = record_drills(incidents, clock, T0)[:2]
    t = theme.current()

    views = []  # kept: a table's cells live as long as their view

    def outcomes(incident_id: int) -> dict[str, QTableWidgetItem]:
        view = DebriefView()
        views.append(view)
        qtbot.addWidget(view)
        view.show_debrief(build_debrief(incidents, runbook, incident_id))
        return {
            view.clocks.item(r, 0).text(): view.clocks.item(r, 1)
            for r in range(view.clocks.rowCount())
        }

    late = outcomes(first)
    assert [c.text() for c in late.values()] == ["LATE"] * 4
    for label, cell in late.items():
        assert cell.foreground().color() == t.color("late"), label
        assert cell.font().bold(), label
        assert cell.background().color() != t.color("urgent_bg"), label  # not missed's red
    on_time = outcomes(second)
    assert on_time["DECLARE"].text() == "MET"
    assert on_time["DECLARE"].foreground().color() != t.color("late")
    page = debrief_html(build_debrief(incidents, runbook, first), str)
    assert f'color:{QColor(t.late).name()}"><b>LATE</b>' in page

    drills = DrillsWindow(db_path, runbook, clock)
    qtbot.addWidget(drills)
    with qtbot.waitSignal(drills.loaded, timeout=10_000):
        pass
    declare = drills.table.item(0, 4)  # the first drill's DECLARE: 6 min, due at 5
    assert declare.text().endswith("(late)")
    assert declare.foreground().color() == t.color("late")
