"""The drill debrief: how a rehearsal went against the runbook's clocks and the scenario's
expectations, rebuilt from the database alone.

    model.py     the debrief's records (clocks, triage calls, communication, escalation,
                 evidence, score) and their JSON
    build.py     build_debrief: read the incident, its drill run, scenario, flips and runbook
    render.py    the debrief as text (the CLI) and as HTML (the GUI and exports)
    progress.py  every drill's score and time to meet each clock (the library's Drills view),
                 and its HTML export

Imports the review's neighbours below it (drill, incident, runbook, store) and base modules;
never the export, the session, the CLI or the GUI. Tab views (timeline events of kind
``viewed``) are the cockpit's record of attention: only the debrief shows them.
"""

from stratus_commander.debrief.build import (
    SCORED_CLOCKS,
    VIEWED,
    build_debrief,
    practise_next,
    record_view,
)
from stratus_commander.debrief.model import (
    OUTCOMES,
    ClockResult,
    Communication,
    Debrief,
    Escalation,
    Evidence,
    Flip,
    ScorePart,
    TriageCall,
)

__all__ = [
    "OUTCOMES",
    "SCORED_CLOCKS",
    "VIEWED",
    "ClockResult",
    "Communication",
    "Debrief",
    "Escalation",
    "Evidence",
    "Flip",
    "ScorePart",
    "TriageCall",
    "build_debrief",
    "practise_next",
    "record_view",
]
