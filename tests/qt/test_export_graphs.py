"""HTML exports carry the review's graphs as PNGs drawn offscreen from stored samples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.export import incident_document, render
from stratus_commander.incident import Incidents
from stratus_commander.qt.review.export_graphs import render_graphs
from stratus_commander.qt.review.view import ReviewView
from stratus_commander.runbook import Runbook

from .conftest import ARun
from .graph_images import assert_graph, decoded_images
from .review_data import reviewed_incident


def test_html_export_embeds_png_graphs_from_stored_samples(
    qapp, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    iid = reviewed_incident(incidents, runbook)
    html = render(incidents, runbook, iid, "html", render_graphs(incidents.store.path))
    ((alt, image, size),) = decoded_images(html)
    assert_graph(alt, image, size, f"INC-{iid}")
    assert image.save(str(tmp_path / "export-graph.png"))
    (tmp_path / "inc.html").write_text(html)

    # Without samples in the window there is nothing to draw: no image, no error.
    other = incidents.declare("No probes configured", "Minor").id
    assert render_graphs(incidents.store.path)(incident_document(incidents, runbook, other)) == []


def test_cli_html_export_includes_graphs_from_a_copied_file(
    qapp, incidents: Incidents, runbook: Runbook, tmp_path: Path
) -> None:
    iid = reviewed_incident(incidents, runbook)
    incidents.store.close()
    copy = tmp_path / "copy.db"
    shutil.copy(incidents.store.path, copy)
    out = tmp_path / "export.html"
    result = CliRunner().invoke(
        main,
        ["--db", str(copy), "incidents", "export", str(iid), "--format", "html", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    ((alt, image, size),) = decoded_images(out.read_text())
    assert_graph(alt, image, size, f"INC-{iid}")


def test_a_command_line_export_with_no_display_still_draws_the_graphs(
    incidents: Incidents, runbook: Runbook, tmp_path: Path
) -> None:
    """No QApplication and no display (ssh, cron): the export makes an offscreen one."""
    iid = reviewed_incident(incidents, runbook)
    incidents.store.close()
    out = tmp_path / "export.html"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    args = ["--db", str(incidents.store.path), "incidents", "export", str(iid), "--format", "html"]
    done = subprocess.run(
        [sys.executable, "-m", "stratus_commander", *args, "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    ((alt, image, size),) = decoded_images(out.read_text())
    assert_graph(alt, image, size, f"INC-{iid}")


def test_the_views_export_draws_the_graphs_it_shows(
    qtbot, arun: ARun, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    iid = reviewed_incident(incidents, runbook)
    view = ReviewView(incidents.store.path, runbook, clock, iid, read_only=True)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.review is not None and view.replay is not None, timeout=10_000)
    out = tmp_path / "from-view.html"
    assert arun(view.export_to(out, "html"))
    ((alt, image, size),) = decoded_images(out.read_text())
    assert_graph(alt, image, size, f"INC-{iid}")
