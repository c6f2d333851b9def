"""Insights over 20 generated incidents (and two drills): medians, worst cases and clock shares
match the figures worked out by hand below; drills only when asked; --since cuts by month."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.insights import insights
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store

MIN = timedelta(minutes=1)


def record(inc: Incidents, detected: datetime, declare: int, triage: int, update: int,
           resolve: int, impact: str, drill: bool = False) -> int:  # fmt: skip
    """One incident; each figure in minutes (triage and the first update from the declaration,
    the declaration and the resolution from detection)."""
    declared = detected + declare * MIN
    i = inc.declare("Generated", impact, detected_at=detected, declared_at=declared, drill=drill)
    inc.decide(i.id, "internal", at=declared + triage * MIN)
    inc.send_update(i.id, "Investigating", at=declared + update * MIN)
    inc.resolve(i.id, at=detected + resolve * MIN)
    return i.id


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("insights") / "incidents.db"
    with open_store(path) as store:
        inc = Incidents(store, FakeClock(datetime(2026, 12, 1, tzinfo=UTC)))
        for k in range(10):  # October, Major: declare 1..10, triage 3..12, update 10..19 min
            day = datetime(2026, 10, k + 1, 10, tzinfo=UTC)
            record(inc, day, k + 1, k + 3, 10 + k, 60 + 10 * k, "Major")
        for k in range(10):  # November, Critical: declare 2, 4 … 20 min
            day = datetime(2026, 11, k + 1, 10, tzinfo=UTC)
            record(inc, day, 2 * (k + 1), 5, 12, 90, "Critical")
        for k in range(2):  # drills in October: left out unless asked for
            day = datetime(2026, 10, 20 + k, 10, tzinfo=UTC)
            record(inc, day, 30, 30, 30, 300, "Minor", drill=True)
    return path


def test_medians_worst_and_clock_shares_match_the_hand_computed(db: Path) -> None:
    with open_store(db) as store:
        data = insights(Incidents(store, FakeClock(datetime(2026, 12, 1, tzinfo=UTC))),
                        load_runbook())  # fmt: skip
    october, november = data.months
    assert (october.month, november.month) == ("2026-10", "2026-11")
    assert len(october.incidents) == len(november.incidents) == 10  # no drills
    t = october.times
    # 1..10 min: median 5.5 min; worst 10 min, the tenth incident.
    assert (t["declare"].median_s, t["declare"].worst_s) == (330, 600)
    assert t["declare"].worst_incident == october.incidents[-1]
    assert (t["triage"].median_s, t["triage"].worst_s) == (7.5 * 60, 12 * 60)
    assert (t["first_update"].median_s, t["first_update"].worst_s) == (14.5 * 60, 19 * 60)
    assert (t["resolve"].median_s, t["resolve"].worst_s) == (105 * 60, 150 * 60)
    assert (november.times["declare"].median_s, november.times["declare"].worst_s) == (660, 1200)
    # DECLARE due 5 min after detection: 1..5 on time (5 exactly is on time), 6..10 LATE.
    c = october.clocks
    assert {v: len(ids) for v, ids in c["declare"].items()} == {"on_time": 5, "late": 5}
    assert {v: len(ids) for v, ids in c["triage"].items()} == {"on_time": 8, "late": 2}
    assert {v: len(ids) for v, ids in c["communicate"].items()} == {"on_time": 6, "late": 4}
    assert october.share("communicate", "late") == 0.4
    # Resolved long after the update was due (update + 30 min): the cadence LATE every time.
    assert {v: len(ids) for v, ids in c["next_update"].items()} == {"late": 10}
    # Never escalated, resolved after the 15 min (Major): missed, not late.
    assert {v: len(ids) for v, ids in c["escalate"].items()} == {"missed": 10}
    assert {k: len(v) for k, v in october.by_impact.items()} == {"Major": 10}
    assert {k: len(v) for k, v in november.by_impact.items()} == {"Critical": 10}
    assert dict(october.credits) == {}


def test_cli_json_since_and_drills(db: Path) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--db", str(db), "incidents", "insights", *args])
        assert result.exit_code == 0, result.stderr
        return result.stdout

    data = json.loads(run("--json", "--since", "2026-11-01T00:00:00Z"))
    assert [m["month"] for m in data["months"]] == ["2026-11"]
    assert data["months"][0]["times"]["declare"]["median_seconds"] == 660
    with_drills = json.loads(run("--json", "--drills"))
    assert len(with_drills["months"][0]["incidents"]) == 12
    assert with_drills["months"][0]["by_impact"].keys() == {"Major", "Minor"}
    text = run()
    assert "2026-10: 10 incident(s) (Major 10)" in text
    assert "  Time to declare        median 5\xa0min 30\xa0s, worst 10\xa0min" in text
    assert "  DECLARE                5 on time, 5 late, 0 missed (of 10)" in text
    bad = CliRunner().invoke(main, ["--db", str(db), "incidents", "insights", "--since", "May"])
    assert bad.exit_code == 2 and "--since" in bad.stderr
