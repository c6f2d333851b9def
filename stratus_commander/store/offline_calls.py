"""What the offline store (offline.py) does with the protocol's calls it does not answer itself:
which are reads (and whether an answer is remembered for while the server is away), which are
writes that are the server's only, and the row of an incident it never read.
"""

from __future__ import annotations

from typing import Any

from stratus_commander.store.records import INCIDENT_COLUMNS

__all__ = ["KNOWN_MAX", "READS", "READ_WHAT", "UNREAD_ROW", "WRITES"]

#: The protocol's reads beyond incidents and timelines → whether an answer is remembered for
#: while the server is away (records that change rarely; not the samples, read by time).
READS: dict[str, bool] = {
    "review_record": True,
    "action_item_rows": True,
    "action_item_row": True,
    "learning_rows": True,
    "first_failing_flip": True,
    "maintenance_rows": True,
    "uptime_minutes": False,
    "credit_reports": True,
    "credits_of_others": True,
    "every_credit_report": True,
    "first_failure_since": True,
    "samples_since": False,
    "probe_catalog": True,
    "samples_in_minutes": False,
    "minute_buckets": False,
    "sample_buckets": False,
    "newest_flips": False,
    "refresh_rollup": False,
    "check_groups": True,
    "table_stats": False,
}
#: How many of those answers are remembered (a long-running cockpit asks many).
KNOWN_MAX = 256
READ_WHAT = {
    "review_record": "the review",
    "action_item_rows": "the action items",
    "action_item_row": "the action item",
    "learning_rows": "the lessons",
    "credit_reports": "the service credits",
    "credits_of_others": "the service credits",
    "every_credit_report": "the service credits",
    "samples_since": "the team's probe samples",
    "probe_catalog": "the team's probes",
    "minute_buckets": "the probe history",
    "sample_buckets": "the probe history",
    "newest_flips": "the probe history",
}
#: The protocol's writes that are not an incident's timeline (not queued: see ``_write_through``).
WRITES = frozenset(
    {
        "save_review",
        "set_search_text",
        "add_search_text",
        "insert_action_item",
        "update_action_item",
        "insert_learnings",
        "save_maintenance",
        "save_credit_report",
        "add_samples",
        "add_flip",
        "prune_samples",
        "compact",
    }
)

#: An incident row not read from the server: an open incident with an empty timeline, detected
#: and declared "long ago" (no time rule refuses an action on it for its sake). Its own values
#: (a local incident's, as declared) replace these.
UNREAD_ROW: dict[str, Any] = {
    **dict.fromkeys(c for c in INCIDENT_COLUMNS if c != "id"),  # the rest unset: nothing met
    "title": "(not read: the team server is away)",
    "scope": "[]",
    "impact": "Minor",
    "affected_services": "[]",
    "status": "investigating",
    "drill": 0,
    "detected_at": "1970-01-01T00:00:00.000Z",
    "declared_at": "1970-01-01T00:00:00.000Z",
    "event_count": 0,
    "head_hash": "",
}
