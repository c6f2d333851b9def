"""The review desk's first tab: durations against the runbook's targets, and the milestones."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from stratus_commander import review as rv
from stratus_commander.incident.cadence import Cadence
from stratus_commander.incident.comms import format_time
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import LATE_MARK, accessible, local
from stratus_commander.qt.review.widgets import ReviewTab, Table, mark_late, mark_urgent
from stratus_commander.timefmt import human_duration

__all__ = ["TimelineTab"]


class TimelineTab(ReviewTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Loading the timeline…", parent)
        layout = QVBoxLayout(self)
        layout.addWidget(self.loading)
        self.order_label = QLabel()
        self.order_label.setObjectName("reviewAlert")
        self.order_label.setWordWrap(True)
        self.order_label.setTextFormat(Qt.TextFormat.PlainText)
        theme.set_state(self.order_label, "urgent")
        self.order_label.setVisible(False)
        layout.addWidget(self.order_label)
        layout.addWidget(QLabel("<b>Durations</b> (hover a row for its start and end)"))
        self.durations = Table(["Measure", "Value", "Target", "Definition"], stretch=3, fit=True)
        layout.addWidget(self.durations)
        accessible(
            self.durations,
            "Durations",
            "Time to declare, triage, first update and resolve, against their targets",
        )
        layout.addWidget(
            QLabel("<b>Milestones</b>: detection, response, resolution, communication")
        )
        self.milestones = Table(["Local time", "UTC", "Kind", "Milestone"], stretch=3)
        layout.addWidget(self.milestones, 1)
        accessible(
            self.milestones,
            "Milestones",
            "Detection, response, resolution and communication, in local time and UTC",
        )

    def fill(self, review: rv.Review) -> None:
        problems = review.order_problems
        self.order_label.setVisible(bool(problems))
        self.order_label.setText(
            "✖ Impossible order:\n" + "\n".join(f"• {p.message}" for p in problems)
        )
        rows = []
        for d in review.durations:
            value = human_duration(d.value)
            if d.impossible:
                value += "  IMPOSSIBLE"
            target = "—"
            if d.target is not None:
                target = f"≤ {human_duration(d.target)}"
                if d.late_by is not None:
                    target += f"  {LATE_MARK} LATE by {human_duration(d.late_by)}"
                elif d.met:
                    target += "  ✓ met"
            rows.append([d.label, value, target, d.definition])
        cadence = review.cadence
        rows.append(_cadence_row(cadence))
        all_cells = self.durations.fill(rows)
        for d, cells in zip(review.durations, all_cells, strict=False):
            span = (
                f"{local(d.start, date=True, seconds=True) if d.start else '—'} → "
                f"{local(d.end, date=True, seconds=True) if d.end else 'not yet'}"
            )
            for cell in cells:
                cell.setToolTip(f"{d.label}: {span}\n{d.definition}")
            if d.impossible:
                mark_urgent(cells)
            elif d.late_by is not None:  # done, after its deadline: LATE, not the red of missed
                mark_late(cells[:3])
            elif d.met is False:
                mark_urgent(cells[:3])
        windows = "\n".join(
            f"{local(w.start)} → {local(w.end) if w.end else 'running'}: "
            f"{'kept' if w.kept else 'MISSED' if w.kept is False else 'not due yet'}"
            for w in cadence.windows
        )
        for cell in all_cells[-1]:
            cell.setToolTip(
                f"Update windows (due every {human_duration(cadence.every)}):\n{windows}"
            )
        if cadence.missed:
            mark_urgent(all_cells[-1][:3])
        self.milestones.fill(
            [
                [
                    local(m.at, date=True, seconds=True, utc=False),
                    m.at.strftime("%H:%M:%S"),
                    m.category,
                    m.label,
                ]
                for m in review.milestones
            ],
        )


def _cadence_row(cadence: Cadence) -> list[str]:
    """The update cadence as a durations row: updates and the longest gap; windows kept."""
    gap = cadence.longest_gap
    n = len(cadence.updates)
    value = f"{n} update{'s' * (n != 1)}"
    if gap is not None and gap.end is not None:
        start = format_time(gap.start, date=False, utc=False, zone=False)
        end = format_time(gap.end, date=False, utc=False)
        value += f"; longest gap {start}–{end} ({human_duration(gap.gap)})"
    judged = cadence.kept + cadence.missed
    target = f"every {human_duration(cadence.every)}"
    if judged:
        target += f"  {cadence.kept}/{judged} windows kept"
    if cadence.missed:
        target += f", {cadence.missed} MISSED"
    return [
        "Update cadence",
        value,
        target,
        "Every window from one status update to the next (the last one to the resolution): "
        "kept when the next came within the runbook's interval.",
    ]
