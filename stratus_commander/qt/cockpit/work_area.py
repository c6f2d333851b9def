"""The work area: the clock rail over the work tabs, beside the timeline (page 1 of the cockpit).

Tabs 1 Triage, 2 Graphs, 3 Communicate, 4 Mitigate, 5 Escalate. :func:`build_work_area` makes
the rail, Triage, Graphs and the timeline; Communicate, Mitigate and Escalate hold a placeholder
until their page is first needed (:meth:`WorkArea.page`: shown, asked for, or made just after the
cockpit's first frame, :meth:`WorkArea.make_next`). The splitter and the current tab are kept in
QSettings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from PySide6.QtCore import QSettings, QSignalBlocker, Qt
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from stratus_commander.clock import Clock
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.alerts import Alert
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.notify import BannerArea
from stratus_commander.runbook import Runbook

if TYPE_CHECKING:
    from stratus_commander.probes.base import ProbeState
    from stratus_commander.probes.spec import ProbeSpec
    from stratus_commander.qt.cockpit.clock_rail import ClockRail
    from stratus_commander.qt.cockpit.graphs import GraphsPanel
    from stratus_commander.qt.cockpit.timeline_panel import TimelinePanel
    from stratus_commander.qt.cockpit.triage_panel import TriagePanel

__all__ = [
    "TABS",
    "TAB_TITLES",
    "Part",
    "ShowsIncident",
    "WorkArea",
    "build_work_area",
    "page_home",
]

T = TypeVar("T")

TABS = ("triage", "graphs", "communicate", "mitigate", "escalate")
TAB_TITLES = ("Triage", "Graphs", "Communicate", "Mitigate", "Escalate")

#: What every panel is made with.
PanelArgs = tuple[Bus, Incidents, Runbook, Clock]


class ShowsIncident(Protocol):
    """A panel of the work area: it shows the incident it is given (None: no incident)."""

    def set_incident(self, incident: Incident | None) -> None: ...


class Part(Generic[T]):
    """A part of the window's work area, read as an attribute of the window (the work area is
    made on first use: ``window.work_area()``)."""

    def __init__(self, get: Callable[[WorkArea], Any]) -> None:
        self.get = get

    def __get__(self, window: Any, owner: Any = None) -> T:
        return cast("T", self.get(window.work_area()))


@dataclass(frozen=True)
class WorkArea:
    """The clock rail over the work tabs, beside the timeline: page 1 of the cockpit's stack.

    Tabs listed in ``later`` hold a placeholder until their page is first needed (:meth:`page`):
    shown, asked for, or made just after the cockpit's first frame.
    """

    rail: ClockRail
    splitter: QSplitter
    tabs: QTabWidget
    triage: TriagePanel
    graphs: GraphsPanel
    timeline_box: QWidget
    timeline: TimelinePanel
    later: dict[int, Callable[[], QWidget]]  # tab index -> makes its page

    def page(self, index: int) -> QWidget:
        """The page of tab ``index``, made now if it was left for later."""
        make = self.later.pop(index, None)
        if make is not None:
            placeholder, title = self.tabs.widget(index), self.tabs.tabText(index)
            current = self.tabs.currentIndex()
            made = make()
            with QSignalBlocker(self.tabs):  # a page replaces its placeholder: no change of tab
                self.tabs.removeTab(index)
                self.tabs.insertTab(index, made, title)
                self.tabs.setCurrentIndex(current)
            if placeholder is not None:
                placeholder.deleteLater()
        page = self.tabs.widget(index)
        assert page is not None, f"no tab {index}"
        return page

    def make_next(self) -> bool:
        """Make one thing left for later (a page, then the graphs' plots); False: all made."""
        if self.later:
            self.page(min(self.later))
        elif not self.graphs.built:  # pyqtgraph: the plots, off screen until Ctrl+2
            self.graphs.build()
        else:
            return False
        return True

    def panels(self) -> list[ShowsIncident]:
        """Everything made so far that shows the incident."""
        made_later = [  # the pages after Triage and Graphs
            cast(ShowsIncident, self.tabs.widget(i))
            for i in range(2, self.tabs.count())
            if i not in self.later
        ]
        return [self.rail, self.triage, self.graphs, *made_later, self.timeline]

    def set_incident(self, incident: Incident | None) -> None:
        for panel in self.panels():
            panel.set_incident(incident)

    def expect_probes(self, specs: tuple[ProbeSpec, ...], states: dict[str, ProbeState]) -> None:
        """The running probes: triage waits for their evidence, the graphs size their lines."""
        self.triage.expect(specs)
        self.triage.set_states(states)
        self.graphs.set_probe_count(len(specs))

    def restyle(self) -> None:
        """After a palette switch: what paints its own colours."""
        self.rail.refresh_icons()
        self.graphs.set_theme()
        self.triage.set_states(self.triage.states)

    def restore_layout(self, settings: QSettings) -> None:
        splitter = settings.value("cockpit/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        tab = settings.value("cockpit/tab", 0, type=int)
        if isinstance(tab, int):
            self.tabs.setCurrentIndex(min(max(tab, 0), self.tabs.count() - 1))

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("cockpit/splitter", self.splitter.saveState())
        settings.setValue("cockpit/tab", self.tabs.currentIndex())


def page_home(tabs: QTabWidget) -> QWidget:
    """Where ``tabs`` keeps its pages (its stack): a page made there is not moved when added."""
    home = tabs.findChild(QStackedWidget, "qt_tabwidget_stackedwidget")
    return home if isinstance(home, QStackedWidget) else tabs


def build_work_area(
    stack: QStackedWidget,
    args: PanelArgs,
    *,
    shown: Callable[[], Incident | None],
    alerts: Callable[[list[Alert]], None],
    goto: Callable[[str, object], None],
    banners: BannerArea,
) -> WorkArea:
    """The work area as the last page of ``stack``; the pages made later show ``shown()``."""
    # Top-down, like the window (see window.py); the panels' modules load with them.
    from stratus_commander.qt.cockpit.clock_rail import ClockRail
    from stratus_commander.qt.cockpit.graphs import GraphsPanel
    from stratus_commander.qt.cockpit.timeline_panel import TimelinePanel
    from stratus_commander.qt.cockpit.triage_panel import TriagePanel

    body = QWidget(stack)
    body_box = QVBoxLayout(body)
    body_box.setContentsMargins(0, 0, 0, 0)
    rail = ClockRail(*args, body)
    rail.alerts.connect(alerts)
    # A splitter, not a dock: the clock rail above keeps the window's full width.
    splitter = QSplitter(Qt.Orientation.Horizontal, body)
    splitter.setObjectName("workSplitter")
    body_box.addWidget(rail)
    body_box.addWidget(splitter, 1)

    tabs = QTabWidget(splitter)
    tabs.setDocumentMode(True)
    timeline_box = QWidget(splitter)
    splitter.addWidget(tabs)
    splitter.addWidget(timeline_box)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([1060, 380])
    timeline_layout = QVBoxLayout(timeline_box)
    timeline_layout.setContentsMargins(0, 0, 0, 0)
    timeline_layout.addWidget(QLabel("<b>6  Timeline</b>", timeline_box))
    timeline = TimelinePanel(*args, timeline_box)
    timeline_layout.addWidget(timeline, 1)

    # Each page is made where the tab widget keeps its pages: a page that moves there when added
    # is re-styled whole (made unparented, Triage took three times as long to show).
    home = page_home(tabs)
    triage = TriagePanel(*args, home)
    triage.goto.connect(goto)
    graphs = GraphsPanel(*args, home)  # cheap: its plots are made when first shown (see there)
    pages: tuple[QWidget, ...] = (triage, graphs, QWidget(home), QWidget(home), QWidget(home))
    for i, (page, title) in enumerate(zip(pages, TAB_TITLES, strict=True), start=1):
        tabs.addTab(page, f"{i}  {title}")
    stack.addWidget(body)

    def made(panel: ShowsIncident) -> QWidget:
        panel.set_incident(shown())
        return cast(QWidget, panel)

    def comms() -> QWidget:
        from stratus_commander.qt.cockpit.comms_panel import CommsPanel

        return made(CommsPanel(*args, home))

    def mitigate() -> QWidget:
        from stratus_commander.qt.cockpit.mitigate_panel import MitigatePanel

        return made(MitigatePanel(*args, home))

    def escalation() -> QWidget:
        from stratus_commander.qt.cockpit.escalation_panel import EscalationPanel

        panel = EscalationPanel(*args, home)
        panel.reminder_due.connect(
            lambda text: banners.show_banner(f"reminder:{text}", "soon", f"CHECK BACK — {text}")
        )
        return made(panel)

    later = {
        TABS.index("communicate"): comms,
        TABS.index("mitigate"): mitigate,
        TABS.index("escalate"): escalation,
    }
    return WorkArea(rail, splitter, tabs, triage, graphs, timeline_box, timeline, later)
