"""The command line: a thin click layer over the session and the domain functions the GUI calls.

    root.py            the root command (global options, last-resort guard) and its groups
    output.py          say, say_json, fail, fail_for, run_domain: printing and exit codes
    options.py         the global options, the command's session, reading flag values
    record.py          incidents declare|note|status|resolve|close
    read.py            incidents list|show|verify|export|review|credits
    runbook_config.py  runbook check|learnings, config check
    probing.py         probe
    drills.py          simulator, drill

Exit codes (DESIGN.md): 0 ok; 1 the thing checked is unhealthy; 2 bad input, usage or config.
"""

# Importing a command module adds its commands to the root command's groups.
from stratus_commander.cli import drills, probing, read, record, runbook_config  # noqa: F401
from stratus_commander.cli.root import main

__all__ = ["main"]
