"""Exports of an incident: JSON (complete, machine-readable) and Markdown (for people).

Everything exported has passed the secret redaction filter, and the export states whether the
timeline's hash chain verified.
"""

from __future__ import annotations

import json
from typing import Any

from stratus_commander import __version__
from stratus_commander.clock import to_iso
from stratus_commander.deadlines import clocks
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook
from stratus_commander.secrets import redact

FORMATS = ("json", "md")


def incident_document(incidents: Incidents, runbook: Runbook, incident_id: int) -> dict[str, Any]:
    """The whole incident as plain data: the one source for every export format."""
    incident = incidents.get(incident_id)
    check = incidents.verify(incident_id)
    now = incidents.clock.now()
    return {
        "format": "stratus-commander-incident/1",
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
        "integrity": {
            "verified": check.ok,
            "events": check.checked,
            "broken_at": check.broken_at,
            "reason": check.reason,
            "head_hash": incident.head_hash,
        },
    }


def _markdown(doc: dict[str, Any]) -> str:
    inc = doc["incident"]
    integrity = doc["integrity"]
    lines = [
        f"# {inc['label']}: {inc['title']}",
        "",
        f"- **Status:** {inc['status']}" + (" (drill)" if inc["drill"] else ""),
        f"- **Impact:** {inc['impact']}",
        f"- **Scope:** {', '.join(inc['scope']) or '—'}",
        f"- **Affected services:** {', '.join(inc['affected_services']) or '—'}",
        f"- **Detected:** {inc['detected_at']}",
        f"- **Declared:** {inc['declared_at']}",
        f"- **Resolved:** {inc['resolved_at'] or '—'}",
        "",
        "## Clocks",
        "",
        "| Clock | State | Due | Met |",
        "|---|---|---|---|",
    ]
    for c in doc["clocks"]:
        met = (c["met_at"] or "—") + (" (late)" if c["met_late"] else "")
        lines.append(f"| {c['label']} | {c['state']} | {c['due_at'] or '—'} | {met} |")
    lines += ["", "## Timeline", "", "| Time (UTC) | Event | By | Detail |", "|---|---|---|---|"]
    for e in doc["timeline"]:
        text = e["text"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {e['at']} | {e['kind']} | {e['actor']} | {text} |")
    verdict = (
        f"verified: {integrity['events']} events, head `{integrity['head_hash'][:16]}…`"
        if integrity["verified"]
        else f"**BROKEN** at event {integrity['broken_at']}: {integrity['reason']}"
    )
    lines += ["", "## Integrity", "", f"Hash chain {verdict}.", ""]
    lines.append(f"_Exported {doc['exported_at']} by Stratus Commander {doc['app_version']}._")
    return "\n".join(lines) + "\n"


def render(incidents: Incidents, runbook: Runbook, incident_id: int, fmt: str) -> str:
    doc = incident_document(incidents, runbook, incident_id)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else _markdown(doc)
    return redact(text)
