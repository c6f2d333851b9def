"""The export as a file: :func:`render` reads the incident's document once and hands it to the
renderer of the format asked for. The CLI (``incidents export``) and the review desk call it.
"""

from __future__ import annotations

from stratus_commander.errors import InputError
from stratus_commander.export.document import incident_document
from stratus_commander.export.html import GraphRenderer, html
from stratus_commander.export.json import json_text
from stratus_commander.export.markdown import markdown
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook
from stratus_commander.secrets import redact
from stratus_commander.text import for_terminal, json_for_terminal

__all__ = ["FORMATS", "render"]

FORMATS = ("md", "html", "json")


def render(
    incidents: Incidents,
    runbook: Runbook,
    incident_id: int,
    fmt: str,
    render_graphs: GraphRenderer | None = None,
) -> str:
    """The incident exported as ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})", where="--format")
    doc = incident_document(incidents, runbook, incident_id)
    # Stored text is escaped in the document, wherever it goes (a file someone will `cat`, or a
    # terminal): control and bidi characters read as \x1b / \u202e; JSON keeps the same values.
    if fmt == "json":
        return json_for_terminal(redact(json_text(doc)))
    if fmt == "md":
        return for_terminal(redact(markdown(doc)), multiline=True)
    return for_terminal(html(doc, render_graphs), multiline=True)
