"""One incident, from declaration to close: the model and what happens to it along the runbook.

    model.py        Incident (a projection of its timeline) and Incidents (record, read, verify)
    times.py        when an event may be timed: the rules a time given by hand must meet
    drill_run.py    the drill an incident rehearses, as its declaration records it
    deadlines.py    every runbook clock of an incident at a given ``now`` (pure); LATE is not met
    cadence.py      the update cadence: every update window kept or missed (pure)
    alerts.py       which clock warnings to raise, and when (pure)
    checklists.py   checklist ticks as timeline events
    reminders.py    check-back timers ("back to you in N min")
    follow.py       team mode: announce the events other cockpits commit, once each, in order
    comms.py        stakeholder messages rendered from the runbook's templates
    roles.py        who holds which role; assigning roles and handing over command

Imports the store, the runbook and the base modules; never the probes, the review or the GUI.
"""

from stratus_commander.incident.drill_run import DrillRun, drill_run_of
from stratus_commander.incident.model import (
    CHANNELS,
    DECISIONS,
    ESCALATION_MEANS,
    MAX_ID,
    OPEN_STATUSES,
    STATUSES,
    Incident,
    Incidents,
    Listed,
    Listener,
    incident_label,
    parse_incident_id,
    project,
)
from stratus_commander.incident.times import EARLIEST, plausible_time

__all__ = [
    "CHANNELS",
    "DECISIONS",
    "EARLIEST",
    "ESCALATION_MEANS",
    "MAX_ID",
    "OPEN_STATUSES",
    "STATUSES",
    "DrillRun",
    "Incident",
    "Incidents",
    "Listed",
    "Listener",
    "drill_run_of",
    "incident_label",
    "parse_incident_id",
    "plausible_time",
    "project",
]
