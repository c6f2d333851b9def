"""Exports of an incident and its review: JSON (complete, machine-readable), Markdown and
self-contained HTML (for people).

:func:`incident_document` builds the one plain-data document every format renders (its parts and
JSON Schema: :mod:`stratus_commander.export_schema`). Every string of the document passes the
secret redaction filter before any format sees it, and the export states whether the timeline's
hash chain verified and whether the stored review and credits still match the digests the
timeline recorded.

HTML embeds its graphs as PNG data URIs. Drawing them needs Qt, so the core takes a
``render_graphs(doc) -> [(title, png_bytes), ...]`` callable (the Qt layer supplies one, e.g. a
``functools.partial`` over the store); without it the HTML shows the uptime tables only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Environment

from stratus_commander import __version__
from stratus_commander.clock import to_iso
from stratus_commander.incident import Incidents
from stratus_commander.incident.comms import md_escape
from stratus_commander.incident.deadlines import clocks
from stratus_commander.runbook import Runbook
from stratus_commander.secrets import redact, redact_data
from stratus_commander.text import for_terminal, json_for_terminal

__all__ = ["FORMATS", "FORMAT_ID", "GraphRenderer", "incident_document", "render"]

FORMATS = ("md", "html", "json")
#: /2: credits and the review's monthly uptime are per month (an outage across a month end owes
#: a credit in each month): ``credits.months[]`` and ``review.uptime.months{YYYY-MM}``.
FORMAT_ID = "stratus-commander-incident/2"
GraphRenderer = Callable[[Mapping[str, Any]], list[tuple[str, bytes]]]
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def incident_document(incidents: Incidents, runbook: Runbook, incident_id: int) -> dict[str, Any]:
    """The whole incident and its review as plain data: the one source for every format."""
    from stratus_commander.review import build_review, list_learnings

    incident = incidents.get(incident_id)
    now = incidents.clock.now()
    review = build_review(incidents, runbook, incident_id, now)
    check = review.chain
    doc = {
        "format": FORMAT_ID,
        "exported_at": to_iso(now),
        "app_version": __version__,
        "incident": incident.as_json(),
        "clocks": [
            {
                "id": r.id,
                "label": r.label,
                "state": r.state.value,
                "due_at": to_iso(r.due_at) if r.due_at else None,
                "met_at": to_iso(r.met_at) if r.met_at else None,
                "met_late": r.met_late,
            }
            for r in clocks(incident, runbook, now)
        ],
        "timeline": [e.as_json() for e in incidents.events(incident_id)],
        "review": review.as_json(),
        "credits": review.credits.as_json() if review.credits else None,
        "learnings": [
            item.as_json()
            for item in list_learnings(incidents.store)
            if item.incident_id == incident_id
        ],
        "integrity": {
            "verified": check.ok,
            "events": check.checked,
            "broken_at": check.broken_at,
            "reason": check.reason,
            "head_hash": incident.head_hash,
            "records_match": not review.record_problems,
            "record_problems": list(review.record_problems),
        },
    }
    return redact_data(doc)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- Markdown


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


def _verdict(integrity: Mapping[str, Any]) -> str:
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


def _uptime_rows(review: Mapping[str, Any]) -> list[list[Any]]:
    rows = []
    uptime = review["uptime"]
    for scope in (uptime["window"], *uptime["months"].values()):
        for group, u in scope.items():
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


# Uptime = 100 − 100 × down / (period − maintenance): the columns a reader needs to check it, and
# how many of its minutes had no sample (counted as available).
_UPTIME_HEAD = [
    "Period",
    "Group",
    "Uptime",
    "Down min",
    "Period min",
    "Maintenance min",
    "Unobserved min",
]


def _totals(credits: Mapping[str, Any]) -> str:
    return ", ".join(f"{c} {v}" for c, v in credits["totals"].items()) or "—"


def _markdown(doc: Mapping[str, Any]) -> str:
    # Every value from the document goes through _text/_cell (md_escape): a title such as
    # "<b>API</b> *down*" or a note holding "<script>" must read as typed, not as markup.
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
                (c["met_at"] or "—") + (" (late)" * c["met_late"]),
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
                _Md(_cell(d["target_text"]) + {True: " ✓", False: " ✗", None: ""}[d["met"]]),
                d["definition"],
            ]
            for d in review["durations"]
        ],
    )
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
    lines += _table(_UPTIME_HEAD, _uptime_rows(review))
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
                lines += ["", f"{_text(month['month_label'])}: {_text(_totals(month))}", ""]
        if lines[-1]:
            lines.append("")
        lines.append(f"**Total credited:** {_text(_totals(credits))}")
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
    lines += ["", "## Integrity", "", _verdict(doc["integrity"]), ""]
    lines.append(f"_Exported {doc['exported_at']} by Stratus Commander {doc['app_version']}._")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- HTML

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ inc.label }}: {{ inc.title }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.bad { color: #b00020; font-weight: bold; }
.overdue td { background: #fde7e9; }
figure { margin: 1em 0; } img { max-width: 100%; }
</style>
</head>
<body>
<h1>{{ inc.label }}: {{ inc.title }}</h1>
<section id="summary"><h2>Summary</h2>
<table>
<tr><th>Status</th><td>{{ inc.status }}{% if inc.drill %} (drill){% endif %}</td></tr>
<tr><th>Impact</th><td>{{ inc.impact }}</td></tr>
<tr><th>Scope</th><td>{{ inc.scope | join(", ") or "—" }}</td></tr>
<tr><th>Affected services</th><td>{{ inc.affected_services | join(", ") or "—" }}</td></tr>
<tr><th>Detected</th><td>{{ inc.detected_at }}</td></tr>
<tr><th>Declared</th><td>{{ inc.declared_at }}</td></tr>
<tr><th>Resolved</th><td>{{ inc.resolved_at or "—" }}</td></tr>
<tr><th>Closed</th><td>{{ inc.closed_at or "—" }}</td></tr>
<tr><th>Review due</th><td{% if review.deadline_state == "overdue" %} class="bad"{% endif %}>
{{ review.deadline or "—" }} ({{ review.deadline_state }})</td></tr>
</table></section>
<section id="clocks"><h2>Clocks</h2>
<table><tr><th>Clock</th><th>State</th><th>Due</th><th>Met</th></tr>
{% for c in doc.clocks %}<tr><td>{{ c.label }}</td><td>{{ c.state }}</td>
<td>{{ c.due_at or "—" }}</td>
<td>{{ c.met_at or "—" }}{% if c.met_late %} <span class="bad">(late)</span>{% endif %}</td></tr>
{% endfor %}</table></section>
<section id="durations"><h2>Durations</h2>
<table><tr><th>Measure</th><th>Value</th><th>Target</th><th>Definition</th></tr>
{% for d in review.durations %}<tr><td>{{ d.label }}{% if d.impossible %}
<span class="bad">impossible</span>{% endif %}</td><td>{{ d.text }}</td>
<td>{% if d.target_text %}{{ d.target_text }}{% if d.met is false %}
<span class="bad">missed</span>{% endif %}{% else %}—{% endif %}</td><td>{{ d.definition }}</td>
</tr>
{% endfor %}</table>
{% if review.order_problems %}<p class="bad">Impossible order:</p><ul>
{% for p in review.order_problems %}<li class="bad">{{ p.message }}</li>{% endfor %}</ul>{% endif %}
<h3>Milestones</h3>
<table><tr><th>Time (UTC)</th><th>Kind</th><th>Milestone</th></tr>
{% for m in review.milestones %}<tr><td>{{ m.at }}</td><td>{{ m.category }}</td>
<td>{{ m.label }}</td></tr>
{% endfor %}</table></section>
<section id="rca"><h2>Root cause analysis</h2>
{% if review.close %}<dl>{% for item in review.rca %}<dt>{{ item.question }}</dt>
<dd>{{ item.answer or "—" }}</dd>{% endfor %}
<dt>Fix applied</dt><dd>{{ review.close.fix_applied or "—" }}</dd></dl>
<table><tr><th>Fix checklist</th><th>State</th></tr>
{% for key, state in review.close.checklist.items() %}<tr><td>{{ key }}</td>
<td>{{ state | replace("_", " ") }}</td></tr>
{% endfor %}</table>{% else %}<p>Not written yet (the incident is not closed).</p>{% endif %}
</section>
<section id="impact"><h2>Impact</h2>
<table>
<tr><th>Affected users</th>
<td>{{ review.impact.affected_users if review.impact.affected_users is not none else "—" }}</td>
</tr>
<tr><th>Financial impact</th><td>{{ review.impact.financial_impact or "—" }}</td></tr>
<tr><th>Reputation</th><td>{{ review.impact.reputation or "—" }}</td></tr>
<tr><th>Service credits issued</th><td>{{ review.impact.credits_issued }}</td></tr>
</table></section>
<section id="uptime"><h2>Uptime</h2>
<table><tr>{% for h in uptime_head %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in uptime_rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% for title, uri in graphs %}
<figure><img src="{{ uri }}" alt="{{ title }}"><figcaption>{{ title }}</figcaption></figure>
{% endfor %}</section>
<section id="credits"><h2>Service credits</h2>
{% if credits %}{% for month in credits.months %}
{% if credits.months | length > 1 %}<h3>{{ month.month_label }}</h3>{% endif %}
<p>{{ month.month_label }}; ladder
{% for s in month.ladder %}&lt;{{ s.below }} % → {{ s.credit }} %{% if not loop.last %}
, {% endif %}{% endfor %}.</p>
<table><tr><th>Account</th><th>Name</th><th>Uptime</th><th>Credit %</th><th>Credit</th>
<th>Calculation</th></tr>
{% for a in month.accounts %}<tr><td>{{ a.account_id }}</td><td>{{ a.name }}</td>
<td>{{ a.uptime.uptime_percent or "n/a" }} %</td><td>{{ a.credit_percent }}</td>
<td>{{ a.currency }} {{ a.amount }}</td><td>{{ a.explanation }}</td></tr>
{% endfor %}</table>
{% if credits.months | length > 1 %}<p>{{ month.month_label }}: {{ totals(month) }}</p>
{% endif %}{% endfor %}
<p>Total credited: {{ totals(credits) }}</p>
{% else %}<p>Not calculated.</p>{% endif %}</section>
<section id="action-items"><h2>Action items</h2>
{% if review.action_items %}<table><tr><th>#</th><th>Category</th><th>Action</th><th>Owner</th>
<th>Deadline</th><th>Status</th></tr>
{% for i in review.action_items %}<tr{% if i.overdue %} class="overdue"{% endif %}
><td>{{ i.id }}</td><td>{{ i.category }}</td>
<td>{{ i.text }}</td><td>{{ i.owner or "—" }}</td><td>{{ i.deadline or "—" }}</td>
<td>{% if i.overdue %}<span class="bad">OVERDUE</span>{% else %}{{ i.status }}{% endif %}</td></tr>
{% endfor %}</table>{% else %}<p>None recorded.</p>{% endif %}
<p>Follow-up meeting: {{ review.follow_up.meeting_at or "not scheduled" }};
{{ review.follow_up.done }} of {{ review.follow_up.total }} action items done.</p></section>
{% if doc.learnings %}<section id="learnings"><h2>Lessons for the runbook</h2><ul>
{% for x in doc.learnings %}<li><code>{{ x.step }}</code>: {{ x.text }}</li>{% endfor %}
</ul></section>{% endif %}
<section id="timeline"><h2>Timeline</h2>
<table><tr><th>Time (UTC)</th><th>Event</th><th>By</th><th>Detail</th></tr>
{% for e in doc.timeline %}<tr><td>{{ e.at }}</td><td>{{ e.kind }}</td><td>{{ e.actor }}</td>
<td>{{ e.text }}</td></tr>
{% endfor %}</table></section>
<section id="integrity"><h2>Integrity</h2>
<p{% if not doc.integrity.verified or not doc.integrity.records_match %} class="bad"{% endif %}
>{{ verdict }}</p></section>
<footer><p><em>Exported {{ doc.exported_at }} by Stratus Commander {{ doc.app_version }}.</em></p>
</footer>
</body>
</html>
"""

_ENV = Environment(autoescape=True, trim_blocks=False)


def _png_uri(title: str, data: bytes) -> str:
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError(f"graph {title!r} is not a PNG image")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _html(doc: Mapping[str, Any], render_graphs: GraphRenderer | None) -> str:
    graphs = [
        (redact(t), _png_uri(t, png)) for t, png in (render_graphs(doc) if render_graphs else [])
    ]
    return _ENV.from_string(_HTML).render(
        doc=doc,
        inc=doc["incident"],
        review=doc["review"],
        credits=doc["credits"],
        uptime_head=_UPTIME_HEAD,
        uptime_rows=_uptime_rows(doc["review"]),
        graphs=graphs,
        totals=_totals,
        verdict=_verdict(doc["integrity"]).replace("**", "").replace("`", ""),
    )


def render(
    incidents: Incidents,
    runbook: Runbook,
    incident_id: int,
    fmt: str,
    render_graphs: GraphRenderer | None = None,
) -> str:
    """The incident exported as ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        from stratus_commander.errors import InputError

        raise InputError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})", where="--format")
    doc = incident_document(incidents, runbook, incident_id)
    # Stored text is escaped in the document, wherever it goes (a file someone will `cat`, or a
    # terminal): control and bidi characters read as \x1b / \u202e; JSON keeps the same values.
    if fmt == "json":
        return json_for_terminal(redact(json.dumps(doc, indent=2, ensure_ascii=False) + "\n"))
    if fmt == "md":
        return for_terminal(redact(_markdown(doc)), multiline=True)
    return for_terminal(_html(doc, render_graphs), multiline=True)
