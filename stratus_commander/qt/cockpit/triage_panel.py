"""Triage: the runbook's four checks in order, live probe evidence, ticks and the decision.

Each group (API health, webhook status, database connectivity, external dependencies) shows its
probes (state by shape and word, latency, detail, time of the last flip), its automated items with
the evidence that answers them, and its manual items as ticks — each tick one ``check_ticked``
timeline event (group ``triage:<group id>``, see :mod:`stratus_commander.incident.checklists`). The
decision
box proposes internal / external / unknown from the evidence
(:func:`stratus_commander.probes.triage.hint`)
and, once the commander chooses (:meth:`Incidents.decide`), says the runbook's next step.

Probe results arrive often: a flip is shown in its row at once, the group's state and the hint
a moment later (once for a whole storm of flips), latency and detail on the bus's one-second tick.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from stratus_commander.clock import Clock
from stratus_commander.errors import AlreadyDone, StratusError
from stratus_commander.incident import Incident, Incidents
from stratus_commander.incident.checklists import TICK_KINDS, set_tick, ticked
from stratus_commander.incident.comms import format_time
from stratus_commander.probes.base import Outcome, ProbeResult, ProbeState, StateChange, worst
from stratus_commander.probes.triage import DecisionHint, group_evidence, hint
from stratus_commander.qt import theme
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.probe_table import ProbeTable, state_word
from stratus_commander.qt.panel_kit import CockpitPanel, accessible
from stratus_commander.runbook import Runbook, TriageGroup, TriageItem
from stratus_commander.timeline import Event

if TYPE_CHECKING:  # pydantic loads with a config's validation, not the first frame
    from stratus_commander.probes.spec import ProbeSpec

__all__ = ["TriagePanel", "tick_group"]

FLIP_SETTLE_MS = 150  # a flip shows in its row at once; group and hint follow this much later
_GOTO = {"mitigate": "Mitigate (Ctrl+4)", "escalate": "Escalate (Ctrl+5)"}
_DECISION_KEYS = {
    "internal": "&Internal issue",
    "external": "&External dependency",
    "unknown": "&Unknown",
}


def tick_group(group_id: str) -> str:
    """The checklist group name triage ticks are recorded under."""
    return f"triage:{group_id}"


class GroupBox(QGroupBox):
    """One triage group: state, probe rows, automated items with evidence, manual ticks."""

    tick_toggled = Signal(object, bool)  # (TriageItem, on)

    def __init__(self, index: int, group: TriageGroup, parent: QWidget | None = None) -> None:
        super().__init__(f"{index} · {group.title}", parent)
        self.group = group
        self.setObjectName("triageGroup")
        box = QVBoxLayout(self)
        head = QHBoxLayout()
        self.state = QLabel()
        self.state.setObjectName("groupState")
        head.addWidget(self.state)
        head.addStretch(1)
        box.addLayout(head)
        self._box = box
        self._table: ProbeTable | None = None  # made with the group's first probe (table)
        self.evidence: dict[str, QLabel] = {}
        self.checks: dict[str, QCheckBox] = {}
        self.tick_times: dict[str, QLabel] = {}
        for item in group.items:
            if item.manual:
                row = QHBoxLayout()
                check = QCheckBox(item.text)
                accessible(
                    check, "", "A manual triage check: ticking it records it on the timeline"
                )
                check.toggled.connect(lambda on, it=item: self.tick_toggled.emit(it, on))
                when = QLabel()
                when.setObjectName("evidence")
                row.addWidget(check)
                row.addWidget(when)
                row.addStretch(1)
                box.addLayout(row)
                self.checks[item.id] = check
                self.tick_times[item.id] = when
            else:
                label = QLabel(f"• {item.text}")
                evidence = QLabel()
                evidence.setObjectName("evidence")
                evidence.setWordWrap(True)
                evidence.setIndent(16)
                box.addWidget(label)
                box.addWidget(evidence)
                self.evidence[item.id] = evidence

    @property
    def table(self) -> ProbeTable:
        """The group's probes, a row each: made when the first one is expected or reports (a
        first frame seldom has any: it does without)."""
        if self._table is None:
            table = ProbeTable(self)
            accessible(
                table,
                f"{self.group.title} probes",
                "The live probes of this check: outcome, latency, detail",
            )
            self._box.insertWidget(1, table)  # under the group's state
            self._table = table
        return self._table

    def state_text(self, probe: str) -> str:
        """The state word shown for ``probe`` (empty: no row)."""
        return self._table.state_text(probe) if self._table is not None else ""

    def show_group_state(
        self, outcome: str | None, failing: int, total: int, waiting: int = 0, closed: bool = False
    ) -> None:
        """``total`` probes have reported, ``failing`` of them fail; ``waiting`` have not yet.
        ``closed``: the incident is closed, today's probes say nothing about it."""
        if closed:
            text, prop = "CLOSED — read-only; the evidence is in the review", "none"
        elif total == 0 and waiting:
            text, prop = f"WAITING — first result of {waiting} probe(s)", "none"
        elif total == 0:
            text, prop = "NO PROBE — check by hand", "none"
        else:
            word = state_word(outcome)
            text = f"{word} — {failing} of {total} probe(s) failing" if failing else word
            text = text if failing else f"{word} — all {total} probe(s)"
            prop = outcome or "none"
        self.state.setText(text)
        theme.set_state(self.state, prop)

    def show_ticks(self, ticks: dict[str, datetime], enabled: bool) -> None:
        for item_id, check in self.checks.items():
            at = ticks.get(item_id)
            check.blockSignals(True)
            check.setChecked(at is not None)
            check.blockSignals(False)
            check.setEnabled(enabled)
            self.tick_times[item_id].setText(f"✓ {format_time(at, date=False)}" if at else "")


class DecisionBox(QFrame):
    """The triage decision: the evidence's hint, three choices, and the next step once chosen."""

    chosen = Signal(str)
    goto = Signal(str, object)  # (routes_to, checklist or None)

    def __init__(self, runbook: Runbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runbook = runbook
        self.setObjectName("decisionBox")
        box = QVBoxLayout(self)
        title = QLabel("TRIAGE DECISION")
        title.setObjectName("clockLabel")
        box.addWidget(title)
        self.suggestion = QLabel()
        self.suggestion.setObjectName("hint")
        self.suggestion.setWordWrap(True)
        box.addWidget(self.suggestion)
        self.reason = QLabel()
        self.reason.setObjectName("evidence")
        self.reason.setWordWrap(True)
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        reason_scroll = QScrollArea()
        reason_scroll.setWidget(self.reason)
        reason_scroll.setWidgetResizable(True)
        reason_scroll.setFrameShape(QFrame.Shape.NoFrame)
        reason_scroll.setMinimumHeight(90)
        reason_scroll.setMaximumHeight(140)
        reason_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        box.addWidget(reason_scroll)
        self.buttons: dict[str, QPushButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        for decision in runbook.triage.decisions:
            label = _DECISION_KEYS.get(decision.id, decision.label)
            button = QPushButton(f"{label}\n{decision.action}")
            button.setObjectName("decisionButton")
            accessible(button, decision.label, f"Decide: {decision.label}. Next: {decision.action}")
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, d=decision.id: self._clicked(d))
            self.group.addButton(button)
            self.buttons[decision.id] = button
            box.addWidget(button)
        self.next_step = QLabel()
        self.next_step.setObjectName("nextStep")
        self.next_step.setWordWrap(True)
        self.next_step.setVisible(False)
        box.addWidget(self.next_step)
        self.go = QPushButton()
        accessible(self.go, "Go to the next step", "Open the page where the next step is done")
        self.go.setVisible(False)
        self.go.clicked.connect(self._go)
        box.addWidget(self.go)
        self.decided = QLabel()
        self.decided.setObjectName("evidence")
        self.decided.setWordWrap(True)
        box.addWidget(self.decided)
        box.addStretch(1)
        self._current: str | None = None

    def show_hint(self, proposed: DecisionHint) -> None:
        label = next(d.label for d in self.runbook.triage.decisions if d.id == proposed.decision)
        suggestion = f"Evidence suggests: {label.upper()}"
        if self.suggestion.text() != suggestion:
            self.suggestion.setText(suggestion)
        if self.reason.text() != proposed.reason:
            self.reason.setText(proposed.reason)

    def show_decision(self, decision: str | None, enabled: bool, at: datetime | None) -> None:
        self._current = decision
        for d, button in self.buttons.items():
            button.setEnabled(enabled)
            button.setChecked(d == decision)
        if decision is None:
            self.next_step.setVisible(False)
            self.go.setVisible(False)
            self.decided.setText(
                "" if enabled else "Declare the incident (Ctrl+N) to record the decision."
            )
            return
        chosen = next(d for d in self.runbook.triage.decisions if d.id == decision)
        where = _GOTO[chosen.routes_to]
        if chosen.checklist:
            where = f"{where} › {chosen.checklist} checklist"
        self.next_step.setText(f"NEXT STEP: {chosen.action}.")
        # Decided on a closed incident (not enabled): history, no next step to take.
        self.next_step.setVisible(enabled)
        self.go.setText(f"Go to {where}")
        self.go.setVisible(enabled)
        self.decided.setText(
            f"Decided: {chosen.label}" + (f" at {format_time(at, date=False)}" if at else "")
        )

    def current(self) -> str | None:
        return self._current

    def _clicked(self, decision: str) -> None:
        if decision != self._current:
            self.chosen.emit(decision)
        else:
            self.buttons[decision].setChecked(True)

    def _go(self) -> None:
        if self._current is None:
            return
        chosen = next(d for d in self.runbook.triage.decisions if d.id == self._current)
        self.goto.emit(chosen.routes_to, chosen.checklist)


class TriagePanel(CockpitPanel):
    """The triage tab: four groups in the runbook's order beside the decision box."""

    #: (routes_to, checklist | None) — the commander asked to go to the decision's next step.
    goto = Signal(str, object)

    def __init__(
        self,
        bus: Bus,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(bus, incidents, runbook, clock, parent)
        self.states: dict[str, ProbeState] = {}
        self.expected: dict[str, list[str]] = {}  # check -> probe ids that will report
        self._dirty: dict[str, ProbeResult] = {}
        self._groups_dirty = True
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setVisible(False)

        # Made in place (each widget into its final parent: moved in later, a subtree is
        # re-styled whole).
        scroll = QScrollArea(self)
        column = QWidget(scroll.viewport())
        groups_box = QVBoxLayout(column)
        self.groups: dict[str, GroupBox] = {}
        for i, group in enumerate(runbook.triage.groups, start=1):
            gb = GroupBox(i, group, column)
            gb.tick_toggled.connect(lambda item, on, g=group.id: self._tick(g, item, on))
            self.groups[group.id] = gb
            groups_box.addWidget(gb)
        groups_box.addStretch(1)
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)

        self.decision = DecisionBox(runbook, self)
        self.decision.setFixedWidth(440)
        self.decision.chosen.connect(self._decide)
        self.decision.goto.connect(self.goto)

        right = QVBoxLayout()
        right.addWidget(self.decision, 1)
        right.addWidget(self.feedback)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(right)

        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(FLIP_SETTLE_MS)
        self._soon.timeout.connect(self.flush)
        bus.probe_result.connect(self._on_result)
        bus.probe_flip.connect(self._on_flip)
        bus.incident_event.connect(self._on_event)
        bus.tick.connect(self.flush)
        self.set_incident(None)

    # --- incident ------------------------------------------------------------------------------

    @property
    def _closed(self) -> bool:
        return self.incident is not None and self.incident.status == "closed"

    def set_incident(self, incident: Incident | None) -> None:
        was_closed = self._closed
        self.incident = incident
        events = self.incidents.events(incident.id) if incident else []
        self._show_ticks(events)
        self._show_decision()
        if was_closed != self._closed:  # "check by hand" prompts go, or come back
            self._groups_dirty = True
            self.flush()

    def _show_ticks(self, events: list[Event]) -> None:
        writable = self.incident is not None and self.incident.status != "closed"
        for gid, gb in self.groups.items():
            gb.show_ticks(ticked(events, tick_group(gid)), writable)

    def _show_decision(self) -> None:
        inc = self.incident
        writable = inc is not None and inc.status != "closed"
        at = None
        if inc is not None and inc.triage_decision:
            decisions: list[Event] = self.incidents.events(inc.id, {"decision"})
            at = decisions[-1].at if decisions else None
        self.decision.show_decision(inc.triage_decision if inc else None, writable, at)

    def _on_event(self, incident: Incident, event: Event) -> None:
        if self.incident is None or incident.id != self.incident.id:
            return
        self.incident = incident
        if event.kind in TICK_KINDS and str(event.data.get("group", "")).startswith("triage:"):
            self._show_ticks(self.incidents.events(incident.id, set(TICK_KINDS)))
        elif event.kind == "decision":
            self.decision.show_decision(incident.triage_decision, True, event.at)
        elif event.kind in ("status_changed", "closed", "reopened"):
            self.set_incident(incident)

    def _tick(self, group_id: str, item: TriageItem, on: bool) -> None:
        if self.incident is None:
            return
        title = self.groups[group_id].group.title
        self._attempt(
            lambda: set_tick(
                self.incidents, self.incident.id, tick_group(group_id), item, on, f"triage: {title}"
            )
        )

    def _decide(self, decision: str) -> None:
        if self.incident is None:
            return
        proposed = hint(group_evidence(self.states))
        # Short: the evidence itself is on the timeline already, flip by flip.
        if proposed.decision == decision:
            reason = "as the probe evidence suggests"
        else:
            reason = f"the probe evidence suggested {proposed.decision}"
        seen = self.incident.triage_decision  # what this panel shows: a newer one is an answer
        self._attempt(lambda: self.incidents.decide(self.incident.id, decision, reason, seen=seen))

    def _attempt(self, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except AlreadyDone as exc:  # someone was first: an answer, not a warning
            self.feedback.setText(exc.describe(lambda at: format_time(at, date=False)))
            self.feedback.setVisible(True)
            if self.incident is not None:  # show what they did, whether or not we heard of it
                self.set_incident(self.incidents.get(self.incident.id))
            return
        except StratusError as exc:
            self.feedback.setText(f"⚠ {exc}")
            self.feedback.setVisible(True)
            self.set_incident(self.incident)  # show what the timeline holds, not the click
            return
        self.feedback.setVisible(False)

    # --- evidence ------------------------------------------------------------------------------

    def expect(self, specs: Iterable[ProbeSpec]) -> None:
        """The probes that will report: a WAITING row each until its first result."""
        self.expected = {}
        for spec in specs:
            if spec.check in self.groups:
                self.expected.setdefault(spec.check, []).append(spec.id)
                if spec.id not in self.states:
                    self._table(spec.check).show_waiting(spec.id)
        self._groups_dirty = True
        self.flush()

    def set_states(self, states: dict[str, ProbeState]) -> None:
        """Start from the engine's current states (a panel built after probing began)."""
        self.states = dict(states)
        for state in self.states.values():
            table = self._table(state.check)
            table.show_state(state.probe, state.outcome.value, state.since)
            table.show_result(state.last)
        self._groups_dirty = True
        self.flush()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.flush()

    def _table(self, check: str) -> ProbeTable:
        gb = self.groups[check]
        gb.table.setVisible(True)
        return gb.table

    def _on_result(self, result: ProbeResult) -> None:
        state = self.states.get(result.probe)
        if state is not None:
            self.states[result.probe] = ProbeState(state.outcome, state.since, result)
            if state.outcome is not Outcome.UP:
                self._groups_dirty = True  # its detail is quoted as evidence
        self._dirty[result.probe] = result

    def _on_flip(self, change: StateChange) -> None:
        last = self._dirty.get(change.probe)
        if last is None:
            prior = self.states.get(change.probe)
            last = prior.last if prior else None
        if last is None or last.at != change.at:
            last = ProbeResult(
                change.probe,
                change.kind,
                change.check,
                change.current,
                None,
                change.detail,
                change.at,
            )
        self.states[change.probe] = ProbeState(change.current, change.at, last)
        self._table(change.check).show_state(change.probe, change.current.value, change.at)
        self._groups_dirty = True
        self._soon.start()  # group states and hint: once for a whole storm of flips

    def flush(self) -> None:
        """Repaint what changed since the last tick (nothing while another tab is shown)."""
        if not self.isVisible():
            return  # showEvent catches up
        dirty, self._dirty = self._dirty, {}
        for result in dirty.values():
            self._table(result.check).show_result(result)
        if not self._groups_dirty:
            return
        self._groups_dirty = False
        evidence = {g.check: g for g in group_evidence(self.states)}
        for gid, gb in self.groups.items():
            group = evidence.get(gid)  # type: ignore[call-overload]
            states = group.states if group else ()
            outcome = worst(s.outcome for s in states).value if states else None
            failing = group.failing if group else ()
            waiting = len(self.expected.get(gid, ()))
            gb.show_group_state(outcome, len(failing), len(states), waiting, self._closed)
            for item in gb.group.items:
                if not item.manual:
                    text = "" if self._closed else self._evidence_text(item, evidence)
                    gb.evidence[item.id].setText(text)
        if self._closed:
            self.decision.suggestion.setText("CLOSED — the decision below is its record")
            self.decision.reason.setText("")
        else:
            self.decision.show_hint(hint(list(evidence.values())))

    def _evidence_text(self, item: TriageItem, evidence: dict) -> str:  # type: ignore[type-arg]
        group = evidence.get(item.check)
        if (group is None or not group.states) and self.expected.get(item.check or ""):
            return "Waiting for the first result of its probe(s)."
        if group is None or not group.states:
            return "No probe reads this: check by hand."
        if group.failing:
            parts = [
                f"{state_word(s.outcome.value)} {s.probe}: {' '.join(s.last.detail.split())[:90]}"
                for s in group.failing
            ]
            return "Evidence: " + "; ".join(parts)
        unknown = [s.probe for s in group.states if s.outcome is Outcome.UNKNOWN]
        if unknown:
            return f"Evidence: nothing failing; {', '.join(unknown)} could not run."
        return f"Evidence: all {len(group.states)} probe(s) up."

    def probe_state_text(self, probe: str) -> str:
        """The state word shown for ``probe`` (empty when it has no row)."""
        for gb in self.groups.values():
            text = gb.state_text(probe)
            if text:
                return text
        return ""
