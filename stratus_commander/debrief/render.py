"""The debrief as text (``incidents debrief``) and as HTML (the cockpit's debrief window, the
review desk): the same sections in the same order, times in scenario time beside real time."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timedelta

from stratus_commander.debrief.model import ClockResult, Debrief
from stratus_commander.timefmt import duration_notation


def _at(offset: timedelta | None) -> str:
    return f"+{duration_notation(offset)}" if offset is not None else "—"


def _lines(debrief: Debrief, show: Callable[[datetime], str]) -> list[tuple[str, list[str]]]:
    """(section title, lines) of the debrief, in reading order."""
    sections: list[tuple[str, list[str]]] = []
    clocks = [
        f"{c.label:<12} {c.summary()}"
        + (f"  (due {_at(c.due_scenario)}, done {_at(c.met_scenario)})" if c.due_at else "")
        for c in debrief.clocks
    ]
    sections.append(("Runbook clocks", clocks))

    triage: list[str] = []
    for t in debrief.triage:
        line = f"{t.decision} at {_at(t.scenario)} ({show(t.at)})"
        if t.matches is True:
            line += f" — as expected ({t.expected})"
        elif t.matches is False:
            line += f" — expected {t.expected}"
        triage.append(line)
        if t.matches is False and t.see:
            triage.append(f"    Why: {t.see}")
    sections.append(("Triage decision", triage or ["no triage decision was recorded"]))

    c = debrief.communication
    comms = [
        "First update: " + (c.first_update.summary() if c.first_update else "—"),
        f"Updates sent: {len(c.updates)}; cadence (every {duration_notation(c.every)}): "
        + ("kept" if c.cadence_kept else f"{len(c.gaps)} gap(s) too long"),
        f"Audience: declared {c.declared_impact} tells {c.audience_told}"
        + ("" if c.audience_right else f"; {c.expected_impact} needed: {c.audience_expected}"),
    ]
    sections.append(("Communication", comms))

    e = debrief.escalation
    esc = [
        f"Matrix says: {', '.join(e.expected_who)} by {show(e.due_at)}",
        "Escalated to: "
        + (", ".join(e.escalated_to) if e.escalated_to else "nobody")
        + (f" at {show(e.first_at)}" if e.first_at else "")
        + (" (on time)" if e.on_time else " (late)" if e.first_at else ""),
    ]
    if e.missing and e.first_at:
        esc.append(f"Not told: {', '.join(e.missing)}")
    sections.append(("Escalation", esc))

    ev = debrief.evidence
    evidence = [f"{_at(f.scenario)} {f.probe}: {f.previous or '—'} → {f.current}" for f in ev.flips]
    if not ev.flips:
        evidence.append("no probe flips recorded during the drill")
    for tab, (_when, offset) in ev.first_views.items():
        evidence.append(f"first looked at {tab} at {_at(offset)}")
    sections.append(("Evidence", evidence))
    sections.append(("Practise next", list(debrief.practise) or ["nothing missed: run it faster"]))
    return sections


def _heading(debrief: Debrief, show: Callable[[datetime], str]) -> tuple[str, str]:
    scenario = debrief.scenario_title or debrief.scenario or "unknown scenario"
    title = f"Debrief {debrief.label}: {debrief.title} — score {debrief.score}/100"
    sub = f"Scenario: {scenario}"
    if debrief.started_at is not None:
        sub += f", started {show(debrief.started_at)}"
        if debrief.speed != 1:
            sub += f" at x{debrief.speed:g}"
    if debrief.scenario_problem:
        sub += f" ({debrief.scenario_problem})"
    return title, sub


def debrief_text(debrief: Debrief, show: Callable[[datetime], str]) -> str:
    """Plain text; ``show`` writes a time (the CLI: local time with its zone)."""
    title, sub = _heading(debrief, show)
    out = [title, sub]
    for name, lines in _lines(debrief, show):
        out += ["", name] + [f"  {line}" for line in lines]
    return "\n".join(out) + "\n"


def debrief_html(
    debrief: Debrief, show: Callable[[datetime], str], *, body_only: bool = False
) -> str:
    """A small HTML document (Qt's rich text subset): what to practise next first, then the
    rest; ``body_only``: without the heading and the clock table (a view showing them itself)."""
    parts = []
    if not body_only:
        title, sub = _heading(debrief, show)
        parts += [f"<h2>{html.escape(title)}</h2>", f"<p>{html.escape(sub)}</p>"]
        parts.append(_clock_table(debrief.clocks))
    sections = _lines(debrief, show)[1:]
    sections = sections[-1:] + sections[:-1]  # what to practise next, first
    for name, lines in sections:
        items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in lines)
        parts.append(f"<h3>{html.escape(name)}</h3><ul>{items}</ul>")
    return "\n".join(parts)


# The light palette's (resources/styles/palettes.toml): LATE in its own orange, as on the rail.
_COLOURS = {"met": "#1b7f3b", "late": "#a8440a", "missed": "#b3261e"}


def _clock_table(clocks: tuple[ClockResult, ...]) -> str:
    rows = []
    for c in clocks:
        colour = _COLOURS.get(c.outcome, "#555555")
        rows.append(
            f"<tr><td><b>{html.escape(c.label)}</b></td>"
            f'<td style="color:{colour}"><b>{html.escape(c.outcome.upper())}</b></td>'
            f"<td>{html.escape(c.summary())}</td>"
            f"<td>due {_at(c.due_scenario)}</td><td>done {_at(c.met_scenario)}</td></tr>"
        )
    head = "<h3>Runbook clocks</h3>"
    return head + '<table cellspacing="0" cellpadding="4">' + "".join(rows) + "</table>"
