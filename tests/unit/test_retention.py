"""Retention: raw samples go after ``raw_days`` outside incident windows; what the review desk
and the credits show stays exactly the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from stratus_commander import credits as cr
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.errors import ConfigError
from stratus_commander.incident import Incidents
from stratus_commander.probes.config import parse_config
from stratus_commander.probes.retention import RetentionSettings, keep_windows, prune
from stratus_commander.probes.series import graph_series
from stratus_commander.review.uptime import measure_review_uptime
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import SampleRow, SqliteStore, Store, open_store
from tests.unit.credits_kit import GOOD, T0, cli_at, incidents, per_minute, resolved

HOUR = 3_600_000
LATER = T0 + timedelta(days=60)  # every sample of the cases is beyond the raw window


def raw_count(store: Store) -> int:
    assert isinstance(store, SqliteStore)
    return int(store.query("SELECT count(*) AS n FROM samples")[0]["n"])


def per_second(store: Store, start: datetime, seconds: int, probe: str = "api-health") -> None:
    store.add_samples(
        SampleRow(probe, "http", "api", to_ms(start) + s * 1000, "up", 12.5) for s in range(seconds)
    )


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


def test_raw_samples_go_outside_incident_windows_and_stay_inside(tmp_path: Path) -> None:
    with open_store(tmp_path / "incidents.db") as store:
        inc = Incidents(store, FakeClock(T0))
        per_minute(store, T0 - timedelta(hours=5), 12 * 60)  # 10:00 - 5 h to 10:00 + 7 h
        resolved(inc, T0, minutes=30)  # kept: 09:00 to 11:30
        open_at = T0 + timedelta(hours=5)
        inc.clock.set(open_at)  # type: ignore[attr-defined]
        inc.declare("Webhooks late", "Minor", ["Webhooks"], detected_at=open_at)  # from 14:00 on
        store.refresh_rollup()  # as every reader of the rollup does
        minutes_before = store.samples_in_minutes(0, 2**40)
        settings = RetentionSettings(raw_days=14, batch_rows=100)

        pruned = prune(store, settings, to_ms(LATER), pause_s=0)

        assert isinstance(store, SqliteStore)
        left = store.query("SELECT at_ms FROM samples ORDER BY at_ms")
        kept = [r["at_ms"] for r in left]
        in_first = [t for t in kept if t < to_ms(open_at) - HOUR]
        assert in_first[0] >= to_ms(T0) - HOUR and in_first[-1] <= to_ms(T0) + 90 * 60_000
        assert len(in_first) == 150  # one a minute, 09:00 to 11:30
        assert next(t for t in kept if t >= to_ms(open_at) - HOUR) >= to_ms(open_at) - HOUR
        assert kept[-1] == to_ms(T0 + timedelta(hours=7)) - 60_000 + 5_000  # open: all kept
        assert pruned == 12 * 60 - len(kept) and pruned > 300
        # The per-minute rollup of what went is still there.
        store.refresh_rollup()
        assert store.samples_in_minutes(0, 2**40) == minutes_before
        assert prune(store, settings, to_ms(LATER), pause_s=0) == 0


def test_samples_newer_than_the_raw_window_stay(tmp_path: Path) -> None:
    with open_store(tmp_path / "incidents.db") as store:
        per_second(store, T0, 600)
        assert prune(store, RetentionSettings(raw_days=1), to_ms(T0 + timedelta(hours=23))) == 0
        assert raw_count(store) == 600
        # A day and a minute later the first minute is beyond the window, the rest is not yet.
        now = to_ms(T0 + timedelta(days=1, minutes=1))
        assert prune(store, RetentionSettings(raw_days=1), now, pause_s=0) == 60
        assert raw_count(store) == 540


def test_compact_gives_the_pruned_pages_back_to_the_file_system(tmp_path: Path) -> None:
    with open_store(tmp_path / "incidents.db") as store:
        per_second(store, T0, 40_000)
        store.compact()
        full = (tmp_path / "incidents.db").stat().st_size
        prune(store, RetentionSettings(raw_days=1), to_ms(LATER), pause_s=0)
        before, after = store.compact()
        assert before >= full and after < full - 500_000
        assert (tmp_path / "incidents.db").stat().st_size == after


def test_a_batch_prunes_whole_minutes_and_keeps_their_rollup_exact() -> None:
    store = SqliteStore.memory()
    per_second(store, T0, 3600)
    store.add_samples([SampleRow("api-health", "http", "api", to_ms(T0) + 30_500, "down", 99.0)])
    store.refresh_rollup()
    before = store.minute_buckets(to_ms(T0) // 60_000, to_ms(T0) // 60_000 + 60, 1)
    spans = [(0, to_ms(T0) + HOUR)]
    assert store.prune_samples(spans, 130) == 121  # two whole minutes (with the late sample)
    assert raw_count(store) == 3600 - 120
    store.refresh_rollup()
    assert store.minute_buckets(to_ms(T0) // 60_000, to_ms(T0) // 60_000 + 60, 1) == before
    assert before[0][2] == 2  # the minute with the down sample still reads down


def test_keep_windows_merge_and_round_out_to_minutes() -> None:
    rows = [
        {"detected_at": "2026-11-10T10:00:30.000Z", "resolved_at": "2026-11-10T10:20:00.000Z"},
        {"detected_at": "2026-11-10T11:00:00.000Z", "resolved_at": "2026-11-10T11:10:10.000Z"},
    ]
    ((start, end),) = keep_windows(rows)
    assert start == to_ms(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    assert end == to_ms(datetime(2026, 11, 10, 12, 11, tzinfo=UTC))


CASES = [(43, 0), (433, 0), (2160, 0), (864, 200)]


@pytest.mark.parametrize(("down", "maintenance"), CASES)
def test_credits_and_review_uptime_are_identical_after_pruning(
    runbook: Runbook, down: int, maintenance: int
) -> None:
    inc: Incidents = incidents()
    store = inc.store
    per_minute(store, T0 - timedelta(hours=3), down + 180 + 60, range(180, 180 + down))
    if maintenance:
        start = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        cr.add_maintenance(store, start, start + timedelta(minutes=maintenance), "upgrade", T0)
    iid = resolved(inc, T0, minutes=down)
    incident = inc.get(iid)
    accounts = [cr.Account(account_id="a", name="A", monthly_fee=1000, currency="GBP")]

    def figures() -> tuple[object, ...]:
        report = cr.compute_credits(store, incident, accounts, runbook.sla.ladder, LATER)
        series = graph_series(store, (T0, T0 + timedelta(minutes=down)), 500)
        return (
            [(r.uptime, r.credit_percent, r.amount, r.explanation) for r in report.accounts],
            measure_review_uptime(store, incident, LATER),
            [(s.probe, s.times_ms.tolist(), s.outcome.tolist()) for s in series],
            [np.nan_to_num(s.latency_ms).tolist() for s in series],
        )

    before = figures()
    pruned = prune(store, RetentionSettings(raw_days=14), to_ms(LATER), pause_s=0)
    assert pruned == 120  # the hours before and after the incident's window
    assert figures() == before


def test_the_cli_credits_and_db_commands_agree_before_and_after(tmp_path: Path) -> None:
    cli = cli_at(tmp_path / "incidents.db")
    with open_store(cli.db) as store:
        per_minute(
            store, T0 - timedelta(days=2), 3 * 24 * 60, range(2 * 24 * 60, 2 * 24 * 60 + 433)
        )
        iid = resolved(Incidents(store, FakeClock(T0)), T0, minutes=433)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(GOOD)
    code, before, err = cli("incidents", "credits", str(iid), "--accounts", str(accounts))
    assert code == 0, err

    code, out, err = cli("db", "stats")
    assert code == 0, err
    assert "samples" in out and f"{3 * 24 * 60:,}" in out and "kept 14 days" in out
    code, out, _ = cli("db", "prune")  # the samples are from 2026-11: far beyond 14 days
    assert code == 0 and "Pruned 3,767 raw samples"  # all but 553 minutes in out
    code, out, _ = cli("db", "compact")
    assert code == 0 and out.startswith("Reclaimed ")
    code, after, _ = cli("incidents", "credits", str(iid), "--accounts", str(accounts))
    assert code == 0 and after == before


def test_retention_settings_are_validated_with_their_key_path() -> None:
    config = parse_config("[retention]\nraw_days = 30\n")
    assert config.retention.raw_days == 30
    assert parse_config("").retention == RetentionSettings()
    with pytest.raises(ConfigError) as caught:
        parse_config('[retention]\nraw_days = -1\nbatch_rows = "many"\n', source="c.toml")
    text = str(caught.value)
    assert "c.toml: retention.raw_days: must be > 0" in text
    assert "c.toml: retention.batch_rows:" in text


class _Timed:
    """The store, with a clock the batches move: each row pruned takes ``ms_a_row``."""

    def __init__(self, store: Store, ms_a_row: float) -> None:
        self.store, self.ms_a_row, self.now = store, ms_a_row, 0.0
        self.batches: list[int] = []

    def incident_rows(self) -> list[dict[str, object]]:
        return self.store.incident_rows()

    def prune_samples(self, spans: list[tuple[int, int]], limit: int) -> int:
        self.batches.append(limit)
        deleted = self.store.prune_samples(spans, limit)
        self.now += deleted * self.ms_a_row / 1000
        return deleted

    def timer(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("ms_a_row", "sizes"),
    [
        (0.1, [1000, 500, 500]),  # a slow file: 1 000 rows held the lock 100 ms, so 500 (50 ms)
        (0.01, [1000, 2000, 4000, 4000]),  # a quick one: up to 40 ms a batch, 8 000 would be 80
    ],
)
def test_a_prune_batch_is_sized_by_the_time_it_holds_the_write_lock(
    tmp_path: Path, ms_a_row: float, sizes: list[int]
) -> None:
    with open_store(tmp_path / "incidents.db") as store:
        per_second(store, T0, 6 * 3600)  # six hours, a sample a second
        timed = _Timed(store, ms_a_row)
        settings = RetentionSettings(raw_days=14, batch_rows=5000, batch_ms=50)
        pruned = prune(timed, settings, to_ms(LATER), pause_s=0, timer=timed.timer)  # type: ignore[arg-type]
        assert timed.batches[: len(sizes)] == sizes
        assert max(timed.batches[len(sizes) :], default=sizes[-1]) == sizes[-1]  # steady after
        assert pruned == 6 * 3600 and raw_count(store) == 0  # every sample, however batched
