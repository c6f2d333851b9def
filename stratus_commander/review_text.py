"""The post-incident review as plain text, for a terminal (``incidents review``).

One of the review's renderings beside the exports' Markdown, HTML and JSON and the cockpit's
review desk; it reads the same :class:`~stratus_commander.review.Review` they do and adds no
figure of its own. Stored text comes out as stored: the caller escapes it for the terminal.
"""

from __future__ import annotations

from stratus_commander.clock import to_iso
from stratus_commander.review import Review
from stratus_commander.timefmt import human_duration

__all__ = ["review_text"]


def review_text(review: Review) -> str:
    """The review, one section after another, without a trailing newline."""
    i = review.incident
    lines = [f"{i.label}  {i.title}  ({i.status}, {i.impact})"]
    due = to_iso(review.deadline) if review.deadline else "-"
    lines.append(f"Review due {due}: {review.deadline_state.upper()}")
    lines.append("Durations")
    for d in review.durations:
        target = f"target {human_duration(d.target)}" if d.target else ""
        verdict = {True: "met", False: "MISSED", None: ""}[d.met]
        flag = "IMPOSSIBLE" if d.impossible else verdict
        lines.append(f"  {d.label:<21} {human_duration(d.value):>10}  {target:<18} {flag}")
        lines.append(f"      {d.definition}")
    for p in review.order_problems:
        lines.append(f"IMPOSSIBLE ORDER: {p.message}")
    impact = review.impact
    users = "-" if impact.affected_users is None else str(impact.affected_users)
    lines += [
        "Impact",
        f"  affected users {users}; financial {impact.financial_impact or '-'}; "
        f"reputation {impact.reputation or '-'}",
        f"  credits issued: {review.credits_issued}",
        "Uptime",
    ]
    for scope in (review.window_uptime, *review.monthly_uptime.values()):
        lines += [f"  {u.describe()}" for u in scope.values()]
    lines.append("Root cause")
    for _, question, answer in review.rca:
        lines.append(f"  {question} {answer or '-'}")
    lines.append("Action items")
    for item in review.action_items:
        due_at = to_iso(item.deadline) if item.deadline else "no deadline"
        late = "  OVERDUE" if item.overdue(review.now) else ""
        lines.append(
            f"  #{item.id} [{item.category}] {item.text} — {item.owner or 'unassigned'}, "
            f"{due_at}, {item.status}{late}"
        )
    if not review.action_items:
        lines.append("  none")
    follow = review.follow_up
    meeting = to_iso(follow.meeting_at) if follow.meeting_at else "not scheduled"
    lines.append(f"Follow-up: meeting {meeting}; {follow.done}/{follow.total} items done")
    chain = review.chain
    lines.append(
        f"Integrity: hash chain {'verified' if chain.ok else 'BROKEN: ' + chain.reason} "
        f"({chain.checked} events)"
        + ("; " + "; ".join(review.record_problems) if review.record_problems else "")
    )
    return "\n".join(lines)
