"""The library's Insights view over twenty generated incidents (tests/insights_kit.py): the charts
show the hand-computed figures, a click on a bar or a point opens the incidents behind it the way
the library opens one, drills only when ticked, and the HTML export carries charts and figures."""

from __future__ import annotations

import re
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.library import LibraryWindow
from stratus_commander.qt.review.charts import StillPlot
from stratus_commander.qt.review.insights_charts import month_ticks
from stratus_commander.qt.review.insights_view import (
    LATE_COLUMN,
    MISSED_COLUMN,
    InsightsWindow,
)
from stratus_commander.runbook import Runbook
from tests.insights_kit import NOW, account, credit, twenty_incidents
from tests.qt.accessibility import unnamed

OCT, NOV = 0, 1  # the months' places on the charts' x axes


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def generated(incidents: Incidents, runbook: Runbook) -> Incidents:
    twenty_incidents(incidents)
    credit(incidents, runbook, 1, [account("acme", "499.00", "USD")])  # USD 49.90 in October
    return incidents


@pytest.fixture
def library(qtbot, generated, runbook, clock, db_path) -> LibraryWindow:
    window = LibraryWindow(db_path, runbook, clock)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def view(qtbot, library: LibraryWindow) -> InsightsWindow:
    """The Insights view, opened from the library with its key (Alt+I), its figures shown."""
    library.show()
    library.activateWindow()
    qtbot.waitUntil(library.isActiveWindow)
    library.search.setFocus()
    qtbot.keyClick(library.search, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: getattr(library, "insights_window", None) is not None)  # animated
    view = library.insights_window
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.data is not None, timeout=10_000)
    qtbot.waitExposed(view)
    return view


def click(qtbot, chart: pg.GraphicsLayoutWidget, plot: StillPlot, x: float, y: float) -> None:
    """A left click where the plot's (x, y) is drawn, as the commander's mouse makes it."""
    scene = plot.vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=chart.mapFromScene(scene))


def heights(view: InsightsWindow, key: str, series: str) -> list[float]:
    return [float(h) for h in view.bars[(key, series)].opts["height"]]


def test_the_charts_show_the_hand_computed_figures_and_the_table_says_them(
    view: InsightsWindow,
) -> None:
    assert [m.month for m in view.data.months] == ["2026-10", "2026-11"]
    # DECLARE due 5 min after detection. October: declared 1..10 min → 5 on time, 5 LATE;
    # November: 2, 4 … 20 → 2 on time, 8 LATE. Never missed: no missed bar at all.
    assert heights(view, "clock:declare", "on_time") == [50, 20]
    assert heights(view, "clock:declare", "late") == [50, 80]
    assert ("clock:declare", "missed") not in view.bars
    # Never escalated: ESCALATE missed every time, in both months.
    assert heights(view, "clock:escalate", "missed") == [100, 100]
    # LATE bars in the rail's LATE orange, missed in the overdue red.
    t = theme.current()
    late = view.bars[("clock:declare", "late")].opts["brush"]  # LATE orange, striped
    assert late.texture().toImage().pixelColor(1, 1).name() == QColor(t.late).name()
    assert QColor(view.bars[("clock:declare", "on_time")].opts["brush"].color()) == t.color("ok")
    # Time to declare: October median 5.5 min, worst 10; November 11 and 20.
    assert list(view.curves[("declare", "median")].getData()[1]) == [5.5, 11]
    assert list(view.curves[("declare", "worst")].getData()[1]) == [10, 20]
    assert list(view.curves[("resolve", "median")].getData()[1]) == [105, 90]
    assert heights(view, "impact", "Major") == [10] and heights(view, "impact", "Critical") == [10]
    assert heights(view, "credits", "USD") == [49.9]
    # The table says the same in words, LATE in the rail's orange, missed filled red.
    row = [view.table.item(OCT, c).text() for c in range(view.table.columnCount())]
    # October, 60 clock readings: DECLARE 5 + TRIAGE 8 + COMMUNICATE 6 on time; LATE: 5 + 2 + 4
    # and NEXT UPDATE 10 (resolved long after the update was due); missed: ESCALATE 10 and the
    # review (48 h after resolution, not done by 1 December) 10.
    assert row[:6] == ["Oct 2026", "10", "Major 10", "19/60", "21", "20"]
    assert row[6] == "5\xa0min 30\xa0s / 10\xa0min"
    assert row[-1] == "USD 49.90"
    assert view.table.item(OCT, LATE_COLUMN).foreground().color().name() == QColor(t.late).name()
    assert view.table.item(OCT, MISSED_COLUMN).background().color() == t.color("urgent_bg")
    assert unnamed(view) == []  # the accessibility walk: every control named and described


def test_a_click_on_a_bar_lists_its_incidents_and_opens_one_as_the_library_does(
    qtbot, library: LibraryWindow, view: InsightsWindow
) -> None:
    # October's DECLARE LATE bar (50 % to 100 %): INC-6..10, declared 6..10 min after detection.
    plot = view.clock_plots["declare"]
    click(qtbot, view.clock_chart, plot, OCT, 75)
    assert view.shown is not None and view.shown.ids == (6, 7, 8, 9, 10)
    assert view.behind.count() == 5
    assert view.behind.item(0).text().startswith("INC-6 · Major · Generated")
    assert "LATE" in view.behind_title.text() and "Oct 2026" in view.behind_title.text()
    assert library.reviews == {}  # listed, not opened: the commander picks one
    view.behind.setCurrentRow(2)
    qtbot.keyClick(view.behind, Qt.Key.Key_Return)
    assert 8 in library.reviews and library.reviews[8].isVisible()
    assert library.reviews[8].windowTitle().startswith("INC-8 — post-incident review")

    # The worst time to declare in November is one incident (INC-20, 20 min): it opens at once.
    with qtbot.waitSignal(view.open_incident, timeout=2_000) as opened_one:
        click(qtbot, view.time_chart, view.time_plots["declare"], NOV, 20)
    assert opened_one.args == [20] and 20 in library.reviews

    # From the keyboard: Enter on November's row lists every November incident.
    view.table.setCurrentCell(NOV, 0)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert view.shown is not None and view.shown.ids == tuple(range(11, 21))
    for window in library.reviews.values():
        window.close()


def test_drills_only_when_ticked(qtbot, generated, runbook, clock, db_path) -> None:
    view = InsightsWindow(db_path, runbook, clock)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.data is not None, timeout=10_000)
    assert len(view.data.months[OCT].incidents) == 10
    assert ("impact", "Minor") not in view.bars
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.drills_box.setChecked(True)
    assert view.data.drills and len(view.data.months[OCT].incidents) == 12
    assert heights(view, "impact", "Minor") == [2]  # the two October drills
    assert view.table.item(OCT, 1).text() == "12"
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.drills_box.setChecked(False)
    assert view.table.item(OCT, 1).text() == "10"


def test_the_export_carries_the_charts_and_every_figure(
    qtbot, generated, runbook, clock, db_path, tmp_path: Path
) -> None:
    view = InsightsWindow(db_path, runbook, clock)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.data is not None, timeout=10_000)
    out = tmp_path / "insights.html"
    view.export_html(out)
    page = out.read_text(encoding="utf-8")
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', page)) == 3
    assert "Runbook clocks: share met on time, LATE and missed" in page
    # The figures: October's DECLARE 5 on time, 5 LATE (in the LATE style), the medians, credits.
    assert (
        "<td>2026-10</td><td>DECLARE</td><td>5 (50%)</td>"
        '<td class="late">5 (50%)</td><td>0 (0%)</td><td>10</td>'
    ) in page
    assert "<td>2026-11</td><td>Time to declare</td><td>11\xa0min</td><td>20\xa0min</td>" in page
    assert "<td>INC-20</td>" in page
    assert '<td>19/60</td><td class="late">21</td><td class="missed">20</td>' in page
    assert "<td>2026-10</td><td>USD 49.90</td><td>INC-1</td>" in page
    assert "drills left out" in page


def test_month_labels_fall_on_the_calendars_steps_and_fit_the_chart() -> None:
    months = [f"{2024 + n // 12}-{n % 12 + 1:02d}" for n in range(32)]  # Jan 2024 – Aug 2026
    wide = month_ticks(months)  # at most 8: every 4 months, the same months each year
    assert wide == [(0, "Jan"), (4, "May"), (8, "Sep"), (12, "Jan '25"), (16, "May"),
                    (20, "Sep"), (24, "Jan '26"), (28, "May")]  # fmt: skip
    assert month_ticks(months, most=5) == [(0, "Jan"), (12, "Jan '25"), (24, "Jan '26")]
    assert month_ticks(["2026-10", "2026-11"]) == [(0, "Oct"), (1, "Nov")]
