"""The runbook as validated data: schema, loader and the ``runbook check`` summary.

    vocabulary.py   the fixed ids and orders: impacts, services, checks, clocks, phases, templates
    duration.py     the strict duration parser ("5m" → timedelta)
    fields.py       field types (Duration, Text, Id, Template, Percent) and the id checks
    model.py        the models (frozen dataclasses), Runbook at the top, with the checks across
                    sections
    loader.py       load_runbook: a file read and validated, every problem at once;
                    check_templates: the templates' syntax, when load_runbook left it for later;
                    validate: data validated into one model (pydantic, imported then)
    summary.py      what ``runbook check`` prints
    cache.py        cached_runbook: a file validated once, read back on the cockpit's later starts
                    (imported by its module path: the cockpit's start-up alone uses it)

Import from here. Each module imports only those listed above it and base modules.

The bundled runbook is ``resources/runbooks/stratusconnect.toml`` (the company's seed runbook); a
user may point ``--runbook`` at an edited copy. :func:`load_runbook` reports every problem of a file
at once, one line each: ``<file>: <key.path>: <message>``.

Public surface (models are frozen; lists keep the file's order)::

    Runbook
      .name, .subtitle, .motto, .reminders[i]
      .phases[i]              Phase: id (PHASE_ORDER, in that order), title, when, clock (id | None)
      .clocks[i]              ClockDef, in CLOCK_ORDER (the DESIGN.md table) whatever the file's
                                order; .clock(id), clock.due_after_for(impact)
      .declare.fields[i]      DeclareField: id, label, help, choices; .declare.example
      .triage.groups[i]       TriageGroup: id (TRIAGE_ORDER, in that order), title,
                                .items[j] TriageItem: id, text, check (Check | None), manual
      .triage.decisions[i]    Decision: id (internal|external|unknown), label, action,
                                routes_to (mitigate|escalate), checklist (mitigation key | None)
      .comms                  Comms: update_every, status_page_steps[i] (Item), audience[impact],
                                templates[name] (Jinja2 source; at least TEMPLATE_NAMES)
      .mitigation[issue]      list[Item]; keys include MITIGATION_TYPES
      .playbooks[i]           Section: id, title, items[j] (Item: id, text)
      .close.sections[i]      Section; ids include CLOSE_SECTIONS
      .sla                    Sla: target, ladder[i] (CreditStep: below, credit), Decimal percents
                                (credits.credit_percent reads the ladder)
      .review                 Review: deadline, sections[i] (Section; ids include REVIEW_SECTIONS)
      .escalation[i]          Escalation: impact, response, who; .escalation_for(impact)
      .contacts[i], .emergency_contacts[i]   Contact: role, phone, email, portal, details
      .dashboards[i]          Dashboard: name, url

Helpers: parse_positive_duration ("5m" → timedelta; written back by
timefmt.duration_notation), is_placeholder; constants
IMPACTS, SERVICES, TRIAGE_ORDER, CLOCK_ORDER, PHASE_ORDER, TEMPLATE_NAMES, MITIGATION_TYPES.
Templates may use only TEMPLATE_VARIABLES (display strings the renderer supplies); values written
``[Like This]`` are placeholders still to fill in (:func:`is_placeholder`).
:class:`RunbookInvalid` (a ``RunbookError``) carries all problems of a file in ``problems``.
"""

from stratus_commander.runbook.duration import parse_positive_duration
from stratus_commander.runbook.fields import is_placeholder
from stratus_commander.runbook.loader import (
    RunbookInvalid,
    check_templates,
    load_runbook,
    validate,
)
from stratus_commander.runbook.model import (
    ClockDef,
    Close,
    Comms,
    Contact,
    CreditStep,
    Dashboard,
    Decision,
    Declare,
    DeclareExample,
    DeclareField,
    Escalation,
    Item,
    Phase,
    Review,
    Runbook,
    Section,
    Sla,
    Triage,
    TriageGroup,
    TriageItem,
)
from stratus_commander.runbook.summary import summary
from stratus_commander.runbook.vocabulary import (
    CLOCK_ORDER,
    CLOSE_SECTIONS,
    DECLARE_FIELDS,
    IMPACTS,
    MITIGATION_TYPES,
    PHASE_ORDER,
    REVIEW_SECTIONS,
    SERVICES,
    TEMPLATE_NAMES,
    TEMPLATE_VARIABLES,
    TRIAGE_ORDER,
    Check,
    ClockId,
    DecisionId,
    DeclareFieldId,
    Impact,
    PhaseId,
)

__all__ = [
    "CLOCK_ORDER",
    "CLOSE_SECTIONS",
    "DECLARE_FIELDS",
    "IMPACTS",
    "MITIGATION_TYPES",
    "PHASE_ORDER",
    "REVIEW_SECTIONS",
    "SERVICES",
    "TEMPLATE_NAMES",
    "TEMPLATE_VARIABLES",
    "TRIAGE_ORDER",
    "Check",
    "ClockDef",
    "ClockId",
    "Close",
    "Comms",
    "Contact",
    "CreditStep",
    "Dashboard",
    "Decision",
    "DecisionId",
    "Declare",
    "DeclareExample",
    "DeclareField",
    "DeclareFieldId",
    "Escalation",
    "Impact",
    "Item",
    "Phase",
    "PhaseId",
    "Review",
    "Runbook",
    "RunbookInvalid",
    "Section",
    "Sla",
    "Triage",
    "TriageGroup",
    "TriageItem",
    "check_templates",
    "is_placeholder",
    "load_runbook",
    "parse_positive_duration",
    "summary",
    "validate",
]
