"""The Qt-free session: each part opened once, when first used, in the mode asked for; closed in
order; and layered under the command line and the cockpit, never the other way round."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import grimp
import pytest

from stratus_commander.actors import current_person
from stratus_commander.clock import FakeClock
from stratus_commander.errors import ConfigError, RunbookError, StoreError, StoreReadOnly
from stratus_commander.session import Access, Session, scenario_choices
from stratus_commander.store import open_store

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

CONFIG = """
[[probes]]
id = "api-health"
kind = "http"
check = "api"
url = "https://stratusconnect.example/api/health"
"""


def test_a_reading_session_creates_nothing_and_names_the_mistyped_file(tmp_path: Path) -> None:
    typo = tmp_path / "incidnets.db"
    with Session(typo, access=Access.READ) as session, pytest.raises(StoreError) as info:
        session.incidents.list()
    assert str(typo) in str(info.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]  # conftest's, nothing of ours


def test_a_reading_session_reads_a_file_nobody_may_write(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    with Session(path, access=Access.RECORD) as session:
        session.incidents.declare("Payment API down", "Critical")
    path.chmod(0o444)
    with Session(path, access=Access.READ) as session:
        assert [i.title for i in session.incidents.list()] == ["Payment API down"]
    with Session(path, access=Access.RECORD) as session, pytest.raises(StoreReadOnly):
        session.incidents.note(1, "refused: the file is read-only")


def test_what_a_session_records_is_signed_by_the_person_at_the_keyboard(tmp_path: Path) -> None:
    with Session(tmp_path / "incidents.db", access=Access.RECORD) as session:
        iid = session.incidents.declare("Payment API down", "Critical").id
        session.incidents.note(iid, "Stripe status page green")
        assert {e.actor for e in session.incidents.events(iid)} == {current_person()}


def test_leaving_the_session_closes_the_database(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    with Session(path, access=Access.RECORD) as session:
        session.incidents.declare("Payment API down", "Critical")
        store = session.store
        assert path.with_name("incidents.db-wal").exists()  # open, in WAL mode
    with pytest.raises(sqlite3.ProgrammingError):
        store.query("SELECT 1")
    assert not path.with_name("incidents.db-wal").exists()  # the last connection checkpointed
    session.close()  # again: nothing to do


def test_a_store_opened_beforehand_is_the_sessions_and_closed_with_it(tmp_path: Path) -> None:
    """The GUI connects to a team server off its UI thread, then hands the store over."""
    path = tmp_path / "incidents.db"
    opened = open_store(path)
    with Session(path, access=Access.RECORD, store=opened) as session:
        assert session.store is opened
        session.incidents.declare("Payment API down", "Critical")
    with pytest.raises(sqlite3.ProgrammingError):
        opened.query("SELECT 1")

    unused = open_store(path)
    Session(path, store=unused).close()  # handed over, never used: closed all the same
    with pytest.raises(sqlite3.ProgrammingError):
        unused.query("SELECT 1")


def test_a_part_never_used_is_never_loaded(tmp_path: Path) -> None:
    broken = tmp_path / "runbook.toml"
    broken.write_text("not = [valid", encoding="utf-8")
    with Session(tmp_path / "incidents.db", access=Access.RECORD, runbook_path=broken) as session:
        session.incidents.declare("Payment API down", "Critical")  # no runbook needed
        with pytest.raises(RunbookError) as info:
            _ = session.runbook
    assert str(broken) in str(info.value)


def test_without_a_config_file_nothing_is_probed_and_the_note_says_where_it_was_looked_for(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "config.toml"
    session = Session(tmp_path / "incidents.db", config_path=missing)
    assert session.config is None and session.probe_specs == []
    assert session.live_probes(lambda: None) is None
    assert f"No probe config at {missing}" in session.probe_note()


def test_a_config_is_validated_and_its_probes_counted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    session = Session(tmp_path / "incidents.db", config_path=path)
    assert [s.id for s in session.probe_specs] == ["api-health"]
    assert session.probe_note() == f"Probing 1 target(s) from {path}."
    path.write_text(CONFIG.replace('"api"', '"apis"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"probes\[0\]\.check"):
        _ = Session(tmp_path / "incidents.db", config_path=path).config


def test_the_cockpit_greets_the_newest_open_incident_that_is_not_a_drill(tmp_path: Path) -> None:
    with Session(tmp_path / "incidents.db", clock=FakeClock(T0)) as session:
        assert session.last_real_incident() is None
        real = session.incidents.declare("Payment API down", "Critical")
        session.incidents.declare("Rehearsal", "Major", drill=True)
        found = session.last_real_incident()
        assert found is not None and found.id == real.id
        session.incidents.resolve(real.id)
        assert session.last_real_incident() is None


def test_the_bundled_drills_are_offered_by_name_and_title() -> None:
    choices = dict(scenario_choices())
    assert "baseline" in choices and "payment-processing-down" in choices
    assert all(title for title in choices.values())


class FakeLive:
    """Stands in for LiveProbes: says what it probes, and when it is closed."""

    closed: ClassVar[list[str]] = []

    def __init__(self, specs: list[Any], *args: Any, **kwargs: Any) -> None:
        self.name = "probes " + ",".join(s.id for s in specs)

    @classmethod
    def drill(cls, scenario: str, speed: float, *args: Any, **kwargs: Any) -> FakeLive:
        live = cls([])
        live.name = f"drill {scenario} x{speed:g}"
        return live

    async def aclose(self) -> None:
        FakeLive.closed.append(self.name)


@pytest.mark.asyncio
async def test_a_drill_replaces_probing_and_every_probe_stops_before_the_store_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stratus_commander.live.LiveProbes", FakeLive)
    monkeypatch.setattr(FakeLive, "closed", [])
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    session = Session(tmp_path / "incidents.db", config_path=config, clock=FakeClock(T0))
    real = session.live_probes(lambda: None)
    assert real is not None and real.name == "probes api-health"  # type: ignore[attr-defined]
    drill = session.drill_probes("baseline", 60.0, lambda: None)
    assert session.live is drill
    await session.stop_probes()
    assert FakeLive.closed == ["probes api-health", "drill baseline x60"]
    assert session.live is None
    session.close()


def test_the_sessions_are_layered_start_up_over_session_never_back() -> None:
    """The command line and the cockpit's start-up import the sessions; the Qt-free session
    imports neither, and the cockpit's session does not import start-up (which imports it
    behind the splash), not even through another module."""
    graph = grimp.build_graph("stratus_commander")
    below = graph.find_upstream_modules("stratus_commander.session")
    assert not {m for m in below if m.startswith(("stratus_commander.qt", "stratus_commander.cli"))}
    assert (
        graph.find_shortest_chain(
            importer="stratus_commander.qt.session", imported="stratus_commander.qt.app"
        )
        is None
    )
    assert graph.find_shortest_chain(
        importer="stratus_commander.qt.app", imported="stratus_commander.qt.session"
    )
