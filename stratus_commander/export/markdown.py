"""The Markdown export: the document as headed sections, tables and lists, for people.

Every value from the document is escaped as in the Markdown status messages
(:func:`~stratus_commander.incident.comms.md_escape`): a title such as ``<b>API</b> *down*`` or a
note holding ``<script>`` reads as typed, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus_commander.export.sections import (
    UPTIME_HEAD,
    cadence_line,
    duration_verdict,
    totals,
    uptime_rows,
    verdict,
)
from stratus_commander.incident.comms import md_escape

__all__ = ["markdown"]


class _Md(str):
    """Markdown we wrote ourselves (``**OVERDUE**``): put in as it is, never escaped."""


def _text(value: Any) -> str:
    """A value of the document (a title, a note, a name: anyone's words) as literal Markdown on
    one line: a newline in it would end the list item or table row it sits in."""
    if isinstance(value, _Md):
        return value
    return md_escape(" ".join(str(value).splitlines()))


def _cell(text: Any) -> str:
    return "—" if text is None or text == "" else _text(text)


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _verdict_mark(d: Mapping[str, Any]) -> str:
    """`` ✓`` on time, `` ⏱ **LATE by 55 min**``, or nothing."""
    said = duration_verdict(d)
    if not said:
        return ""
    return " ✓" if said == "met" else f" ⏱ **{_text(said)}**"


def markdown(doc: Mapping[str, Any]) -> str:
    """The document as Markdown (its values escaped: they read as typed, never as markup)."""
    # Every value from the document goes through _text/_cell (md_escape).
    inc, review, credits = doc["incident"], doc["review"], doc["credits"]
    lines = [
        f"# {_text(inc['label'])}: {_text(inc['title'])}",
        "",
        "## Summary",
        "",
        f"- **Status:** {_text(inc['status'])}" + (" (drill)" if inc["drill"] else ""),
        f"- **Impact:** {_text(inc['impact'])}",
        f"- **Scope:** {_cell(', '.join(inc['scope']))}",
        f"- **Affected services:** {_cell(', '.join(inc['affected_services']))}",
        f"- **Detected:** {inc['detected_at']}",
        f"- **Declared:** {inc['declared_at']}",
        f"- **Resolved:** {inc['resolved_at'] or '—'}",
        f"- **Closed:** {inc['closed_at'] or '—'}",
        f"- **Review due:** {review['deadline'] or '—'} ({review['deadline_state']})",
        "",
        "## Clocks",
        "",
    ]
    lines += _table(
        ["Clock", "State", "Due", "Met"],
        [
            [
                c["label"],
                c["state"],
                c["due_at"],
                _Md(_text(c["met_at"] or "—") + (" **LATE**" * c["met_late"])),
            ]
            for c in doc["clocks"]
        ],
    )
    lines += ["", "## Durations", ""]
    lines += _table(
        ["Measure", "Value", "Target", "Definition"],
        [
            [
                _Md(_text(d["label"]) + (" ⚠ impossible" if d["impossible"] else "")),
                d["text"],
                _Md(_cell(d["target_text"]) + _verdict_mark(d)),
                d["definition"],
            ]
            for d in review["durations"]
        ],
    )
    lines += ["", f"**Update cadence:** {_text(cadence_line(review))}"]
    if review["order_problems"]:
        lines += ["", "**Impossible order:**", ""]
        lines += [f"- {_text(p['message'])}" for p in review["order_problems"]]
    lines += ["", "## Milestones", ""]
    lines += _table(
        ["Time (UTC)", "Kind", "Milestone"],
        [[m["at"], m["category"], m["label"]] for m in review["milestones"]],
    )
    lines += ["", "## Root cause analysis", ""]
    close = review["close"]
    if close is None:
        lines.append("_Not written yet (the incident is not closed)._")
    else:
        for item in review["rca"]:
            # An answer is a paragraph of its own: its lines are kept, each escaped.
            lines += [f"**{_text(item['question'])}**", "", md_escape(item["answer"]) or "—", ""]
        lines += [f"**Fix applied:** {_cell(close['fix_applied'])}", ""]
        lines += [
            f"- {_text(k)}: {_text(v.replace('_', ' '))}" for k, v in close["checklist"].items()
        ]
    impact = review["impact"]
    lines += [
        "",
        "## Impact",
        "",
        f"- **Affected users:** {_cell(impact['affected_users'])}",
        f"- **Financial impact:** {_cell(impact['financial_impact'])}",
        f"- **Reputation:** {_cell(impact['reputation'])}",
        f"- **Service credits issued:** {_text(impact['credits_issued'])}",
        "",
        "## Uptime",
        "",
    ]
    lines += _table(UPTIME_HEAD, uptime_rows(review))
    lines += ["", "## Service credits", ""]
    if credits is None:
        lines.append("_Not calculated._")
    else:
        # A table per month (an outage across a month end owes a credit in each), then the total.
        for month in credits["months"]:
            ladder = ", ".join(f"<{s['below']} % → {s['credit']} %" for s in month["ladder"])
            if len(credits["months"]) > 1:
                lines += [f"### {_text(month['month_label'])}", ""]
            lines += [f"{_text(month['month_label'])}; ladder {_text(ladder)}.", ""]
            lines += _table(
                ["Account", "Name", "Uptime", "Credit %", "Credit", "Calculation"],
                [
                    [
                        a["account_id"],
                        a["name"],
                        f"{a['uptime']['uptime_percent'] or 'n/a'} %",
                        a["credit_percent"],
                        f"{a['currency']} {a['amount']}",
                        a["explanation"],
                    ]
                    for a in month["accounts"]
                ],
            )
            if len(credits["months"]) > 1:
                lines += ["", f"{_text(month['month_label'])}: {_text(totals(month))}", ""]
        if lines[-1]:
            lines.append("")
        lines.append(f"**Total credited:** {_text(totals(credits))}")
    lines += ["", "## Action items", ""]
    if review["action_items"]:
        lines += _table(
            ["#", "Category", "Action", "Owner", "Deadline", "Status"],
            [
                [
                    i["id"],
                    i["category"],
                    i["text"],
                    i["owner"],
                    i["deadline"],
                    _Md("**OVERDUE**") if i.get("overdue") else i["status"],
                ]
                for i in review["action_items"]
            ],
        )
    else:
        lines.append("_None recorded._")
    follow = review["follow_up"]
    lines += [
        "",
        f"**Follow-up meeting:** {_text(follow['meeting_at'] or 'not scheduled')}; "
        f"{follow['done']} of {follow['total']} action items done.",
    ]
    if doc["learnings"]:
        lines += ["", "## Lessons for the runbook", ""]
        lines += [f"- `{x['step']}`: {_text(x['text'])}" for x in doc["learnings"]]
    lines += ["", "## Timeline", ""]
    lines += _table(
        ["Time (UTC)", "Event", "By", "Detail"],
        [[e["at"], e["kind"], e["actor"], e["text"]] for e in doc["timeline"]],
    )
    lines += ["", "## Integrity", "", verdict(doc["integrity"]), ""]
    lines.append(f"_Exported {doc['exported_at']} by Stratus Commander {doc['app_version']}._")
    return "\n".join(lines) + "\n"
