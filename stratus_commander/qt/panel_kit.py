"""What the cockpit's panels share.

:class:`CockpitPanel` holds what every panel is made with (the rail and triage derive from it).
:class:`IncidentPanel` is the contract the incident panels (comms, mitigate, escalation, timeline)
follow: ``Panel(bus, incidents, runbook, clock, parent=None)`` and ``set_incident(incident |
None)``. It keeps the current incident and its events up to date from ``bus.incident_event`` and
calls ``refresh()`` when anything changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.errors import AlreadyDone, StratusError
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.comms import format_time
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.resources import ui_path
from stratus_commander.runbook import Item, Runbook
from stratus_commander.timeline import DEBRIEF_ONLY_KINDS, Event

W = TypeVar("W", bound=QWidget)

MIN_POINT_SIZE = 11
#: LATE's mark in text (a clock face): the rail paints an hourglass, but the hourglass
#: characters (⧗ ⌛) are missing from common fonts (DejaVu), where they show as an empty box.
LATE_MARK = "◷"


def _fill(bg: str, fg: str) -> str:
    return f"background: {bg}; color: {fg}; font-weight: bold; padding: 4px 8px;"


# For widgets still styled by a string of their own (the review desk, the close dialog); the
# cockpit's panels set a state instead (theme.set_state), which the style sheet colours the same.
def urgent_style() -> str:
    return _fill(theme.current().urgent_bg, theme.current().urgent_fg)


def warn_style() -> str:
    return _fill(theme.current().warn_bg, theme.current().warn_fg)


def urgent_colors() -> tuple[QColor, QColor]:
    return theme.current().color("urgent_bg"), theme.current().color("urgent_fg")


def local(dt: datetime, *, seconds: bool = False, date: bool = False, utc: bool = True) -> str:
    """A time as the commander reads it: local with the zone, then UTC."""
    return format_time(dt, seconds=seconds, date=date, utc=utc)


#: The heading sizes (pt) the style sheet has a rule for (``QLabel#heading[pt="14"]``).
HEADING_SIZES = (11, 12, 14, 15, 16)


def accessible(widget: W, name: str, description: str) -> W:
    """Say what ``widget`` is (``name``; empty: Qt's own, e.g. a button's text) and what it does
    to assistive technology. A placeholder or a shortcut hint is not read as either."""
    if name:
        widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)
    return widget


def describe_buttons(box: QDialogButtonBox, **descriptions: str) -> None:
    """Describe a button box's standard buttons, by role: ``save=``, ``cancel=``, ``ok=``..."""
    for role, description in descriptions.items():
        standard = getattr(QDialogButtonBox.StandardButton, role.capitalize())
        button = box.button(standard)
        if button is not None:
            button.setAccessibleDescription(description)


def heading(text: str, size: int = 14) -> QLabel:
    # Styled, not setFont: the application's style sheet sets every widget's font size.
    if size not in HEADING_SIZES:
        raise ValueError(f"no heading style for {size} pt (the style sheet has {HEADING_SIZES})")
    label = QLabel(text)
    label.setObjectName("heading")
    label.setProperty("pt", str(size))
    return label


def bold(label: QLabel) -> QLabel:
    label.setObjectName("bold")
    return label


def feedback_label() -> QLabel:
    """Where a panel says what just happened or why it refused (plain text: it quotes input);
    ``theme.set_state(label, "refused")`` shows a refusal in the warning fill."""
    label = QLabel()
    label.setObjectName("feedback")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def buddy(text: str, widget: QWidget) -> QLabel:
    """A label whose ``&`` mnemonic moves the focus to ``widget``."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def child(form: QWidget, kind: type[W], name: str) -> W:
    """A named widget of a Designer form (a missing one is a broken form, said plainly)."""
    found = form.findChild(kind, name)
    if found is None:
        raise RuntimeError(f"the form {form.objectName()} has no {kind.__name__} {name!r}")
    return found


def load_form(name: str, parent: QWidget) -> QWidget:
    """The Designer form ``ui/<name>``, loaded into ``parent``."""
    form = QUiLoader().load(str(ui_path(name)), parent)
    if form is None:
        raise RuntimeError(f"cannot load the Designer form ui/{name}")
    return form


class CockpitPanel(QWidget):
    """What every panel of the cockpit is made with, and the incident it shows."""

    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bus = bus
        self.incidents = incidents
        self.runbook = runbook
        self.clock = clock
        self.incident: Incident | None = None


class IncidentPanel(CockpitPanel):
    """Base of the panels: the current incident and its events, kept live from the bus."""

    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        self.events: list[Event] = []
        self._seq = 0  # the last event's seq (debrief-only events count, unshown)
        self._stale = False  # events came in a batch; refresh at its end
        if QApplication.font().pointSizeF() < MIN_POINT_SIZE:
            # The cockpit sets an 11 pt application font; elsewhere, still no tiny text. Through
            # the style sheet, because under it children do not inherit fonts.
            self.setProperty("min_font", "true")
        bus.incident_event.connect(self._on_incident_event)
        bus.batch_done.connect(self._after_batch)

    def set_incident(self, incident: Incident | None) -> None:
        self.incident = incident
        self.events = self.incidents.events(incident.id) if incident else []
        # The last seq read (the events shown leave out the debrief's: they count here).
        self._seq = max(
            [incident.event_count if incident else 0, *(e.seq for e in self.events[-1:])]
        )
        self.incident_changed()
        self.refresh()

    def _on_incident_event(self, incident: Incident, event: Event) -> None:
        if self.incident is None or incident.id != self.incident.id:
            return
        self.incident = incident
        if event.kind in DEBRIEF_ONLY_KINDS:  # a drill's tab view: only the debrief shows it
            self._seq = max(self._seq, event.seq)
            return
        if event.seq <= self._seq:
            pass  # read already (a re-read of the timeline brought it before its notice)
        elif event.seq == self._seq + 1:
            self.events.append(event)
            self.event_added(event)
        else:  # out of turn (another writer and ours raced): re-read, in order, all of it
            self.events = self.incidents.events(incident.id)
        # The last seq read: a re-read may hold events whose notices are still on their way.
        self._seq = max(self._seq, event.seq, *(e.seq for e in self.events[-1:]))
        if self.bus.batching:  # a flip storm is a hundred events: refresh once, after them
            self._stale = True
        else:
            self.refresh()

    def _after_batch(self) -> None:
        if self._stale:
            self._stale = False
            self.refresh()

    @property
    def writable(self) -> bool:
        """Actions are possible (closed incidents are read-only)."""
        return self.incident is not None and self.incident.status != "closed"

    def incident_changed(self) -> None:
        """A different incident (or none) is shown: reset per-incident view state."""

    def event_added(self, event: Event) -> None:
        """One new event of the current incident (before ``refresh``)."""

    def refresh(self) -> None:
        """Show the current incident and events."""

    def attempt(self, feedback: QLabel, action: Callable[[], object]) -> bool:
        """Run a domain call; show its refusal in ``feedback`` instead of raising into Qt."""
        try:
            action()
        except AlreadyDone as exc:  # someone was first: an answer, not a warning
            feedback.setText(exc.describe(lambda at: format_time(at, date=False)))
            theme.set_state(feedback, "")
            if self.incident is not None:  # show what they did, whether or not we heard of it
                self.incident = self.incidents.get(self.incident.id)
                self.events = self.incidents.events(self.incident.id)
                self.refresh()
            return False
        except StratusError as exc:
            feedback.setText(f"⚠ {exc}")
            theme.set_state(feedback, "refused")
            return False
        theme.set_state(feedback, "")
        return True

    def confirm(self, title: str, text: str) -> bool:
        """Ask before an action that is hard to take back (tests replace this)."""
        answer = QMessageBox.question(
            self,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes


class Checklist(QListWidget):
    """Runbook items as ticks (Space toggles); ``toggled(item_id, on)`` on a commander's click."""

    toggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Big tick boxes (the style sheet's QListWidget#checklist). Qt keeps the rules it matched
        # while constructing the list; polished now, the rows are measured with the new name's
        # (else rows laid out before the list is shown are too short for their padding).
        self.setObjectName("checklist")
        accessible(
            self,
            "Checklist",
            "Runbook steps: Space ticks the selected one, and the tick goes on the timeline",
        )
        self.ensurePolished()
        self._items: list[Item] = []
        self._loading = False
        self.itemChanged.connect(self._changed)
        self.setAlternatingRowColors(True)

    def set_items(self, items: Iterable[Item]) -> None:
        """Show these items (unticked); rows are rebuilt only when the items change."""
        items = list(items)
        if items == self._items and self.count() == len(items):
            return
        self._items = items
        self._loading = True
        try:
            self.clear()
            for item in items:
                row = QListWidgetItem(item.text)
                row.setData(Qt.ItemDataRole.UserRole, item.id)
                row.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                )
                row.setCheckState(Qt.CheckState.Unchecked)
                self.addItem(row)
            if self.count():
                # Current (for the keyboard) but not selected: a selected row reads as "done".
                self.setCurrentRow(0, QItemSelectionModel.SelectionFlag.NoUpdate)
        finally:
            self._loading = False

    def show_ticks(self, ticked: dict[str, datetime]) -> None:
        """Tick state and time per row, in place: this runs inside the row's own change signal
        (tick → timeline event → refresh), so the rows must not be deleted here."""
        self._loading = True
        try:
            for index, item in enumerate(self._items):
                row = self.item(index)
                at = ticked.get(item.id)
                row.setText(item.text + (f"   ✓ {local(at)}" if at else ""))
                row.setCheckState(Qt.CheckState.Checked if at else Qt.CheckState.Unchecked)
                # Done steps step back so the open ones stand out.
                row.setData(
                    Qt.ItemDataRole.ForegroundRole,
                    self.palette().placeholderText() if at else None,
                )
        finally:
            self._loading = False

    def _changed(self, row: QListWidgetItem) -> None:
        if self._loading:
            return
        on = row.checkState() == Qt.CheckState.Checked
        self.toggled.emit(str(row.data(Qt.ItemDataRole.UserRole)), on)
