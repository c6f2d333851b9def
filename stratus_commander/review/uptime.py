"""The review's measured uptime: the slow part of a review.

Stored credits carry the uptime they were calculated from (:func:`stored_uptime`, free). Before
any credits are stored, :func:`measure_review_uptime` measures it from the samples, per probed
check group, for the incident window and for each month the credits would cover — a month of
per-minute rollup per group, which is why the review desk shows everything else first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from stratus_commander.credits import (
    DEFAULT_SLA_GROUPS,
    Uptime,
    credit_months,
    incident_period,
    maintenance_windows,
    uptime_by_group,
)
from stratus_commander.incident import Incident
from stratus_commander.review.records import ReviewRecords
from stratus_commander.store import Store

__all__ = ["ReviewUptime", "measure_review_uptime", "stored_uptime"]


@dataclass(frozen=True)
class ReviewUptime:
    window: Mapping[str, Uptime]  # the incident window, per check group
    months: Mapping[str, Mapping[str, Uptime]]  # "YYYY-MM" -> check group -> uptime


def stored_uptime(records: ReviewRecords) -> ReviewUptime | None:
    """The uptime the stored credits were calculated from; ``None`` when no credits are stored
    (then it is measured: :func:`measure_review_uptime`)."""
    credits = records.credits
    if credits is None:
        return None
    return ReviewUptime(
        credits.reports[0].window_uptime, {r.month: r.month_uptime for r in credits.reports}
    )


def measure_review_uptime(store: Store, incident: Incident, now: datetime) -> ReviewUptime:
    """Uptime per probed check group over the incident window and over each month the credits
    would cover (by every probed group: the accounts are unknown). Slow: months of rollup."""
    window = incident_period(incident, now)
    groups = store.check_groups() or list(DEFAULT_SLA_GROUPS)
    window_maint = maintenance_windows(store, window)
    window_uptime = uptime_by_group(store, window, window_maint)
    months = {}
    for month in credit_months(store, incident, now, groups):
        maint = maintenance_windows(store, month) + window_maint
        months[month.start.strftime("%Y-%m")] = uptime_by_group(store, month, maint)
    return ReviewUptime(window_uptime, months)
