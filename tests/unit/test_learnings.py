import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.clock import FakeClock
from stratus_commander.errors import InputError
from stratus_commander.incident import Incidents
from stratus_commander.review import learnings as lr
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import SqliteStore, open_store

T0 = datetime(2026, 11, 27, 9, 58, tzinfo=UTC)


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


@pytest.fixture
def inc() -> Incidents:
    return Incidents(SqliteStore.memory(), FakeClock(T0), actor="alice")


def test_every_runbook_step_has_a_dotted_id(runbook: Runbook) -> None:
    steps = lr.runbook_steps(runbook)
    assert steps["triage.database.db-pool"] == "Check for connection pool exhaustion"
    assert steps["mitigation.api.roll-back"] == "Roll back to last known good version"
    assert steps["playbooks.payment-processing-down.app-logs"] == (
        "Check application logs for errors"
    )
    assert steps["close.fix_implementation.improve-alerting"] == "Improve alerting"
    assert steps["communicate.status-investigating"] == 'Update incident status to "Investigating"'
    assert steps["escalation.critical"] == "Escalate Critical: CTO, Head of Engineering"
    assert next(iter(steps)) == "declare"  # runbook order


def test_step_references_resolve_or_explain(runbook: Runbook) -> None:
    assert lr.resolve_step(runbook, "db-pool") == "triage.database.db-pool"
    with pytest.raises(InputError) as info:
        lr.resolve_step(runbook, "app-logs")
    assert "ambiguous" in info.value.message
    assert "mitigation.api.app-logs" in info.value.message
    assert lr.resolve_step(runbook, " db-rls ") == "triage.database.db-rls"
    with pytest.raises(InputError, match=r"did you mean mitigation\.database\.pool-status"):
        lr.resolve_step(runbook, "pool-stat")
    with pytest.raises(InputError, match="not a step of the runbook"):
        lr.resolve_step(runbook, "warp-drive")


def test_lessons_attach_across_incidents_and_list_by_step(inc: Incidents, runbook: Runbook) -> None:
    first = inc.declare("DB pool exhausted", "Major").id
    inc.resolve(first)
    inc.clock.advance(hours=1)  # type: ignore[attr-defined]
    lesson = lr.add_learning(inc, runbook, first, "db-pool", "Alert at 80 % pool use")
    assert lesson.step == "triage.database.db-pool" and lesson.actor == "alice"
    second = inc.declare("Webhooks lagging", "Minor").id
    inc.clock.advance(days=2)  # type: ignore[attr-defined]
    lr.add_learning(inc, runbook, second, "mitigation.webhooks.replay-webhooks", "Script replays")
    lr.add_learning(inc, runbook, second, "triage.database.db-pool", "Pool size on the dashboard")
    events = inc.events(first, {"review"})
    assert events[-1].data["learning"]["step"] == "triage.database.db-pool"
    everything = lr.list_learnings(inc.store)
    assert [x.text for x in everything] == [
        "Alert at 80 % pool use",
        "Script replays",
        "Pool size on the dashboard",
    ]
    database = lr.list_learnings(inc.store, "triage.database")
    assert [x.incident_id for x in database] == [first, second]
    text = lr.format_learnings(everything, runbook)
    # Grouped by step in runbook order: triage comes before mitigation.
    assert text.index("triage.database.db-pool — Check for connection pool exhaustion") < (
        text.index("mitigation.webhooks.replay-webhooks")
    )
    assert f"INC-{first}" in text and "Alert at 80 % pool use" in text
    assert inc.search("dashboard")[0].id == second


def test_lessons_need_text(inc: Incidents, runbook: Runbook) -> None:
    iid = inc.declare("x", "Minor").id
    with pytest.raises(InputError, match="must not be empty"):
        lr.add_learning(inc, runbook, iid, "db-pool", "  ")
    assert lr.list_learnings(inc.store) == []


def test_runbook_learnings_command(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    with open_store(db) as store:
        inc = Incidents(store, FakeClock(T0 - timedelta(days=1)))
        iid = inc.declare("Stripe webhooks failing", "Major").id
        lr.add_learning(
            inc, load_runbook(), iid, "mitigation.webhooks.verify-signatures", "Rotate both ends"
        )
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db), "runbook", "learnings"])
    assert result.exit_code == 0
    assert "Rotate both ends" in result.stdout
    assert "mitigation.webhooks.verify-signatures" in result.stdout
    result = runner.invoke(main, ["--db", str(db), "runbook", "learnings", "--json"])
    assert json.loads(result.stdout)[0]["incident"] == f"INC-{iid}"
    result = runner.invoke(main, ["--db", str(db), "runbook", "learnings", "--steps"])
    assert "triage.database.db-pool" in result.stdout
