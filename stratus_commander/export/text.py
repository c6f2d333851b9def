"""The post-incident review as plain text, for a terminal (``incidents review``).

It reads the same document as the Markdown, HTML and JSON exports (the ``incident``, ``review``
and ``integrity`` parts: :func:`~stratus_commander.export.document.review_parts`) and adds no
figure of its own. Stored text comes out as stored: the caller escapes it for the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from stratus_commander.credits.uptime import uptime_from_json
from stratus_commander.export.document import review_parts
from stratus_commander.export.sections import cadence_line, duration_verdict, uptime_scopes

if TYPE_CHECKING:
    from stratus_commander.review import Review

__all__ = ["review_text", "text"]


def review_text(review: Review, time: Callable[[str], str] = str) -> str:
    """The review, one section after another, without a trailing newline; ``time`` shows each
    stored time (an ISO-8601 string in UTC), by default as stored."""
    return text(review_parts(review), time)


def _describe(u: Mapping[str, Any]) -> str:
    """An uptime measurement of the document in the words of :meth:`Uptime.describe`."""
    return uptime_from_json(u).describe()


def text(doc: Mapping[str, Any], time: Callable[[str], str] = str) -> str:
    """The review part of ``doc`` (an export document, or :func:`review_parts`) as text, one
    section after another, without a trailing newline; ``time`` as in :func:`review_text`."""

    def maybe(iso: str | None, missing: str) -> str:
        return time(iso) if iso else missing

    i, review, integrity = doc["incident"], doc["review"], doc["integrity"]
    lines = [f"{i['label']}  {i['title']}  ({i['status']}, {i['impact']})"]
    lines.append(f"Review due {maybe(review['deadline'], '-')}: {review['deadline_state'].upper()}")
    lines.append("Durations")
    for d in review["durations"]:
        target = f"target {d['target_text']}" if d["target_text"] else ""
        flag = "IMPOSSIBLE" if d["impossible"] else duration_verdict(d)
        lines.append(f"  {d['label']:<21} {d['text']:>10}  {target:<18} {flag}")
        lines.append(f"      {d['definition']}")
    lines.append(f"  {'Update cadence':<21} {cadence_line(review)}")
    for p in review["order_problems"]:
        lines.append(f"IMPOSSIBLE ORDER: {p['message']}")
    impact = review["impact"]
    users = "-" if impact["affected_users"] is None else str(impact["affected_users"])
    lines += [
        "Impact",
        f"  affected users {users}; financial {impact['financial_impact'] or '-'}; "
        f"reputation {impact['reputation'] or '-'}",
        f"  credits issued: {impact['credits_issued']}",
        "Uptime",
    ]
    lines += [f"  {_describe(u)}" for _, u in uptime_scopes(review)]
    lines.append("Root cause")
    for item in review["rca"]:
        lines.append(f"  {item['question']} {item['answer'] or '-'}")
    lines.append("Action items")
    for item in review["action_items"]:
        late = "  OVERDUE" if item["overdue"] else ""
        lines.append(
            f"  #{item['id']} [{item['category']}] {item['text']} — "
            f"{item['owner'] or 'unassigned'}, {maybe(item['deadline'], 'no deadline')}, "
            f"{item['status']}{late}"
        )
    if not review["action_items"]:
        lines.append("  none")
    follow = review["follow_up"]
    meeting = maybe(follow["meeting_at"], "not scheduled")
    lines.append(f"Follow-up: meeting {meeting}; {follow['done']}/{follow['total']} items done")
    chain = "verified" if integrity["verified"] else "BROKEN: " + integrity["reason"]
    problems = integrity["record_problems"]
    lines.append(
        f"Integrity: hash chain {chain} ({integrity['events']} events)"
        + ("; " + "; ".join(problems) if problems else "")
    )
    return "\n".join(lines)
