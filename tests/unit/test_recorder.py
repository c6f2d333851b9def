import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.errors import StoreError
from stratus_commander.incident import Incidents
from stratus_commander.probes.base import Outcome, ProbeResult, StateChange
from stratus_commander.probes.recorder import Recorder
from stratus_commander.store import open_store

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


def _result(i: int, outcome: Outcome) -> ProbeResult:
    return ProbeResult(
        probe="api-health",
        kind="http",
        check="api",
        outcome=outcome,
        latency_ms=20.0 + i,
        detail="HTTP 503 from /api/health" if outcome != Outcome.UP else "200",
        at=T0 + timedelta(seconds=i),
        metrics={"error_rate": 0.5},
    )


def _flip(i: int, previous: Outcome | None, current: Outcome) -> StateChange:
    return StateChange(
        probe="api-health",
        kind="http",
        check="api",
        previous=previous,
        current=current,
        at=T0 + timedelta(seconds=i),
        detail="HTTP 503 from /api/health",
    )


def test_samples_before_declaration_and_flips_during_the_incident(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    store = open_store(db)
    incidents = Incidents(store, FakeClock(T0 + timedelta(minutes=5)))
    current: list[int] = []
    recorder = Recorder(db, incidents, current_incident=lambda: current[0] if current else None)
    heard: list[str] = []
    incidents.subscribe(lambda _incident, event: heard.append(event.kind))

    async def scenario() -> None:
        recorder.on_state_change(_flip(0, None, Outcome.UP))
        for i in range(3):
            recorder.on_result(_result(i, Outcome.UP))
        for i in range(3, 6):
            recorder.on_result(_result(i, Outcome.DOWN))
        recorder.on_state_change(_flip(5, Outcome.UP, Outcome.DOWN))  # before any declaration
        await recorder.flush()
        current.append(incidents.declare("API down", "Critical").id)
        recorder.on_result(_result(7, Outcome.UP))
        recorder.on_result(_result(8, Outcome.UP))
        recorder.on_state_change(_flip(8, Outcome.DOWN, Outcome.UP))
        assert heard == ["declared"]  # the flip's event is written with the next batch...
        await recorder.aclose()
        assert heard == ["declared", "probe_flipped"]  # ... and announced once committed

    asyncio.run(scenario())
    rows = store.query("SELECT at_ms, outcome, detail, metrics FROM samples ORDER BY at_ms")
    assert len(rows) == 8
    assert rows[0]["at_ms"] == to_ms(T0)
    assert rows[0]["detail"] is None  # "up" samples keep no detail
    assert rows[3]["outcome"] == 2 and "503" in rows[3]["detail"]
    assert rows[3]["metrics"] == '{"error_rate": 0.5}'
    flips = store.query("SELECT previous, current FROM flips ORDER BY at_ms")
    assert [(f["previous"], f["current"]) for f in flips] == [
        (None, "up"),
        ("up", "down"),
        ("down", "up"),
    ]
    # Detection evidence: the first failing flip, kept even though nothing was declared yet.
    assert store.first_failure_since(0)["at_ms"] == to_ms(T0 + timedelta(seconds=5))  # type: ignore[index]
    # Only the flip during the incident is on its timeline.
    evs = incidents.events(current[0], {"probe_flipped"})
    assert [e.text.split(" — ")[0] for e in evs] == ["api-health (api): down → up"]
    assert evs[0].data["to"] == "up"
    assert incidents.verify(current[0]).ok
    store.close()


def test_a_failed_batch_is_kept_for_the_next_flush(tmp_path: Path) -> None:
    blocker = tmp_path / "db-is-a-directory"
    blocker.mkdir()
    recorder = Recorder(blocker, None)

    async def scenario() -> int:
        recorder.on_result(_result(1, Outcome.UP))
        with pytest.raises(StoreError):
            await recorder.flush()
        kept = len(recorder._samples)
        recorder.db_path = tmp_path / "ok.db"
        await recorder.aclose()
        return kept

    assert asyncio.run(scenario()) == 1
    with open_store(tmp_path / "ok.db") as store:
        assert store.query("SELECT count(*) AS n FROM samples")[0]["n"] == 1


def test_the_minute_rollup_is_kept_current_while_recording(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    recorder = Recorder(db, None, rollup_interval_s=0)

    async def scenario() -> None:
        for i in range(120):
            recorder.on_result(_result(i, Outcome.DOWN if 60 <= i < 90 else Outcome.UP))
        await recorder.aclose()

    asyncio.run(scenario())
    with open_store(db) as store:
        assert store.query("SELECT count(*) AS n FROM sample_minutes_dirty")[0]["n"] == 0
        assert store.query("SELECT count(*) AS n FROM sample_minutes")[0]["n"] == 2


def test_the_recorder_prunes_old_raw_samples_on_its_own_thread(tmp_path: Path) -> None:
    from stratus_commander.probes.retention import RetentionSettings
    from stratus_commander.store import SampleRow

    db = tmp_path / "incidents.db"
    month_ago = to_ms(T0 - timedelta(days=30))
    with open_store(db) as store:
        store.add_samples(
            SampleRow("api-health", "http", "api", month_ago + s * 1000, "up", 10.0)
            for s in range(600)
        )
    settings = RetentionSettings(raw_days=14, batch_rows=100, interval_s=3600)
    recorder = Recorder(db, None, clock=FakeClock(T0), retention=settings)

    async def scenario() -> tuple[int, object]:
        recorder.on_result(_result(0, Outcome.UP))
        await recorder.flush()
        pass_ = recorder.start_pruning()
        assert pass_ is not None
        pruned = await pass_
        again = recorder.start_pruning()  # not due for another hour
        await recorder.aclose()
        return pruned, again

    pruned, again = asyncio.run(scenario())
    assert pruned == 600 and again is None
    with open_store(db) as store:
        assert store.query("SELECT at_ms FROM samples") == [{"at_ms": to_ms(T0)}]
        store.refresh_rollup()
        assert store.samples_in_minutes(0, to_ms(T0) // 60_000) == 600  # the rollup stays
