"""Exports of an incident and its review: JSON (complete, machine-readable), Markdown and
self-contained HTML (for people), and the review as terminal text.

One document, one renderer per format::

    document.py   incident_document(): the incident, clocks, timeline, review, credits, lessons
                  and integrity as plain data, redacted (review_parts(): the part a review gives)
    schema.py     that document as pydantic models; document_schema() is their JSON Schema
    sections.py   what several formats read off it the same way (uptime rows, totals, verdict)
    markdown.py   markdown(doc)       html.py   html(doc, render_graphs)
    json.py       json_text(doc)      text.py   text(doc), review_text(review) for the CLI
    formats.py    render(): an incident as a file in one of FORMATS (the CLI and the review desk)

The schema is imported from :mod:`stratus_commander.export.schema` by whoever needs it: exporting
does not pay for building the models.
"""

from __future__ import annotations

from stratus_commander.export.document import FORMAT_ID, incident_document, review_parts
from stratus_commander.export.formats import FORMATS, render
from stratus_commander.export.html import GraphRenderer
from stratus_commander.export.text import review_text

__all__ = [
    "FORMATS",
    "FORMAT_ID",
    "GraphRenderer",
    "incident_document",
    "render",
    "review_parts",
    "review_text",
]
