"""The review desk's export of the incident and its review (Markdown, HTML with graphs, JSON).

The document is read and rendered on a worker thread; only the graphs are drawn on the UI thread
(widgets live there), from the replay already on screen when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from stratus_commander.clock import Clock
from stratus_commander.export import GraphRenderer, render
from stratus_commander.fileio import atomic_write_text
from stratus_commander.incident import Incidents
from stratus_commander.qt.offthread import OffThread
from stratus_commander.qt.review.export_graphs import render_replay
from stratus_commander.qt.review.graphs import ReplayData, read_replay
from stratus_commander.runbook import Runbook
from stratus_commander.store import Store

__all__ = ["EXPORT_FILTERS", "choose_export", "export_incident"]

EXPORT_FILTERS = {"html": "HTML (*.html)", "md": "Markdown (*.md)", "json": "JSON (*.json)"}


def choose_export(parent: QWidget, label: str, chosen: Callable[[Path, str], object]) -> None:
    """Ask where to export (and as what); ``chosen(path, format)`` once the user has said."""
    dialog = QFileDialog(
        parent, "Export incident", f"{label}.html", ";;".join(EXPORT_FILTERS.values())
    )
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.fileSelected.connect(
        lambda path: chosen(Path(path), format_of(Path(path), dialog.selectedNameFilter()))
    )
    dialog.open()


def format_of(path: Path, name_filter: str) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in EXPORT_FILTERS:
        return suffix
    return next((f for f, label in EXPORT_FILTERS.items() if label == name_filter), "html")


async def export_incident(
    worker: OffThread,
    runbook: Runbook,
    clock: Clock,
    incident_id: int,
    path: Path,
    fmt: str,
    replay: ReplayData | None,
) -> None:
    """Write the incident and its review to ``path`` as ``fmt`` (md, html with graphs, json);
    raises what rendering or writing raised (StratusError, OSError)."""
    graphs: GraphRenderer | None = None
    if fmt == "html":
        if replay is None:  # the graphs tab has not loaded yet: read what it will show
            now = clock.now()
            replay = await worker.run(lambda store: read_replay(store, incident_id, now))
        pictures = render_replay(replay)  # the graphs on screen, drawn again offscreen
        graphs = lambda doc: pictures  # noqa: E731

    def write(store: Store) -> None:
        atomic_write_text(path, render(Incidents(store, clock), runbook, incident_id, fmt, graphs))

    await worker.run(write)
