"""A team's progress across drills: every drill's score and, per runbook clock, the time it took
to meet it, oldest drill first (what the library's Drills view charts and exports)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from stratus_commander.debrief.build import SCORED_CLOCKS, build_debrief
from stratus_commander.debrief.model import Debrief
from stratus_commander.errors import StratusError
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import human_duration

__all__ = ["DrillScore", "drill_history", "progress_html"]


@dataclass(frozen=True, slots=True)
class DrillScore:
    incident_id: int
    title: str
    scenario: str
    declared_at: datetime
    score: int
    #: clock id → time from its anchor to meeting it (None: not met); and its deadline
    to_meet: dict[str, timedelta | None]
    allowed: dict[str, timedelta | None]
    outcomes: dict[str, str]

    @property
    def label(self) -> str:
        return f"INC-{self.incident_id}"


def score_of(debrief: Debrief, declared_at: datetime) -> DrillScore:
    to_meet: dict[str, timedelta | None] = {}
    allowed: dict[str, timedelta | None] = {}
    for c in debrief.clocks:
        to_meet[c.id] = c.met_at - c.anchor_at if c.met_at and c.anchor_at else None
        allowed[c.id] = c.due_at - c.anchor_at if c.due_at and c.anchor_at else None
    return DrillScore(
        debrief.incident_id,
        debrief.title,
        debrief.scenario_title or debrief.scenario or "—",
        declared_at,
        debrief.score,
        to_meet,
        allowed,
        {c.id: c.outcome for c in debrief.clocks},
    )


def drill_history(incidents: Incidents, runbook: Runbook) -> list[DrillScore]:
    """Every drill in the database with its debrief's figures, oldest first (a drill whose
    debrief cannot be built is left out)."""
    out = []
    for incident in reversed(incidents.list()):
        if not incident.drill:
            continue
        try:
            debrief = build_debrief(incidents, runbook, incident.id)
        except StratusError:
            continue
        out.append(score_of(debrief, incident.declared_at))
    return out


def progress_html(
    history: Sequence[DrillScore],
    show: Callable[[datetime], str],
    chart_png: bytes | None = None,
    title: str = "Drills: progress across rehearsals",
) -> str:
    """A standalone HTML page: the chart (PNG, inline) and one row per drill."""
    labels = {c: c.upper() for c in SCORED_CLOCKS}
    head = "".join(f"<th>{labels[c]}</th>" for c in SCORED_CLOCKS)
    rows = []
    for d in history:
        cells = []
        for c in SCORED_CLOCKS:
            outcome = d.outcomes.get(c, "—")
            took = d.to_meet.get(c)
            text = f"{human_duration(took)} ({outcome})" if took is not None else outcome
            cls = "" if outcome == "met" else ' class="missed"'
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append(
            f"<tr><td>{d.label}</td><td>{html.escape(show(d.declared_at))}</td>"
            f"<td>{html.escape(d.scenario)}</td><td><b>{d.score}</b></td>{''.join(cells)}</tr>"
        )
    chart = ""
    if chart_png:
        data = base64.b64encode(chart_png).decode("ascii")
        chart = f'<img alt="Time to meet each clock, per drill" src="data:image/png;base64,{data}">'
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px}td.missed{background:#f6d5d2}"
        "img{max-width:100%}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{chart}"
        f"<table><tr><th>Drill</th><th>Declared</th><th>Scenario</th><th>Score</th>{head}</tr>"
        f"{''.join(rows)}</table></body></html>\n"
    )
