"""The post-incident review of one incident: the review desk, from the SQLite file alone.

:class:`ReviewView` opens the incident database at ``store_path`` (no config, no network) and
shows what :func:`stratus_commander.review.build_review` computes, tab by tab: the 48 h deadline
and the hash chain's verdict (:mod:`.header`), milestones and durations (:mod:`.timeline_tab`),
impact and RCA (:mod:`.impact_tab`), action items and the follow-up meeting (:mod:`.actions_tab`),
service credits (:mod:`.credits_tab`), the probe graphs replayed from stored samples
(:mod:`.graphs`) and, for a drill, its debrief (:mod:`.debrief_view`).

Every slow read runs on worker threads with connections of their own
(:class:`~stratus_commander.qt.offthread.OffThread`): the review and the graphs load side by side
(:attr:`ReviewView.loaded`, :attr:`ReviewView.graphs_loaded`), each tab saying so meanwhile;
credits are calculated and exports rendered there too. The review comes in two steps: all but the
uptime measured from the samples first (:attr:`ReviewView.first_shown`: the header and the tabs),
then the uptime, for the tabs that show it (``shows_uptime``: the credits tab, which says it is
calculating meanwhile). A reload drops whatever an older one still delivers. Edits are small
durable writes through the review and credits functions on the UI thread, each followed by a
reload. With ``read_only=True`` (the incident library) nothing can be changed; exports still work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from stratus_commander import review as rv
from stratus_commander.clock import Clock
from stratus_commander.debrief import Debrief, build_debrief
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incidents
from stratus_commander.qt.offthread import OffThread
from stratus_commander.qt.review.actions_tab import ActionsTab
from stratus_commander.qt.review.credits_tab import CreditsTab
from stratus_commander.qt.review.debrief_view import DebriefTab
from stratus_commander.qt.review.exports import choose_export, export_incident
from stratus_commander.qt.review.graphs import (
    ReplayData,
    ReplayGraphs,
    incident_markers,
    read_replay,
)
from stratus_commander.qt.review.header import ReviewHeader
from stratus_commander.qt.review.impact_tab import ImpactTab
from stratus_commander.qt.review.timeline_tab import TimelineTab
from stratus_commander.qt.review.widgets import ReviewTab, editable
from stratus_commander.runbook import Runbook
from stratus_commander.store import Store, as_location, open_store

__all__ = ["ReviewView"]


class ReviewView(QWidget):
    """The post-incident review of one incident (see the module docstring)."""

    first_shown = Signal()  # the review is shown, but for the uptime still being measured
    loaded = Signal()  # the whole review was (re)computed and is shown
    graphs_loaded = Signal(int)  # points drawn
    load_failed = Signal(str)
    debrief_loaded = Signal()  # a drill's debrief is shown (its own tab)

    def __init__(
        self,
        store_path: Path | str,
        runbook: Runbook,
        clock: Clock,
        incident_id: int,
        parent: QWidget | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        super().__init__(parent)
        self.store_path = as_location(store_path)  # a file, or a postgresql:// URL
        self.runbook = runbook
        self.clock = clock
        self.incident_id = incident_id
        self.read_only = read_only
        self.store = open_store(self.store_path)  # the UI thread's, for the small writes
        self.incidents = Incidents(self.store, clock)
        # Two threads: the review and the graphs load side by side.
        self.worker = OffThread(self.store_path, readonly=read_only, name="review", parent=self)
        self.review: rv.Review | None = None
        self.uptime_pending = False  # self.review's uptime is still being measured
        self.replay: ReplayData | None = None
        self._generation = 0  # of the newest reload: results of older ones are dropped
        self._shut = False

        layout = QVBoxLayout(self)
        self.header = ReviewHeader()
        self.header.export_button.clicked.connect(self._choose_export)
        self.header.complete_button.clicked.connect(self.complete_review)
        layout.addWidget(self.header)
        self.timeline_tab = TimelineTab()
        self.impact_tab = ImpactTab(self.incidents, runbook, incident_id)
        self.actions_tab = ActionsTab(self.incidents, runbook, clock, incident_id)
        self.credits_tab = CreditsTab(self.incidents, runbook, clock, self.worker)
        self.graphs = ReplayGraphs()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.timeline_tab, "&Timeline and durations")
        self.tabs.addTab(self.impact_tab, "&Impact and RCA")
        self.tabs.addTab(self.actions_tab, "&Action items and follow-up")
        self.tabs.addTab(self.credits_tab, "&Credits")
        self.tabs.addTab(self.graphs, "&Graphs")
        self.debrief_tab: DebriefTab | None = None
        row = self.store.incident_row(incident_id)
        if row is not None and row["drill"]:  # a drill: scored against its scenario
            self.debrief_tab = DebriefTab()
            self.tabs.addTab(self.debrief_tab, "&Debrief")
        layout.addWidget(self.tabs, 1)
        for tab in self._review_tabs():
            tab.said.connect(self.header.say)
            tab.changed.connect(self.reload)
        self._set_editable()
        self.reload()
        self.load_graphs()
        self.load_debrief()

    def _review_tabs(self) -> tuple[ReviewTab, ...]:
        return (self.timeline_tab, self.impact_tab, self.actions_tab, self.credits_tab)

    # --- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Recompute the review on a worker thread: :attr:`first_shown` when all but the
        measured uptime is shown, :attr:`loaded` when the whole review is."""
        self._generation += 1
        generation = self._generation
        runbook, clock, incident_id = self.runbook, self.clock, self.incident_id
        now = clock.now()

        def read(store: Store) -> tuple[rv.Review, bool]:
            records = rv.load_records(Incidents(store, clock), incident_id)
            uptime = rv.stored_uptime(records)
            return rv.review_from(records, runbook, now, uptime), uptime is None

        self.worker.submit(
            read,
            lambda first: self._show_first(generation, *first),
            lambda error: self._review_failed(generation, error),
        )

    def _show_first(self, generation: int, review: rv.Review, measure: bool) -> None:
        if generation != self._generation:
            return  # a newer reload is on its way
        if measure:
            incident, now = review.incident, review.now
            self.worker.submit(
                lambda store: rv.measure_review_uptime(store, incident, now),
                lambda uptime: self._show_uptime(generation, uptime),
                lambda error: self._uptime_failed(generation, error),
            )
        self.uptime_pending = measure
        self._show(review)
        self.first_shown.emit()
        if not measure:
            self.loaded.emit()

    def _show_uptime(self, generation: int, uptime: rv.ReviewUptime) -> None:
        if generation != self._generation or self.review is None:
            return
        self.uptime_pending = False
        self.review = rv.with_uptime(self.review, uptime)
        for tab in self._review_tabs():
            if tab.shows_uptime:
                tab.show_review(self.review)
        self.loaded.emit()

    def load_graphs(self) -> None:
        """Replay the graphs from stored samples on a worker thread."""
        incident_id, now = self.incident_id, self.clock.now()
        self.worker.submit(
            lambda store: read_replay(store, incident_id, now),
            self._show_graphs,
            self._graphs_failed,
        )

    def load_debrief(self) -> None:
        """A drill's debrief, built on a worker thread (:attr:`debrief_loaded`)."""
        tab = self.debrief_tab
        if tab is None:
            return
        runbook, clock, incident_id = self.runbook, self.clock, self.incident_id

        def shown(debrief: Debrief) -> None:
            tab.show_debrief(debrief)
            self.debrief_loaded.emit()

        self.worker.submit(
            lambda store: build_debrief(Incidents(store, clock), runbook, incident_id),
            shown,
            lambda error: tab.failed(f"{type(error).__name__}: {error}"),
        )

    def _review_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.header.title.setText("The review could not be loaded")
        self.header.say(f"{type(error).__name__}: {error}", "failed")
        for tab in self._review_tabs():
            tab.load_failed()
        self.load_failed.emit(str(error))

    def _uptime_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.uptime_pending = False
        reason = f"{type(error).__name__}: {error}"
        self.header.say(f"The uptime could not be calculated: {reason}", "failed")
        self.credits_tab.show_uptime_failed(reason)
        self.load_failed.emit(str(error))

    def _graphs_failed(self, error: BaseException) -> None:
        self.graphs.note.setText(f"The graphs could not be loaded: {type(error).__name__}: {error}")
        self.load_failed.emit(str(error))

    def _show(self, review: rv.Review) -> None:
        self.review = review
        self.header.show_review(review)
        for tab in self._review_tabs():
            tab.show_review(review)
            if tab.shows_uptime and self.uptime_pending:
                tab.show_uptime_pending()
        self._set_editable()

    def _show_graphs(self, replay: ReplayData) -> None:
        self.replay = replay
        self.graphs.show_series(replay.series, replay.window, incident_markers(replay.incident))
        self.graphs_loaded.emit(sum(len(s.times_ms) for s in replay.series))

    def set_theme(self) -> None:
        """Redraw in the current palette (the cockpit calls this when the theme changes)."""
        if self.replay is not None:
            self._show_graphs(self.replay)
        else:
            self.graphs.set_theme()
        if self.review is not None:
            self._show(self.review)

    def _set_editable(self) -> None:
        can = editable(self.review, self.read_only)
        self.header.set_editable(can)
        for tab in self._review_tabs():
            tab.set_editable(can)

    # --- completing and exporting --------------------------------------------------------------

    def complete_review(self) -> bool:
        try:
            rv.complete_review(self.incidents, self.runbook, self.incident_id)
        except rv.ReviewRefused as exc:
            self.header.say(
                "⚠ The review cannot be completed yet:\n"
                + "\n".join(f"• {m}" for m in exc.missing),
                "refused",
            )
            return False
        except StratusError as exc:
            self.header.say(f"⚠ {exc}", "refused")
            return False
        self.header.say("Post-incident review completed.")
        self.reload()
        return True

    def _choose_export(self) -> None:
        label = self.review.incident.label if self.review else "incident"
        choose_export(self, label, lambda path, fmt: self.worker.spawn(self.export_to(path, fmt)))

    async def export_to(self, path: Path, fmt: str) -> bool:
        """Write the incident and its review as ``fmt`` (md, html with graphs, json)."""
        self.header.say(f"Exporting {fmt.upper()} to {path}…")
        try:
            await export_incident(
                self.worker, self.runbook, self.clock, self.incident_id, path, fmt, self.replay
            )
        except (StratusError, OSError) as exc:
            self.header.say(f"⚠ Not exported — {exc}", "refused")
            return False
        self.header.say(f"Exported {fmt.upper()} to {path}")
        return True

    # --- lifetime ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the workers and close the database (also on close)."""
        if self._shut:
            return
        self._shut = True
        self.worker.shutdown()
        self.store.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
