"""Build a drill's debrief from the database alone: its timeline, the drill run its declaration
recorded, the scenario file that names, the probe flips and the runbook.

Pure over what it reads: the drill ends at its resolution (or, unresolved, at its last event), so
the same database gives the same debrief whenever it is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import PurePath

from stratus_commander.clock import from_ms, to_ms
from stratus_commander.debrief.model import (
    ClockResult,
    Communication,
    Debrief,
    Escalation,
    Evidence,
    Flip,
    ScorePart,
    TriageCall,
)
from stratus_commander.drill.scenario import Scenario, load_scenario, parse_scenario
from stratus_commander.errors import DomainRefused, InputError
from stratus_commander.incident import DrillRun, Incident, Incidents, drill_run_of
from stratus_commander.incident.deadlines import ClockReading, ClockState, clocks
from stratus_commander.runbook import Runbook
from stratus_commander.timefmt import duration_notation, human_duration
from stratus_commander.timeline import DEBRIEF_ONLY_KINDS, EVENT_KINDS, Event

#: The timeline kind of a cockpit tab view in a drill: shown only in the debrief.
(VIEWED,) = DEBRIEF_ONLY_KINDS
#: The clocks a drill scores (NEXT UPDATE is the cadence; the review comes after the drill).
SCORED_CLOCKS = ("declare", "triage", "communicate", "escalate")
_FAILING = ("down", "degraded")
#: How many flips the debrief lists at most.
MAX_FLIPS = 200


def record_view(incidents: Incidents, incident_id: int, tab: str) -> Event:
    """A drill's cockpit tab looked at (a ``viewed`` event: the debrief's evidence of attention)."""
    return incidents.record(incident_id, VIEWED, f"Looked at {tab}", {"tab": tab})


def build_debrief(incidents: Incidents, runbook: Runbook, incident_id: int) -> Debrief:
    """The debrief of drill ``incident_id``; ``DomainRefused`` for an incident that is no drill."""
    incident = incidents.get(incident_id)
    if not incident.drill:
        raise DomainRefused(
            f"{incident.label} is not a drill: only drills have a debrief "
            "(declare one with --drill SCENARIO --drill-started-at TIME)"
        )
    events = incidents.events(incident_id, EVENT_KINDS)
    run = drill_run_of(events)
    scenario, problem = _scenario(run)
    ended = incident.resolved_at or max(e.at for e in events)
    at_scenario = _Offset(run)
    expected_impact = scenario.impact.capitalize() if scenario and scenario.impact else None
    expected_impact = expected_impact or incident.impact

    evidence = _evidence(incidents, events, run, incident, ended, at_scenario)
    # DECLARE runs from the first failing evidence, as the cockpit's clock does (a detection
    # time typed later than it does not buy time).
    first = evidence.first_failing_at
    timed = incident
    if first is not None and first < incident.detected_at:
        timed = replace(incident, detected_at=first)
    results = tuple(
        _clock_result(r, ended, at_scenario)
        for r in clocks(timed, runbook, ended)
        if r.id in SCORED_CLOCKS
    )
    by_id = {c.id: c for c in results}
    triage = tuple(_triage_call(e, scenario, at_scenario) for e in events if e.kind == "decision")
    comms = _communication(
        incident, runbook, events, ended, by_id.get("communicate"), expected_impact
    )
    escalation = _escalation(incident, runbook, events, expected_impact, by_id.get("escalate"))
    parts = _score(results, triage, comms, escalation)
    return Debrief(
        incident_id=incident.id,
        title=incident.title,
        scenario=run.scenario if run else None,
        scenario_title=scenario.title if scenario else None,
        scenario_problem=problem,
        started_at=run.started_at if run else None,
        speed=run.speed if run else 1.0,
        ended_at=ended,
        resolved=incident.resolved_at is not None,
        clocks=results,
        triage=triage,
        communication=comms,
        escalation=escalation,
        evidence=evidence,
        practise=practise_next(results, triage, comms, escalation, runbook),
        parts=parts,
    )


def _scenario(run: DrillRun | None) -> tuple[Scenario | None, str | None]:
    if run is None:
        return None, "this drill did not record its scenario (declared before debriefs existed)"
    try:
        if run.source is not None:  # as it was run, whatever became of its file since
            name = PurePath(run.scenario).stem
            return parse_scenario(run.source, name, "the scenario recorded with the drill"), None
        return load_scenario(run.scenario), None
    except InputError as exc:
        return None, f"scenario {run.scenario!r} cannot be read back: {exc}"


class _Offset:
    """Real time → scenario time of one drill run (None without a run)."""

    def __init__(self, run: DrillRun | None) -> None:
        self.run = run

    def __call__(self, at: datetime | None) -> timedelta | None:
        if self.run is None or at is None:
            return None
        return self.run.scenario_time(at)


def _clock_result(r: ClockReading, ended: datetime, at_scenario: _Offset) -> ClockResult:
    due, met = r.due_at, r.met_at
    by: timedelta | None = None
    if met is not None and due is not None:
        outcome, by = ("met", due - met) if met <= due else ("late", met - due)
    elif r.state == ClockState.NOT_NEEDED:
        outcome = "not needed"
    elif due is not None and due < ended:
        outcome, by = "missed", ended - due
    else:
        outcome = "open"
    return ClockResult(
        r.id,
        r.label,
        outcome,
        r.anchor_at,
        due,
        met,
        by,
        due_scenario=at_scenario(due),
        met_scenario=at_scenario(met),
    )


def _triage_call(event: Event, scenario: Scenario | None, at_scenario: _Offset) -> TriageCall:
    offset = at_scenario(event.at)
    expected, see = None, ""
    if scenario is not None and offset is not None:
        expectation = scenario.expectation_at(offset)
        if expectation is None:  # decided before the first expectation: judge by the first
            expectation = next((e for e in scenario.expect if e.triage), None)
        if expectation is not None:
            expected, see = expectation.triage, " ".join(expectation.see.split())
    return TriageCall(str(event.data.get("decision")), event.at, offset, expected, see)


def _communication(
    incident: Incident,
    runbook: Runbook,
    events: Sequence[Event],
    ended: datetime,
    first: ClockResult | None,
    expected_impact: str,
) -> Communication:
    every = runbook.comms.update_every
    updates = tuple(e.at for e in events if e.kind == "message_sent")
    gaps = []
    for i, sent in enumerate(updates):
        following = updates[i + 1] if i + 1 < len(updates) else None
        until = following if following is not None else ended
        if following is None and incident.resolved_at is not None and sent >= ended:
            continue  # the resolved message ends the cadence
        if until - sent > every:
            gaps.append((sent, until, until - sent - every))
    audience = runbook.comms.audience
    return Communication(
        first,
        updates,
        every,
        tuple(gaps),
        declared_impact=incident.impact,
        expected_impact=expected_impact,
        audience_told=audience.get(incident.impact, ""),
        audience_expected=audience.get(expected_impact, ""),
    )


def _escalation(
    incident: Incident,
    runbook: Runbook,
    events: Sequence[Event],
    expected_impact: str,
    clock: ClockResult | None,
) -> Escalation:
    row = runbook.escalation_for(expected_impact)
    told: dict[str, None] = {}
    first_at = None
    for e in events:
        if e.kind == "escalated":
            first_at = first_at or e.at
            told.update(dict.fromkeys(str(w) for w in e.data.get("to", ())))
    due = incident.declared_at + row.response
    return Escalation(clock, tuple(row.who), tuple(told), due, first_at)


def _evidence(
    incidents: Incidents,
    events: Sequence[Event],
    run: DrillRun | None,
    incident: Incident,
    ended: datetime,
    at_scenario: _Offset,
) -> Evidence:
    start = run.started_at if run is not None else incident.detected_at
    store = incidents.store
    rows = store.newest_flips(to_ms(start), to_ms(ended) + 1, MAX_FLIPS)
    flips = tuple(
        Flip(from_ms(at_ms), at_scenario(from_ms(at_ms)), probe, previous, current)
        for at_ms, probe, _check, previous, current in reversed(rows)
        if previous is not None or current != "up"  # a probe's first reading, calm: no news
    )
    failing = next((f.at for f in flips if f.current in _FAILING), None)
    views: dict[str, tuple[datetime, timedelta | None]] = {}
    for e in events:
        if e.kind == VIEWED:
            tab = str(e.data.get("tab", ""))
            views.setdefault(tab, (e.at, at_scenario(e.at)))
    return Evidence(failing, flips, views)


def _score(
    results: Sequence[ClockResult],
    triage: Sequence[TriageCall],
    comms: Communication,
    escalation: Escalation,
) -> tuple[ScorePart, ...]:
    parts = [
        ScorePart(c.label, 15 if c.met else 0, 15) for c in results if c.outcome != "not needed"
    ]
    if triage and triage[0].matches is not None:
        parts.append(ScorePart("Triage decision", 15 if triage[0].matches else 0, 15))
    elif not triage:
        parts.append(ScorePart("Triage decision", 0, 15))
    if comms.updates:
        parts.append(ScorePart("Update cadence", 10 if comms.cadence_kept else 0, 10))
    parts.append(ScorePart("Audience for the impact", 5 if comms.audience_right else 0, 5))
    right_people = escalation.first_at is not None and not escalation.missing
    parts.append(ScorePart("Escalated to whom the matrix says", 10 if right_people else 0, 10))
    return tuple(parts)


def practise_next(
    results: Sequence[ClockResult],
    triage: Sequence[TriageCall],
    comms: Communication,
    escalation: Escalation,
    runbook: Runbook,
) -> tuple[str, ...]:
    """What to rehearse next, most urgent first: one line per thing missed."""
    out: list[str] = []
    advice = {
        "declare": "Declare sooner: within {due} of the first failing probe, before the cause "
        "is known.",
        "triage": "Decide triage sooner: within {due} of declaring; an unknown decision escalates.",
        "communicate": "Send the first status update within {due} of declaring: draft it from "
        "the Communicate tab while triage runs.",
        "escalate": "Escalate to {who} within {due} of declaring, as the escalation matrix says.",
    }
    who = ", ".join(escalation.expected_who)
    for c in results:
        if c.outcome in ("late", "missed") and c.anchor_at and c.due_at:
            due = human_duration(c.due_at - c.anchor_at)
            what = advice[c.id].format(due=due, who=who)
            out.append(f"{c.label}: {what} (missed by {human_duration(c.by)})")
    wrong = next((t for t in triage if t.matches is False), None)
    if wrong is not None:
        out.append(
            f"Triage: read the evidence again — {wrong.decision} was decided, {wrong.expected} "
            f"was expected. {_first_sentence(wrong.see)}"
        )
    if comms.gaps:
        out.append(
            f"Keep the update cadence: one every {duration_notation(comms.every)} "
            f"({len(comms.gaps)} gap(s) too long)."
        )
    if not comms.audience_right:
        out.append(
            f"Impact: this was {comms.expected_impact}, declared {comms.declared_impact}; "
            f"{comms.expected_impact} tells {comms.audience_expected}."
        )
    if escalation.first_at is not None and escalation.missing:
        out.append(
            f"Escalate to {', '.join(escalation.missing)} too: the matrix names them for "
            f"{comms.expected_impact}."
        )
    return tuple(out[:5])


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot or not head.endswith(".") else "")
