"""The cockpit window: the one main window the commander looks at for the whole outage.

Top to bottom: the DRILL strip (drills only), the incident header (or the call to declare), the
warning banners, then either the welcome page (nothing open, nothing failing) or the work area
(work_area.py: the clock rail over the work tabs — 1 Triage, 2 Graphs, 3 Communicate,
4 Mitigate, 5 Escalate — with the timeline beside them). Everything is reachable from the
keyboard (menus.py; F1 lists the keys).

The window holds no incident state of its own: it shows what :class:`Incidents` and the probe
engine say, through the :class:`Bus`. Geometry, the splitter, the current tab and the palette are
kept in QSettings.

Start-up: the first frame gets only what it shows. The work area is made when there is work to
show, else just after the first frame; the welcome page likewise (a drill's frame shows the work
area); the Communicate, Mitigate and Escalate pages and the graphs' plots also follow the first
frame (or come at once when shown or asked for: ``window.welcome``, ``window.comms``...).
Everything is made within a few turns of the event loop either way (first_frame.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.incident import Incident, Incidents
from stratus_commander.probes.base import StateChange
from stratus_commander.qt import theme
from stratus_commander.qt.application import app_icon
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.drill_debrief import DrillDebriefs
from stratus_commander.qt.cockpit.first_frame import AfterFirstFrame
from stratus_commander.qt.cockpit.header import DrillStrip, IncidentHeader
from stratus_commander.qt.cockpit.menus import SHORTCUT_HINTS, build_menus, show_help
from stratus_commander.qt.cockpit.notify import BannerArea, Notifier
from stratus_commander.qt.cockpit.probe_status import Live, ProbeStatus
from stratus_commander.qt.cockpit.side_windows import SideWindows
from stratus_commander.qt.cockpit.welcome import Scenarios, WelcomePage, put_in_place
from stratus_commander.qt.cockpit.work_area import (
    TAB_TITLES,
    TABS,
    Part,
    WorkArea,
    build_work_area,
)
from stratus_commander.qt.tasks import Tasks
from stratus_commander.runbook import Runbook
from stratus_commander.store import Location
from stratus_commander.timefmt import duration_notation
from stratus_commander.timeline import Event

if TYPE_CHECKING:
    from stratus_commander.qt.cockpit.clock_rail import ClockRail
    from stratus_commander.qt.cockpit.comms_panel import CommsPanel
    from stratus_commander.qt.cockpit.declare_dialog import DeclareDialog
    from stratus_commander.qt.cockpit.escalation_panel import EscalationPanel
    from stratus_commander.qt.cockpit.graphs import GraphsPanel
    from stratus_commander.qt.cockpit.mitigate_panel import MitigatePanel
    from stratus_commander.qt.cockpit.timeline_panel import TimelinePanel
    from stratus_commander.qt.cockpit.triage_panel import TriagePanel

__all__ = ["Cockpit", "Live"]

HISTORY_MARGIN = timedelta(minutes=15)


class Cockpit(SideWindows, QMainWindow):
    closed = Signal()
    drill_requested = Signal(str)
    #: once, when the window has been painted (or shown unexposed for a moment)
    first_frame = Signal()

    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        *,
        db_path: Location | None = None,
        settings: QSettings | None = None,
        scenarios: Scenarios | None = None,
        probe_note: str = "",
    ) -> None:
        super().__init__()
        self.bus = bus
        self.incidents = incidents
        self.runbook = runbook
        self.clock = clock
        self.db_path = db_path
        self.settings = settings
        self.incident: Incident | None = None
        self.live: Live | None = None
        self.drill = False
        self._summary_stale = False
        self._tasks = Tasks()
        self._dialog: DeclareDialog | None = None
        self.review_window = None
        self.help_box: QMessageBox | None = None  # F1's, while open
        self.about = None
        # Page 1 (clock rail, tabs, timeline) is made when first needed: at once when there is
        # work to show, else just after the first frame (:meth:`_make_next`). On the welcome page
        # it is not on screen, and the first frame should not wait for it. Page 0, the welcome
        # page, likewise: made when first shown, else after the first frame (a drill's).
        self._work: WorkArea | None = None
        self._welcome: WelcomePage | None = None
        self._scenarios = scenarios if callable(scenarios) else lambda: list(scenarios or [])
        self._probe_note = probe_note
        self.setWindowIcon(app_icon())
        #: the palette the commander chose, or theme.SYSTEM (the desktop's, followed live)
        self.theme_choice = theme.SYSTEM
        if settings is not None:
            self.theme_choice = str(settings.value("view/theme", theme.SYSTEM))
        if self.theme_choice not in theme.CHOICES:
            self.theme_choice = theme.SYSTEM

        # Built top-down, each widget into its final parent: with the application style sheet,
        # re-parenting a finished subtree re-styles every widget in it (assembled bottom-up, the
        # window took nearly twice as long to build).
        central = QWidget(self)
        self.setCentralWidget(central)
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 4)
        box.setSpacing(4)
        self.drill_strip = DrillStrip(central)
        self.header = IncidentHeader(central)
        self.header.declare_clicked.connect(self.declare)
        self.banners = BannerArea(central)
        self.stack = QStackedWidget(central)
        for widget in (self.drill_strip, self.header, self.banners):
            box.addWidget(widget)
        box.addWidget(self.stack, 1)

        self.stack.addWidget(QWidget(self.stack))  # the welcome page's place (see welcome)
        self.notifier = Notifier(
            self.banners, SHORTCUT_HINTS, app_icon(), self, details=self._alert_detail
        )
        self.notifier.raise_requested.connect(self.bring_to_front)

        self.probe_summary = QLabel()
        self.statusBar().addWidget(self.probe_summary, 1)
        self.probe_status = ProbeStatus(self.banners, self.probe_summary, clock)
        zone = self.clock.now().astimezone().tzname() or "local time"
        where = f"  ·  {db_path}" if db_path else ""
        self.statusBar().addPermanentWidget(QLabel(f"times in {zone}{where}"))

        self.menus = build_menus(self, self, TAB_TITLES)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.styleHints().colorSchemeChanged.connect(self.follow_system_scheme)
        bus.tick.connect(self._on_tick)
        bus.probe_flip.connect(self._on_flip)
        bus.incident_event.connect(self._on_event)
        self.debriefs = DrillDebriefs(self)  # tab views recorded; the debrief opened
        AfterFirstFrame(self, first=self.first_frame.emit, step=self._make_next)
        self.resize(1440, 900)
        self._restore_geometry()
        self.set_incident(None)

    # --- the pages -----------------------------------------------------------------------------

    @property
    def welcome(self) -> WelcomePage:
        """Page 0 of the stack, made on first use (in place of its placeholder)."""
        if self._welcome is None:
            page = WelcomePage(
                self.incidents,
                self._scenarios(),
                self._probe_note,
                self.stack,
                runbook=self.runbook,
                settings=self.settings,
            )
            page.declare_requested.connect(self.declare)
            page.drill_requested.connect(self.drill_requested)
            page.open_requested.connect(self.open_incident)
            page.team_requested.connect(self.open_team_database)
            put_in_place(self.stack, 0, page)
            self._welcome = page
        return self._welcome

    def _front(self, index: int) -> None:
        """Page ``index`` in front: 0 the welcome page (made now if the window is up, else when
        it is shown), 1 the work area."""
        if index == 1:
            self.work_area()
        elif self.isVisible():
            self.welcome  # noqa: B018  (made now)
        self.stack.setCurrentIndex(index)

    def work_area(self) -> WorkArea:
        """Page 1 of the stack, made on the first call."""
        if self._work is None:
            self._work = build_work_area(
                self.stack,
                (self.bus, self.incidents, self.runbook, self.clock),
                shown=lambda: self.incident,
                alerts=self.notifier.notify,
                goto=self._goto,
                banners=self.banners,
            )
            self._work.set_incident(self.incident)
            if self.live is not None:  # attached before the page existed
                self._work.expect_probes(self.live.specs, self.live.states)
                evidence = self._evidence()
                if self.incident is None and evidence is not None:
                    self._work.rail.set_detection(evidence.at)
            self._work.tabs.currentChanged.connect(self._work.page)  # a tab shown: its page
            self._work.tabs.currentChanged.connect(self.debriefs.tab_shown)
            if self.settings is not None:
                self._work.restore_layout(self.settings)
        return self._work

    rail: Part[ClockRail] = Part(lambda w: w.rail)
    splitter: Part[QSplitter] = Part(lambda w: w.splitter)
    tabs: Part[QTabWidget] = Part(lambda w: w.tabs)
    triage: Part[TriagePanel] = Part(lambda w: w.triage)
    graphs: Part[GraphsPanel] = Part(lambda w: w.graphs)
    comms: Part[CommsPanel] = Part(lambda w: w.page(TABS.index("communicate")))
    mitigate: Part[MitigatePanel] = Part(lambda w: w.page(TABS.index("mitigate")))
    escalation: Part[EscalationPanel] = Part(lambda w: w.page(TABS.index("escalate")))
    timeline_box: Part[QWidget] = Part(lambda w: w.timeline_box)
    timeline: Part[TimelinePanel] = Part(lambda w: w.timeline)

    def showEvent(self, event: QShowEvent) -> None:
        if self.stack.currentIndex() == 0:
            self.welcome  # noqa: B018  (made for the first frame, which shows it)
        super().showEvent(event)

    def _make_next(self) -> bool:
        """After the first frame: make one more thing it did without (False: all made), so the
        commander finds it ready (and the check-back reminders run) without waiting for it."""
        if self._work is None:
            self.work_area()
        elif self._welcome is None:
            self.welcome  # noqa: B018  (made now: Ctrl+L finds it ready)
        else:
            return self._work.make_next()
        return True

    # --- menus and keys ------------------------------------------------------------------------

    def show_tab(self, index: int) -> None:
        if self.stack.currentIndex() == 0 and self._has_work():
            self._front(1)
        self.tabs.setCurrentIndex(index)
        self.tabs.currentWidget().setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.tabs.currentWidget().focusNextChild()

    def focus_timeline(self) -> None:
        self._show_timeline()
        self.timeline.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.timeline.focusNextChild()

    def focus_note(self) -> None:
        self._show_timeline()
        self.timeline.focus_note()

    def _show_timeline(self) -> None:
        if self.stack.currentIndex() == 0 and self._has_work():
            self._front(1)
        sizes = self.splitter.sizes()
        if sizes[1] == 0:  # collapsed by hand: open it again
            self.splitter.setSizes([max(sizes[0] - 380, 200), 380])

    def show_keys(self) -> None:
        """F1: what the page in front is for, the runbook step it serves, and the keys."""
        self.help_box = show_help(self, self.runbook, self.page_in_front())

    def page_in_front(self) -> str:
        """``welcome`` or the work tab in front (work_area.TABS)."""
        if self.stack.currentIndex() == 0 or self._work is None:
            return "welcome"
        return TABS[self._work.tabs.currentIndex()]

    def bring_to_front(self) -> None:
        """A desktop notification was clicked: the cockpit, in front, not minimised."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def toggle_library(self) -> None:
        if self.stack.currentIndex() == 1 or not self._has_work():
            self.welcome.refresh()
            self._front(0)
            self.welcome.incident_list.setFocus()
        else:
            self._front(1)

    def search_library(self) -> None:
        self._show_library()
        self.welcome.search.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def start_drill(self) -> None:
        """The scenario chosen on the welcome page (shown, so the commander sees which)."""
        self._show_library()
        self.welcome.start_drill()

    def _show_library(self) -> None:
        if self.stack.currentIndex() != 0:
            self.welcome.refresh()
            self._front(0)

    def _show_roles(self) -> None:
        """Who holds which role (header), and the banner when command was handed to us."""
        from stratus_commander.incident.roles import holders
        from stratus_commander.qt.cockpit.command import show_command_banner

        if self.incident is None:
            self.banners.dismiss("command")
            return
        events = self.incidents.events(self.incident.id)
        self.header.show_roles(holders(events), self.incidents.actor)
        show_command_banner(self.banners, events, self.incidents.actor)

    def switch_theme(self) -> None:
        self.set_theme("dark" if theme.current().name == "light" else "light")

    def set_theme(self, choice: str) -> None:
        """The commander's pick: a palette, or theme.SYSTEM (the desktop's, followed live)."""
        self.theme_choice = choice if choice in theme.CHOICES else "light"
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self._apply_palette(theme.resolve(self.theme_choice, app))
        self.menus.themes[self.theme_choice].setChecked(True)
        if self.settings is not None:
            self.settings.setValue("view/theme", self.theme_choice)

    def follow_system_scheme(self, scheme: Qt.ColorScheme) -> None:
        """The desktop turned light or dark: so does the cockpit, unless a palette was picked."""
        name = theme.scheme_theme(scheme)
        if self.theme_choice == theme.SYSTEM and name != theme.current().name:
            self._apply_palette(name)

    def _apply_palette(self, name: str) -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        theme.apply_theme(app, name)
        if self._work is not None:  # else made in the palette of the moment
            self._work.restyle()

    def _goto(self, routes_to: str, checklist: object) -> None:
        self.show_tab(TABS.index("escalate" if routes_to == "escalate" else "mitigate"))

    def _alert_detail(self, clock_id: str) -> str:
        if clock_id == "escalate" and self.incident is not None:
            return "page " + ", ".join(self.runbook.escalation_for(self.incident.impact).who)
        return ""

    # --- the incident --------------------------------------------------------------------------

    @property
    def incident_id(self) -> int | None:
        """The incident on screen."""
        return self.incident.id if self.incident is not None else None

    @property
    def live_incident_id(self) -> int | None:
        """The incident probe flips belong to: the one on screen while it is open (an old
        incident opened from the library must not collect today's evidence)."""
        return self.incident.id if self.incident is not None and self.incident.is_open else None

    def _has_work(self) -> bool:
        return self.incident is not None or self.drill or self._evidence() is not None

    def _evidence(self) -> StateChange | None:
        return self.live.first_failure if self.live is not None else None

    def expect_drill(self, title: str, speed: float) -> None:
        """A drill is starting: show its cockpit (marked DRILL) before its probes report."""
        self.drill = True
        self.drill_strip.show_drill(title, "starting…", speed)
        self.set_incident(None)

    def attach_live(self, live: Live, *, drill: bool = False) -> None:
        """Probes are running (a drill's when ``drill``): show their evidence and states."""
        self.live = live
        self.drill = drill
        self.work_area().expect_probes(live.specs, live.states)
        self._update_probe_summary()
        self._on_tick()
        if self.incident is None:
            self.set_incident(None)

    def set_incident(self, incident: Incident | None, *, restore: bool = False) -> None:
        """Show ``incident`` (``restore``: refill the graphs from its stored samples)."""
        self.incident = incident
        if self._work is not None:
            self._work.set_incident(incident)
        elif self._has_work():
            self.work_area()  # made for this incident
        self._show_header()
        self._front(1 if self._has_work() else 0)
        if incident is not None:
            self.banners.dismiss("evidence")
        if incident is not None and restore and self.db_path is not None:
            end = incident.closed_at or incident.resolved_at
            until = end + HISTORY_MARGIN if end else self.clock.now()
            self.spawn(
                self.graphs.load_history(self.db_path, incident.detected_at - HISTORY_MARGIN, until)
            )

    def open_incident(self, incident_id: int) -> None:
        """Show the incident; a closed one opens its review desk first (on top), its cockpit
        behind it read-only."""
        incident = self.incidents.get(incident_id)
        self.set_incident(incident, restore=True)
        if incident.status == "closed":
            self.open_review()

    def _show_header(self) -> None:
        incident = self.incident
        prefix = "[DRILL] " if self.drill or (incident and incident.drill) else ""
        if incident is not None:
            self.header.show_incident(incident)
            self._show_roles()
            self.setWindowTitle(f"{prefix}{incident.label} {incident.title} — Stratus Commander")
        else:
            watching = len(self.live.specs) if self.live is not None else None if self.drill else 0
            self.header.show_no_incident(self._evidence(), watching, self.drill)
            self.setWindowTitle(f"{prefix}Stratus Commander")
        self.menus.declare.setText(
            "&Declare another incident…" if incident and incident.is_open else "&Declare incident…"
        )

    def declare(self) -> None:
        """Open the declare dialog (Ctrl+N), pre-filled from the evidence."""
        if self._dialog is not None and self._dialog.isVisible():
            self._dialog.raise_()
            self._dialog.activateWindow()
            return
        from stratus_commander.qt.cockpit.declare_dialog import DeclareDialog  # its .ui: on Ctrl+N

        dialog = DeclareDialog.for_evidence(
            self.incidents,
            self.runbook,
            self.clock,
            self._evidence(),
            self.live.states.values() if self.live is not None else (),
            drill=self.drill,
            parent=self,
        )
        dialog.drill_run = self.debriefs.drill_run()
        dialog.declared.connect(self._declared)
        dialog.finished.connect(dialog.deleteLater)
        self._dialog = dialog
        dialog.open()  # window-modal without a nested event loop

    def _declared(self, incident: Incident) -> None:
        self._dialog = None
        self.set_incident(incident)
        self.show_tab(TABS.index("triage"))

    # --- live updates --------------------------------------------------------------------------

    def _on_tick(self) -> None:
        sim = self.live.simulator if self.live is not None else None
        if self.drill and sim is not None:  # before the simulator is up: "starting…" stays
            self.drill_strip.show_drill(
                sim.scenario.title, duration_notation(sim.elapsed()), sim.clock.speed
            )
        readings = self._work.rail.readings if self._work is not None else []
        warning = {r.id: r.state for r in readings}
        self.notifier.retire(warning)
        self.probe_status.show(self.live, recount=self._summary_stale)  # a restart counts down
        self._summary_stale = False

    def _on_flip(self, change: StateChange) -> None:
        self._summary_stale = True  # recounted on the next tick: storms flip hundreds at once
        if self.incident is not None:
            return
        evidence = self._evidence()
        self.rail.set_detection(evidence.at if evidence else None)
        self._show_header()
        if evidence is not None and self.stack.currentIndex() == 0:
            self._front(1)
        if evidence is change:
            self.banners.show_banner(
                "evidence",
                "soon",
                f"FAILING — {change.probe} is {change.current.value}. The DECLARE clock runs "
                "from this evidence. Declare the incident (Ctrl+N).",
            )

    def _on_event(self, incident: Incident, event: Event) -> None:
        self.debriefs.on_event(incident, event)
        if self.incident is not None and incident.id == self.incident.id:
            shown, self.incident = self.incident, incident
            if replace(shown, event_count=0, head_hash="") != replace(
                incident, event_count=0, head_hash=""
            ):
                self._show_header()
            elif event.kind == "role_assigned":
                self._show_roles()

    def _update_probe_summary(self) -> None:
        self._summary_stale = False
        self.probe_status.show(self.live)

    # --- tasks, settings, closing --------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Run a coroutine on the event loop, held until it ends (see qt/tasks.py)."""
        return self._tasks.spawn(coro)

    def pending_tasks(self) -> set[asyncio.Task[Any]]:
        return self._tasks.pending()

    def _restore_geometry(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.value("cockpit/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def save_settings(self) -> None:
        if self.settings is None:
            return
        self.settings.setValue("cockpit/geometry", self.saveGeometry())
        if self._work is not None:  # else the stored layout stands as it was
            self._work.save_layout(self.settings)
        self.settings.setValue("view/theme", self.theme_choice)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.debriefs.at_close()
        if self.review_window is not None:
            self.review_window.close()  # stops its loader thread and closes its connection
        if self.team_library is not None:
            self.team_library.close()
        self._tasks.cancel()
        if self.notifier.desktop is not None:
            self.notifier.desktop.close()
        super().closeEvent(event)
        self.closed.emit()
