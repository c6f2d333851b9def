"""HTML exports carry the review's graphs as PNGs drawn offscreen from stored samples."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from PySide6.QtGui import QImage

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.export import incident_document, render
from stratus_commander.incident import Incidents
from stratus_commander.qt.export_graphs import GRAPH_SIZE, render_graphs
from stratus_commander.qt.review.view import ReviewView
from stratus_commander.runbook import Runbook

from .conftest import ARun
from .review_data import reviewed_incident

PNG_URI = "data:image/png;base64,"


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, str]] = []  # (alt, src)
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append((a.get("alt") or "", a.get("src") or ""))
        if tag == "section":
            self.sections.append(a.get("id") or "")


def decoded_images(html: str) -> list[tuple[str, QImage, int]]:
    parser = Images()
    parser.feed(html)
    parser.close()
    assert "uptime" in parser.sections and "integrity" in parser.sections
    out = []
    for alt, src in parser.images:
        assert src.startswith(PNG_URI)
        data = base64.b64decode(src[len(PNG_URI) :], validate=True)
        image = QImage.fromData(data, "PNG")
        assert not image.isNull(), alt
        out.append((alt, image, len(data)))
    return out


def distinct_colours(image: QImage) -> int:
    """Colours on a sparse grid: a blank or one-colour image has one or two."""
    return len(
        {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    )


def assert_graph(alt: str, image: QImage, size: int, label: str) -> None:
    assert alt.startswith(f"{label}: probe latency and status by group")
    assert (image.width(), image.height()) == GRAPH_SIZE
    assert size > 20_000  # lines, lanes, labels: far from an empty canvas
    assert distinct_colours(image) > 20
    # The status lanes draw the outage in the theme's red.
    red = sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(image.height() // 2, image.height(), 3)
        if image.pixelColor(x, y).name() == "#b3261e"
    )
    assert red > 200


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
