"""The HTML export's graphs: the review's replayed graphs drawn offscreen into PNG bytes.

:func:`render_graphs` gives :func:`stratus_commander.export.render` its ``render_graphs(doc)``
callable: it reads the incident's samples from the database file (bucketed in SQL by
:func:`stratus_commander.probes.series.graph_series`), draws :class:`ReplayGraphs` offscreen and
grabs
it. Drawing needs a ``QApplication``; from the command line, where none exists, one is created on
the offscreen platform (no display needed, whatever ``QT_QPA_PLATFORM`` says).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stratus_commander.clock import from_iso
from stratus_commander.export import GraphRenderer
from stratus_commander.qt.application import ensure_app
from stratus_commander.qt.panel_kit import local
from stratus_commander.qt.review.charts import png_of
from stratus_commander.qt.review.graphs import (
    ReplayData,
    ReplayGraphs,
    incident_markers,
    read_replay,
)
from stratus_commander.store import as_location, open_store

__all__ = ["GRAPH_SIZE", "render_graphs", "render_replay"]

GRAPH_SIZE = (1200, 620)  # pixels: readable on a laptop screen and in print


def render_replay(replay: ReplayData) -> list[tuple[str, bytes]]:
    """``[(title, png)]`` of the replayed graphs; empty when no samples were stored."""
    if not replay.series:
        return []
    ensure_app(offscreen=True)
    widget = ReplayGraphs()
    try:
        widget.resize(*GRAPH_SIZE)
        widget.show_series(replay.series, replay.window, incident_markers(replay.incident))
        png = png_of(widget)
    finally:
        widget.deleteLater()
    start, end = replay.window
    title = (
        f"{replay.incident.label}: probe latency and status by group, "
        f"{local(start, date=True)} – {local(end, date=True)} "
        f"({len(replay.series)} probes, replayed from stored samples)"
    )
    return [(title, png)]


def render_graphs(store_path: Path | str) -> GraphRenderer:
    """A ``render_graphs(doc)`` for :func:`stratus_commander.export.render` that reads the
    samples from ``store_path`` (a connection of its own, closed after each call)."""
    path = as_location(store_path)  # a file, or a postgresql:// URL

    def render_from_store(doc: Mapping[str, Any]) -> list[tuple[str, bytes]]:
        with open_store(path, create=False, readonly=True) as store:  # export only reads
            replay = read_replay(store, int(doc["incident"]["id"]), from_iso(doc["exported_at"]))
        return render_replay(replay)

    return render_from_store
