"""Late is not met: issue 15's incident (last update 14:45, resolved 16:10) reads LATE in
``incidents show``, in the review and in every export, and its update cadence names the gap."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stratus_commander.export.schema import ExportDocument
from tests.late_example import cli, record_late_incident


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("late")
    path = work / "incidents.db"
    record_late_incident(path, work)
    return path


def test_show_reads_late_and_by_how_much(db: Path) -> None:
    shown = json.loads(cli(db, "incidents", "show", "1", "--json"))
    states = {c["id"]: c["state"] for c in shown["clocks"]}
    assert states == {
        "declare": "met",
        "triage": "met",
        "communicate": "met",
        "escalate": "met",
        "next_update": "late",  # due 15:15, met by the resolution at 16:10
        "pir": "late",  # completed two weeks after the resolution
    }
    nxt = next(c for c in shown["clocks"] if c["id"] == "next_update")
    assert nxt["late_s"] == 55 * 60 and nxt["met_late"]
    assert shown["cadence"]["missed"] == 1

    text = cli(db, "incidents", "show", "1")
    line = next(x for x in text.splitlines() if x.strip().startswith("NEXT UPDATE"))
    assert re.search(r"NEXT UPDATE +late +\+55:00 .*met .*16:10:00\+00:00, 55:00 LATE$", line)
    assert "met +55:00" not in text  # the reading, green "met" with a "(late)"
    assert (
        "Update cadence: 1 status update; every 30\xa0min: 0 of 1 windows kept, 1 MISSED; "
        "longest gap 14:45–16:10 (1\xa0h 25\xa0min) (UTC)"
    ) in text


def test_review_counts_late_as_missed_and_names_the_cadence_gap(db: Path) -> None:
    review = json.loads(cli(db, "incidents", "review", "1", "--json"))
    assert review["deadline_state"] == "done late"
    by_id = {d["id"]: d for d in review["durations"]}
    assert by_id["review"]["met"] is False and by_id["review"]["late_seconds"] > 0
    assert by_id["triage"]["met"] is True and by_id["triage"]["late_seconds"] is None
    cadence = review["cadence"]
    assert (cadence["updates"], cadence["kept"], cadence["missed"]) == (1, 0, 1)
    gap = cadence["longest_gap"]
    assert (gap["start"][11:16], gap["end"][11:16], gap["late_seconds"]) == ("14:45", "16:10", 3300)

    text = cli(db, "incidents", "review", "1")
    assert re.search(r"Time to review .* target 48\xa0h +LATE by \d+\xa0d", text)
    assert re.search(r"Time to triage .* target 10\xa0min +met", text)
    assert (
        "Update cadence        1 status update; every 30\xa0min: 0 of 1 windows kept, 1 MISSED; "
        "longest gap 14:45–16:10 UTC (1\xa0h 25\xa0min)"
    ) in text


def test_every_export_says_late_and_the_cadence(db: Path, tmp_path: Path) -> None:
    doc = json.loads(cli(db, "incidents", "export", "1", "--format", "json"))
    ExportDocument.model_validate_json(json.dumps(doc))
    assert doc["format"] == "stratus-commander-incident/3"
    assert {c["id"]: c["state"] for c in doc["clocks"]}["next_update"] == "late"
    assert doc["review"]["cadence"]["longest_gap"]["gap_seconds"] == 85 * 60

    md = cli(db, "incidents", "export", "1", "--format", "md")
    assert re.search(r"\| NEXT UPDATE \| late \| .* \*\*LATE\*\* \|", md)
    assert "⏱ **LATE by" in md
    assert "**Update cadence:** 1 status update" in md and "14:45–16:10 UTC" in md

    html = cli(db, "incidents", "export", "1", "--format", "html")
    assert '<span class="bad">LATE</span>' in html
    assert '<p id="cadence"><strong>Update cadence:</strong> 1 status update' in html
    assert "14:45–16:10 UTC" in html
