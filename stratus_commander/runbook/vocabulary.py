"""The runbook's fixed vocabulary: impacts, services, checks, clocks, phases, templates, sections.

A runbook file words and times these as it likes; the model checks the file's ids against these
names (and their order, where it matters), its templates against TEMPLATE_VARIABLES.
"""

from __future__ import annotations

from typing import Literal

Impact = Literal["Minor", "Major", "Critical"]
IMPACTS: tuple[Impact, ...] = ("Minor", "Major", "Critical")
SERVICES = ("API", "Web", "Webhooks", "Database")
# Same values as probes.checks.Check, repeated: the runbook sits below the probes (the layers).
Check = Literal["api", "webhooks", "database", "external"]
TRIAGE_ORDER: tuple[Check, ...] = ("api", "webhooks", "database", "external")
ClockId = Literal["declare", "triage", "communicate", "next_update", "escalate", "pir"]
CLOCK_ORDER: tuple[ClockId, ...] = (
    "declare",
    "triage",
    "communicate",
    "next_update",
    "escalate",
    "pir",
)
PhaseId = Literal["declare", "triage", "communicate", "mitigate", "close", "review"]
PHASE_ORDER: tuple[PhaseId, ...] = (
    "declare",
    "triage",
    "communicate",
    "mitigate",
    "close",
    "review",
)
DeclareFieldId = Literal["title", "scope", "start_time", "impact", "affected_services"]
DECLARE_FIELDS: tuple[DeclareFieldId, ...] = (
    "title",
    "scope",
    "start_time",
    "impact",
    "affected_services",
)
DecisionId = Literal["internal", "external", "unknown"]
TEMPLATE_NAMES = ("investigating", "update", "resolved", "close")
TEMPLATE_VARIABLES = frozenset(
    {
        "services",
        "affected_services",
        "impact",
        "started",
        "next_update",
        "resolved_at",
        "root_cause",
        "fix_applied",
        "service_credits",
    }
)
MITIGATION_TYPES = ("api", "webhooks", "database", "external", "rate_limiting")
CLOSE_SECTIONS = ("root_cause_analysis", "fix_implementation", "service_credits", "lessons_learned")
REVIEW_SECTIONS = ("timeline", "impact", "root_cause", "action_items", "follow_up")
