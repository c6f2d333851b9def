"""The cockpit: the one main window the commander looks at for the whole outage, and its parts.

    window.py           Cockpit: the window, the incident on screen, live updates, closing
    first_frame.py      AfterFirstFrame: what the first frame does without, made once it is painted
    header.py           the DRILL strip and the incident line (or the call to declare)
    notify.py           warning banners and tray notifications
    probe_status.py     what the status bar and a banner say about the probes themselves
    welcome.py          the welcome page: declare, start a drill, open from the library
    declare_dialog.py   the declare dialog (a Designer form)
    clock_rail.py       the runbook's clocks, most urgent first
    triage_panel.py     tab 1: triage checklists, probe evidence, the decision
    graphs.py           tab 2: live latency, error rate and availability
    comms_panel.py      tab 3: the runbook's messages, written out, copied, marked sent
    mitigate_panel.py   tab 4: the incident's status, mitigation checklists and playbooks
    escalation_panel.py tab 5: whom to escalate to by when, contacts, call log, check-backs
    timeline_panel.py   the timeline beside the tabs (filterable), and notes
    shapes.py           painted state shapes (a state reads by shape and word, not colour alone)

Importing this package loads only the window; the panels of the hidden tabs, the plots, the
declare dialog and the drill's debrief load after the first frame or when first needed (see
window.py). What the review desk and the cockpit share stays in
``qt/`` (panel_kit, theme, group_style, tasks, offthread).
"""

from stratus_commander.qt.cockpit.window import Cockpit, Live

__all__ = ["Cockpit", "Live"]
