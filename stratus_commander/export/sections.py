"""What more than one format reads off the document the same way: the uptime measurements in
order, the uptime table, credit totals and the integrity verdict.

Each format lays these out its own way (a Markdown table, an HTML table, a line of terminal text);
the rows, figures and words come from here, so the formats cannot disagree on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["UPTIME_HEAD", "totals", "uptime_rows", "uptime_scopes", "verdict"]

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
