"""The HTML export: one self-contained page (no link, script or remote image) for people.

A sandboxed Jinja template, autoescaped: every value of the document reads as typed. The graphs
are embedded as PNG data URIs. Drawing them needs Qt, so the core takes a
``render_graphs(doc) -> [(title, png_bytes), ...]`` callable (the Qt layer supplies one, e.g. a
``functools.partial`` over the store); without it the page shows the uptime tables only.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from stratus_commander.export.sections import (
    UPTIME_HEAD,
    cadence_line,
    duration_verdict,
    totals,
    uptime_rows,
    verdict,
)
from stratus_commander.secrets import redact

__all__ = ["GraphRenderer", "html"]

GraphRenderer = Callable[[Mapping[str, Any]], list[tuple[str, bytes]]]
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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
<td>{{ c.met_at or "—" }}{% if c.met_late %} <span class="bad">LATE</span>{% endif %}</td></tr>
{% endfor %}</table></section>
<section id="durations"><h2>Durations</h2>
<table><tr><th>Measure</th><th>Value</th><th>Target</th><th>Definition</th></tr>
{% for d in review.durations %}<tr><td>{{ d.label }}{% if d.impossible %}
<span class="bad">impossible</span>{% endif %}</td><td>{{ d.text }}</td>
<td>{% if d.target_text %}{{ d.target_text }}{% if d.late_seconds is not none %}
<span class="bad">{{ verdicts[loop.index0] }}</span>{% endif %}{% else %}—{% endif %}</td>
<td>{{ d.definition }}</td></tr>
{% endfor %}</table>
<p id="cadence"><strong>Update cadence:</strong> {{ cadence }}</p>
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

_ENV = SandboxedEnvironment(autoescape=True, trim_blocks=False)


def _png_uri(title: str, data: bytes) -> str:
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError(f"graph {title!r} is not a PNG image")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def html(doc: Mapping[str, Any], render_graphs: GraphRenderer | None = None) -> str:
    """The document as an HTML page, with the graphs ``render_graphs`` draws of it."""
    graphs = [
        (redact(t), _png_uri(t, png)) for t, png in (render_graphs(doc) if render_graphs else [])
    ]
    return _ENV.from_string(_HTML).render(
        doc=doc,
        inc=doc["incident"],
        review=doc["review"],
        credits=doc["credits"],
        uptime_head=UPTIME_HEAD,
        uptime_rows=uptime_rows(doc["review"]),
        graphs=graphs,
        totals=totals,
        verdict=verdict(doc["integrity"]).replace("**", "").replace("`", ""),
        verdicts=[duration_verdict(d) for d in doc["review"]["durations"]],
        cadence=cadence_line(doc["review"]),
    )
