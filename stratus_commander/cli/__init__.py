"""The command line: a thin click layer over the session and the domain functions the GUI calls.

    root.py            the root command (global options, last-resort guard) and its groups
    output.py          say, say_json, fail, fail_for, run_domain: printing and exit codes
    options.py         the global options, the command's session, reading flag values
    completion.py      shell completion of incident ids and check ids
    record.py          incidents declare|note|status|resolve|close
    milestones.py      incidents triage|update|escalate|tick|untick
    debrief.py         incidents debrief
    read.py            incidents list|show|verify|export|review|credits
    insights.py        incidents insights
    runbook_config.py  runbook check|learnings, config check|init
    probing.py         probe
    drills.py          simulator, drill
    database.py        db stats|prune|compact
    outbox.py          outbox show|send: what waits for an unreachable team server
    queued.py          what a recording command says of the team outbox
    team.py            incidents assign|handover|roles|push|pull

Exit codes (DESIGN.md): 0 ok; 1 the thing checked is unhealthy; 2 bad input, usage or config.
"""

# Importing a command module adds its commands to the root command's groups.
from stratus_commander.cli import (  # noqa: F401
    database,
    debrief,
    drills,
    insights,
    milestones,
    outbox,
    probing,
    read,
    record,
    runbook_config,
    team,
)
from stratus_commander.cli.root import main

__all__ = ["main"]
