"""Closing an incident, its post-incident review (PIR), action items and lessons learned.

    records.py      the stored records (close, review, action items) and reading them all once
    saving.py       writing them, with the words the incident library finds a review by
    close.py        the close record from a file, what closing needs, the close message, closing
    pir.py          the review's impact, meeting and RCA; what completing needs, completing it
    actions.py      action items: added while the review is open, tracked after it too
    learnings.py    lessons attached to runbook steps, listed across incidents
    analysis.py     milestones, durations, impossible orders, record problems, RCA, follow-up
    uptime.py       the measured uptime per check group: the slow part of a review
    build.py        the computed review (Review), whole (build_review) or uptime last
    transfer.py     copying an incident and its review records to another database (push/pull)

Each change is one timeline event ("closed", "review"); the structured record lives in the
``reviews`` / ``action_items`` tables and the event carries its SHA-256 digest, so the hash chain
covers it and :func:`build_review` can say whether the stored record still matches the timeline.

Imports the incident, credits, the store (through its protocol), the runbook and the base
modules; never the export, the session, the CLI or the GUI.
"""

from stratus_commander.review.actions import add_action_item, update_action_item
from stratus_commander.review.analysis import (
    Duration,
    FollowUp,
    Milestone,
    OrderProblem,
    order_problems,
    review_section,
)
from stratus_commander.review.build import Review, build_review, review_from, with_uptime
from stratus_commander.review.close import (
    TEXT_SECTIONS,
    Closed,
    CloseRefused,
    close_incident,
    close_record_from_mapping,
    close_requirements,
    render_close_message,
    save_close_draft,
)
from stratus_commander.review.learnings import (
    Learning,
    add_learning,
    format_learnings,
    list_learnings,
    resolve_step,
    runbook_steps,
)
from stratus_commander.review.pir import (
    ReviewRefused,
    complete_review,
    review_requirements,
    update_review,
)
from stratus_commander.review.records import (
    CHECK_STATES,
    ActionItem,
    CheckState,
    CloseRecord,
    ImpactAssessment,
    PirRecord,
    ReviewRecords,
    action_items,
    load_records,
    stored_close,
    stored_pir,
)
from stratus_commander.review.uptime import ReviewUptime, measure_review_uptime, stored_uptime

__all__ = [
    "CHECK_STATES",
    "TEXT_SECTIONS",
    "ActionItem",
    "CheckState",
    "CloseRecord",
    "CloseRefused",
    "Closed",
    "Duration",
    "FollowUp",
    "ImpactAssessment",
    "Learning",
    "Milestone",
    "OrderProblem",
    "PirRecord",
    "Review",
    "ReviewRecords",
    "ReviewRefused",
    "ReviewUptime",
    "action_items",
    "add_action_item",
    "add_learning",
    "build_review",
    "close_incident",
    "close_record_from_mapping",
    "close_requirements",
    "complete_review",
    "format_learnings",
    "list_learnings",
    "load_records",
    "measure_review_uptime",
    "order_problems",
    "render_close_message",
    "resolve_step",
    "review_from",
    "review_requirements",
    "review_section",
    "runbook_steps",
    "save_close_draft",
    "stored_close",
    "stored_pir",
    "stored_uptime",
    "update_action_item",
    "update_review",
    "with_uptime",
]
