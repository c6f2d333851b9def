"""The HTML export of a read-only database: graphs drawn, not a byte written beside it."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.incident import Incidents
from stratus_commander.runbook import Runbook

from .graph_images import assert_graph, decoded_images
from .review_data import reviewed_incident


def test_cli_html_export_of_a_read_only_file_draws_its_graphs(
    qapp, incidents: Incidents, runbook: Runbook, tmp_path: Path
) -> None:
    iid = reviewed_incident(incidents, runbook)
    incidents.store.close()
    folder = tmp_path / "archive"
    folder.mkdir()
    archived = folder / "incidents.db"
    shutil.copy(incidents.store.path, archived)
    archived.chmod(0o444)  # honoured as root too: the store reads the mode bits
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "export.html"
    result = CliRunner().invoke(
        main,
        [
            "--db",
            str(archived),
            "incidents",
            "export",
            str(iid),
            "--format",
            "html",
            "-o",
            str(out),
        ],
    )
    gc.collect()
    assert result.exit_code == 0, result.output
    ((alt, image, size),) = decoded_images(out.read_text())
    assert_graph(alt, image, size, f"INC-{iid}")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
