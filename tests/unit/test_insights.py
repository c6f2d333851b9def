"""Insights over 20 generated incidents (and two drills, tests/insights_kit.py): medians, worst
cases, clock shares and credits paid match the figures worked out by hand below; drills only when
asked; --since cuts by month."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.insights import insights, insights_text
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store
from tests.insights_kit import NOW, account, credit, twenty_incidents


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("insights") / "incidents.db"
    with open_store(path) as store:
        twenty_incidents(Incidents(store, FakeClock(NOW)))
    return path


def test_medians_worst_and_clock_shares_match_the_hand_computed(db: Path) -> None:
    with open_store(db) as store:
        data = insights(Incidents(store, FakeClock(NOW)), load_runbook())
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


def test_since_cuts_at_the_instant_and_after_everything_leaves_nothing(db: Path) -> None:
    with open_store(db) as store:
        incidents = Incidents(store, FakeClock(NOW))
        every = insights(incidents, load_runbook())
        october = [incidents.get(i) for i in every.months[0].incidents]
        # Since the fourth October detection, to the millisecond: it and the later ones.
        cut = insights(incidents, load_runbook(), since=october[3].detected_at)
        assert cut.months[0].incidents == every.months[0].incidents[3:]
        assert cut.months[1] == every.months[1]
        later = insights(incidents, load_runbook(), since=NOW + timedelta(days=1))
    assert later.months == ()
    assert insights_text(later, load_runbook()) == "No incidents (drills left out)."


def test_cli_json_since_and_drills(db: Path) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--db", str(db), "incidents", "insights", *args])
        assert result.exit_code == 0, result.stderr
        return result.stdout

    data = json.loads(run("--json", "--since", "2026-11-01T00:00:00Z"))
    assert [m["month"] for m in data["months"]] == ["2026-11"]
    assert json.loads(run("--json", "--since", "2026-11-01")) == data  # a date: its UTC day
    assert data["months"][0]["times"]["declare"]["median_seconds"] == 660
    with_drills = json.loads(run("--json", "--drills"))
    assert len(with_drills["months"][0]["incidents"]) == 12
    assert with_drills["months"][0]["by_impact"].keys() == {"Major", "Minor"}
    text = run()
    assert "2026-10: 10 incident(s) (Major 10)" in text
    assert "  Time to declare        median 5\xa0min 30\xa0s, worst 10\xa0min" in text
    assert "  DECLARE                5 on time, 5 late, 0 missed (of 10)" in text
    for given, said in (("May", "--since: 'May'"), ("2026-02-30", "--since: '2026-02-30' is not")):
        bad = CliRunner().invoke(main, ["--db", str(db), "incidents", "insights", "--since", given])
        assert bad.exit_code == 2 and said in bad.stderr


def test_credits_paid_per_currency_and_month_match_the_hand_computed(tmp_path: Path) -> None:
    runbook = load_runbook()
    with open_store(tmp_path / "incidents.db") as store:
        inc = Incidents(store, FakeClock(NOW))
        twenty_incidents(inc)
        # INC-1, 1 October 10:00, the API down 60 of October's 44,640 minutes: 99.8656 % is
        # below 99.9 %, a 10 % credit: USD 49.90 of 499.00 and EUR 20.00 of 200.00.
        credit(inc, runbook, 1, [account("acme", "499.00", "USD"), account("eu", "200", "EUR")])
        # INC-2, 2 October: 70 more minutes (130 in October, 99.7088 %): 10 % of GBP 1,250.00.
        credit(inc, runbook, 2, [account("jet", "1250.00", "GBP")])
        # INC-11, 1 November: 90 of November's 43,200 minutes (99.7917 %): 10 % of USD 499.00.
        credit(inc, runbook, 11, [account("acme", "499.00", "USD")])
        october, november = insights(inc, runbook).months
    assert october.credits == {
        "USD": Decimal("49.90"),
        "EUR": Decimal("20.00"),
        "GBP": Decimal("125.00"),
    }
    assert october.credited == (1, 2)
    assert october.credited_by == {"USD": (1,), "EUR": (1,), "GBP": (2,)}
    assert november.credits == {"USD": Decimal("49.90")} and november.credited == (11,)
    text = CliRunner().invoke(
        main, ["--db", str(tmp_path / "incidents.db"), "incidents", "insights", "--json"]
    )
    months = json.loads(text.stdout)["months"]
    assert [m["credits"] for m in months] == [
        {"USD": "49.90", "EUR": "20.00", "GBP": "125.00"},
        {"USD": "49.90"},
    ]
