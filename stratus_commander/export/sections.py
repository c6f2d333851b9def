"""What more than one format reads off the document the same way: the uptime measurements in
order, the uptime table, credit totals and the integrity verdict.

Each format lays these out its own way (a Markdown table, an HTML table, a line of terminal text);
the rows, figures and words come from here, so the formats cannot disagree on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from stratus_commander.timefmt import human_duration

__all__ = [
    "UPTIME_HEAD",
    "cadence_line",
    "duration_verdict",
    "totals",
    "uptime_rows",
    "uptime_scopes",
    "verdict",
]

# Uptime = 100 − 100 × down / (period − maintenance): the columns a reader needs to check it, and
# how many of its minutes had no sample (counted as available).
UPTIME_HEAD = [
    "Period",
    "Group",
    "Uptime",
    "Down min",
    "Period min",
    "Maintenance min",
    "Unobserved min",
]


def uptime_scopes(review: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(group, uptime)`` of every measurement of the review: the incident window's per check
    group, then each month's, oldest month first."""
    uptime = review["uptime"]
    for scope in (uptime["window"], *uptime["months"].values()):
        yield from scope.items()


def uptime_rows(review: Mapping[str, Any]) -> list[list[Any]]:
    """The uptime table's rows, under :data:`UPTIME_HEAD`."""
    rows = []
    for group, u in uptime_scopes(review):
        pct = u["uptime_percent"]
        rows.append(
            [
                u["period"]["label"],
                group,
                f"{pct} %" if pct else "n/a",
                u["down_minutes"],
                u["period_minutes"],
                u["maintenance_minutes"],
                u["unobserved_minutes"],
            ]
        )
    return rows


def totals(credits: Mapping[str, Any]) -> str:
    """Credit totals per currency (``GBP 312.50, USD 25.00``), or ``—`` for none."""
    return ", ".join(f"{c} {v}" for c, v in credits["totals"].items()) or "—"


def verdict(integrity: Mapping[str, Any]) -> str:
    """The integrity verdict in a sentence or two (Markdown emphasis marks what went wrong)."""
    if integrity["verified"]:
        head = integrity["head_hash"][:16]
        text = f"Hash chain verified: {integrity['events']} events, head `{head}…`."
    else:
        text = f"Hash chain **BROKEN** at event {integrity['broken_at']}: {integrity['reason']}."
    if integrity["records_match"]:
        return text + " The stored review and credits match the digests the timeline recorded."
    return (
        text
        + " **Records differ from the timeline:** "
        + "; ".join(integrity["record_problems"])
        + "."
    )


def duration_verdict(d: Mapping[str, Any]) -> str:
    """``met``, ``LATE by 55 min`` (done after its target: never "met"), or ``""`` (no target,
    or not done yet)."""
    if d["met"]:
        return "met"
    if d.get("late_seconds") is not None:
        return f"LATE by {human_duration(timedelta(seconds=d['late_seconds']))}"
    return ""


def _hm(iso: str) -> str:
    return iso[11:16]  # HH:MM of an ISO time in UTC


def cadence_line(review: Mapping[str, Any]) -> str:
    """The update cadence in one line: updates sent, windows kept and missed, and the longest
    gap between updates with its start and end (``14:45–16:10 UTC``)."""
    c = review["cadence"]
    every = human_duration(timedelta(seconds=c["every_seconds"]))
    if not c["updates"]:
        return f"no status update sent (promised every {every})"
    judged = c["kept"] + c["missed"]
    text = f"{c['updates']} status update{'s' * (c['updates'] != 1)}; every {every}: "
    text += f"{c['kept']} of {judged} windows kept" if judged else "no window closed yet"
    if c["missed"]:
        text += f", {c['missed']} MISSED"
    gap = c["longest_gap"]
    if gap is not None:
        length = human_duration(timedelta(seconds=gap["gap_seconds"]))
        text += f"; longest gap {_hm(gap['start'])}–{_hm(gap['end'])} UTC ({length})"
    return text
