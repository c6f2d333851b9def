"""The store protocol, the same tests on both backends: a SQLite file in tmp_path and a fresh
database on a real PostgreSQL server (team mode). What one backend does, the other must."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock, to_iso
from stratus_commander.errors import DomainRefused, NotFound, StoreError, StoreReadOnly
from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import set_tick, ticked
from stratus_commander.incident.reminders import set_reminder
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SampleRow, Store, open_store
from tests.integration.pg_store import TeamDb, pg_server, team_db, team_role

__all__ = ["pg_server", "team_db", "team_role"]  # the fixtures, imported for pytest

T0 = datetime(2026, 11, 27, 9, 58, tzinfo=UTC)
KEY = "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdefghijkl"
Opener = Callable[..., Store]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the database is: a file, or a postgresql:// URL (a fresh database per test)."""
    if request.param == "sqlite":
        return str(tmp_path / "incidents.db")
    db: TeamDb = request.getfixturevalue("team_db")
    return db.url


@pytest.fixture
def opened(location: str) -> Iterator[Opener]:
    """``opened(**kw)``: a store on the test's database, closed after the test."""
    stores: list[Store] = []

    def open_(**kw: object) -> Store:
        stores.append(open_store(location, **kw))  # type: ignore[arg-type]
        return stores[-1]

    yield open_
    for store in stores:
        store.close()


@pytest.fixture
def store(opened: Opener) -> Store:
    return opened()


@pytest.fixture
def inc(store: Store) -> Incidents:
    return Incidents(store, FakeClock(T0 + timedelta(minutes=2)), actor="alice")


def declare(inc: Incidents, title: str = "Payment Processing API Down") -> int:
    return inc.declare(title, "Critical", ["API"], ["Stripe Connect API"], T0).id


# --- incidents and timelines -------------------------------------------------------------------


def test_incidents_and_their_timelines(inc: Incidents, store: Store, location: str) -> None:
    first = declare(inc, "First outage")
    inc.clock.advance(minutes=1)  # type: ignore[attr-defined]
    second = declare(inc, "Second outage")
    inc.note(first, "PgBouncer restarted")
    inc.set_status(first, "identified")
    inc.resolve(second, "Rolled back")
    assert [i.id for i in inc.list()] == [second, first]  # newest declaration first
    assert [i.id for i in inc.list(open_only=True)] == [first]
    assert inc.get(first).status == "identified"
    assert inc.get(second).resolved_at is not None
    kinds = [e.kind for e in inc.events(first)]
    assert kinds == ["declared", "note", "status_changed"]
    assert [e.seq for e in inc.events(first)] == [1, 2, 3]
    assert inc.verify(first).ok and inc.verify(second).ok
    assert inc.verify_projection(first) == []
    assert store.timeline_head(first) == (3, inc.events(first)[-1].hash)
    assert store.timeline_head(999) is None
    with pytest.raises(NotFound, match="no incident INC-999"):
        inc.get(999)
    assert store.location.startswith(location.split("?")[0][:20])


def test_incident_columns_read_only_the_columns_asked_for(inc: Incidents, store: Store) -> None:
    first, second = declare(inc, "First outage"), declare(inc, "Second outage")
    inc.resolve(second, "Rolled back")
    rows = sorted(store.incident_columns(["id", "title", "status", "resolved_at"]))
    resolved = store.incident_row(second)
    assert resolved is not None
    assert rows == [
        (first, "First outage", "investigating", None),
        (second, "Second outage", "resolved", resolved["resolved_at"]),
    ]
    for bad in (["id; DROP TABLE incidents"], ["password"], []):
        with pytest.raises(ValueError, match="not incident columns"):
            store.incident_columns(bad)


def test_every_text_is_redacted_before_it_is_stored(inc: Incidents, opened: Opener) -> None:
    iid = declare(inc, f"Stripe key {KEY} leaked")
    inc.record(iid, "message_sent", f"body {KEY}", {"body": f"x {KEY}", KEY: "k"})
    reader = opened(readonly=True)
    stored = json.dumps(
        [reader.incident_row(iid), [e.as_json() for e in reader.events(iid)]], default=str
    )
    assert KEY not in stored and "sk_live_[REDACTED]" in stored
    assert Incidents(reader, inc.clock).verify(iid).ok


def test_a_closed_incident_refuses_events_and_rolls_back(inc: Incidents, store: Store) -> None:
    iid = declare(inc)
    with pytest.raises(DomainRefused), store.write():
        inc.record(iid, "note", "inside")
        raise DomainRefused("refused after the append")
    assert [e.kind for e in inc.events(iid)] == ["declared"]
    assert inc.verify(iid).ok


def test_the_commanders_actions_during_an_outage(inc: Incidents, opened: Opener) -> None:
    """Decisions, ticks, updates, escalation, calls and check-back timers: each one event, the
    incident row kept as their projection."""
    iid = declare(inc)
    inc.decide(iid, "internal", reason="Our webhook handler 500s")
    item = load_runbook().mitigation["api"][0]
    set_tick(inc, iid, "mitigate:api", item, on=True)
    set_tick(inc, iid, "mitigate:api", item, on=False)
    inc.record(iid, "message_sent", "Investigating", {"channel": "status-page", "body": "x"})
    inc.record(iid, "escalated", "Paged the CTO", {"to": "CTO"})
    inc.record(iid, "call_logged", "CTO acknowledged", {"who": "CTO", "note": "on it"})
    set_reminder(inc, iid, "ops", "check the pool", 10)
    reader = Incidents(opened(readonly=True), inc.clock)
    incident = reader.get(iid)
    assert incident.triage_decision == "internal" and incident.escalated_at is not None
    assert incident.first_update_at is not None
    assert [e.kind for e in reader.events(iid)] == [
        "declared", "decision", "check_ticked", "check_unticked", "message_sent", "escalated",
        "call_logged", "reminder_set",
    ]  # fmt: skip
    assert ticked(reader.events(iid), "mitigate:api") == {}
    assert reader.verify(iid).ok and reader.verify_projection(iid) == []


# --- transactions ------------------------------------------------------------------------------


def test_nested_writes_commit_together_and_a_failed_inner_one_leaves_nothing(
    inc: Incidents, store: Store
) -> None:
    iid = declare(inc)
    heard: list[str] = []
    with store.write():
        inc.note(iid, "kept")
        store.after_commit(lambda: heard.append("outer"))
        with pytest.raises(RuntimeError), store.write():
            inc.note(iid, "rolled back")
            raise RuntimeError("inner fails")
        assert heard == []  # nothing is announced before the commit
        inc.note(iid, "kept too")
    assert heard == ["outer"]
    assert [e.text for e in inc.events(iid)][1:] == ["kept", "kept too"]
    assert [e.seq for e in inc.events(iid)] == [1, 2, 3]
    assert inc.verify(iid).ok


def test_an_append_undone_with_its_inner_write_leaves_no_gap_in_the_chain(
    inc: Incidents, store: Store
) -> None:
    iid = declare(inc)
    at = T0 + timedelta(minutes=1)
    with store.write():
        store.append_event(iid, at, "note", "alice", "kept")
        with pytest.raises(RuntimeError), store.write():
            store.append_event(iid, at, "note", "alice", "rolled back")
            raise RuntimeError("inner fails")
        store.append_event(iid, at, "note", "alice", "kept too")
    assert [(e.seq, e.text) for e in inc.events(iid)][1:] == [(2, "kept"), (3, "kept too")]
    assert inc.verify(iid).ok
    assert store.timeline_head(iid) == (3, inc.events(iid)[-1].hash)


def test_a_declare_rolled_back_leaves_no_gap_in_the_incident_numbers(
    inc: Incidents, store: Store
) -> None:
    assert declare(inc, "First outage") == 1
    with pytest.raises(RuntimeError), store.write():
        assert declare(inc, "Declared, then rolled back") == 2
        raise RuntimeError("fails")
    with store.write():  # and inside a transaction that goes on after an inner one failed
        with pytest.raises(RuntimeError), store.write():
            declare(inc, "Rolled back with its savepoint")
            raise RuntimeError("inner fails")
        assert declare(inc, "Second outage") == 2
    assert declare(inc, "Third outage") == 3
    assert sorted(i.id for i in inc.list()) == [1, 2, 3]


def test_a_failed_write_leaves_nothing_and_announces_nothing(inc: Incidents, store: Store) -> None:
    iid = declare(inc)
    heard: list[str] = []
    with pytest.raises(RuntimeError), store.write():
        inc.note(iid, "gone")
        store.save_maintenance(1_000, 2_000, "gone too", to_iso(T0))
        store.after_commit(lambda: heard.append("never"))
        raise RuntimeError("fails")
    assert heard == []
    assert [e.kind for e in inc.events(iid)] == ["declared"]
    assert store.maintenance_rows(0, 10_000) == []
    store.after_commit(lambda: heard.append("at once"))  # outside a write: at once
    assert heard == ["at once"]


def test_listeners_hear_committed_events_only(inc: Incidents, store: Store) -> None:
    iid = declare(inc)
    heard: list[int] = []
    inc.subscribe(lambda incident, event: heard.append(event.seq))
    with pytest.raises(RuntimeError), store.write():
        inc.note(iid, "rolled back")
        raise RuntimeError
    inc.note(iid, "committed")
    assert heard == [2]


# --- read-only ---------------------------------------------------------------------------------


def test_read_only_store_reads_and_refuses_every_write(inc: Incidents, opened: Opener) -> None:
    iid = declare(inc)
    inc.note(iid, "written")
    reader = opened(readonly=True)
    assert reader.readonly
    readers_inc = Incidents(reader, inc.clock)
    assert [e.text for e in readers_inc.events(iid)][-1] == "written"
    with pytest.raises(StoreReadOnly):
        readers_inc.note(iid, "refused")
    with pytest.raises(StoreReadOnly):
        reader.add_samples([SampleRow("api", "http", "api", 60_000, "up", 1.0)])
    assert len(inc.events(iid)) == 2
    assert inc.verify(iid).ok


def test_opening_a_missing_database_to_read_is_refused(location: str, tmp_path: Path) -> None:
    if location.startswith("postgresql"):  # the server's database exists but has no tables
        with pytest.raises(StoreError, match="no Stratus Commander database"):
            open_store(location, create=False, readonly=True)
    else:
        with pytest.raises(StoreError, match="no database at"):
            open_store(location, create=False, readonly=True)
    open_store(location).close()  # creating it works, and then reading does
    open_store(location, create=False, readonly=True).close()


# --- probes, samples and the per-minute rollup -------------------------------------------------


def _samples(probe: str, check: str, minute: int, outcomes: str) -> list[SampleRow]:
    names = {"u": "up", "d": "down", "g": "degraded", "?": "unknown"}
    return [
        SampleRow(probe, "http", check, minute * 60_000 + i * 1000, names[o], 10.0 + i)
        for i, o in enumerate(outcomes)
    ]


def test_samples_flips_and_the_rollup_stay_exact(store: Store, opened: Opener) -> None:
    rows = _samples("api-health", "api", 100, "uuud") + _samples("stripe", "webhooks", 100, "ug")
    rows += _samples("api-health", "api", 101, "uu") + _samples("db", "database", 102, "??")
    rows.append(SampleRow("api-health", "http", "api", 100 * 60_000, "down", 99.0))  # replaces
    assert store.add_samples(rows) == len(rows)
    assert store.add_samples([]) == 0
    assert store.check_groups() == ["api", "webhooks", "database"]
    assert sorted(p["name"] for p in store.probe_catalog().values()) == [
        "api-health",
        "db",
        "stripe",
    ]
    ids = {p["name"]: pid for pid, p in store.probe_catalog().items()}
    # Every reader of the rollup brings it up to date first (the protocol); then it is exact.
    assert store.refresh_rollup() > 0
    assert store.refresh_rollup() == 0
    assert store.samples_in_minutes(100, 103) == 10
    assert store.samples_in_minutes(101, 102) == 2
    buckets = store.minute_buckets(100, 103, 1)
    assert (ids["api-health"], 0, 2, 99.0) in buckets  # worst outcome, highest latency
    assert (ids["api-health"], 1, 0, 11.0) in buckets
    assert (ids["stripe"], 0, 1, 11.0) in buckets
    assert (ids["db"], 2, 3, 11.0) in buckets
    assert store.minute_buckets(100, 103, 3) == [
        (ids["api-health"], 0, 2, 99.0),
        (ids["stripe"], 0, 1, 11.0),
        (ids["db"], 0, 3, 11.0),
    ]
    assert store.uptime_minutes(["api"], 100, 103, []) == (2, 1)
    assert store.uptime_minutes(["api", "webhooks"], 100, 103, [[100, 101]]) == (1, 0)
    assert store.uptime_minutes(["database"], 100, 103, []) == (0, 0)  # unknown only
    # A sample into a minute already rolled up: the next reader sees it, a read-only one too
    # (which stores nothing).
    store.add_samples([SampleRow("api-health", "http", "api", 101 * 60_000 + 5_000, "down", 7.0)])
    reader = opened(readonly=True)
    assert reader.refresh_rollup() == 1
    assert reader.samples_in_minutes(101, 102) == 3
    assert reader.uptime_minutes(["api"], 100, 103, []) == (2, 2)
    assert store.refresh_rollup() == 1
    assert store.samples_in_minutes(101, 102) == 3
    assert store.uptime_minutes(["api"], 100, 103, []) == (2, 2)
    raw = store.sample_buckets(100 * 60_000, 103 * 60_000, 60_000)
    assert (ids["db"], 2, -1, 11.0) in raw  # -1: unknown samples only
    assert (ids["api-health"], 1, 2, 11.0) in raw


def test_pruning_keeps_the_rollup_and_compact_gives_space_back(store: Store) -> None:
    rows = _samples("api-health", "api", 100, "uuud") + _samples("api-health", "api", 101, "ug")
    rows += _samples("api-health", "api", 102, "uu") + _samples("stripe", "webhooks", 100, "d")
    store.add_samples(rows)
    store.add_samples([SampleRow("stripe", "http", "webhooks", 300 * 60_000, "down", 80.0)])
    store.refresh_rollup()
    before = store.minute_buckets(100, 103, 1)
    spans = [(0, 102 * 60_000), (200 * 60_000, 400 * 60_000)]
    # The first span's first probe with samples there, whole minutes, about the limit.
    assert store.prune_samples(spans, 3) == 4  # minute 100 of api-health
    assert store.prune_samples(spans, 1000) == 2  # the rest of api-health in the span
    assert store.prune_samples(spans, 1000) == 1  # stripe's minute 100
    assert store.prune_samples(spans, 1000) == 1  # the second span
    assert store.prune_samples(spans, 1000) == 0
    assert store.refresh_rollup() == 0  # nothing left dirty by the deletes
    assert store.minute_buckets(100, 103, 1) == before  # what went is still in the rollup
    assert store.samples_in_minutes(100, 103) == 9 and store.samples_in_minutes(300, 301) == 1
    assert [b[1] for b in store.sample_buckets(100 * 60_000, 103 * 60_000, 60_000)] == [2]
    store.add_samples([SampleRow("api-health", "http", "api", 102 * 60_000 + 9_000, "down", 1.0)])
    assert store.refresh_rollup() == 1 and store.samples_in_minutes(102, 103) == 3
    tables = {t["name"]: t for t in store.table_stats()}
    assert tables["samples"]["rows"] == 3 and tables["samples"]["bytes"] > 0
    assert tables["sample_minutes"]["rows"] == 5
    size_before, size_after = store.compact()  # PostgreSQL's VACUUM keeps the space for reuse
    assert size_before > 0 and size_after > 0


def test_samples_since_reads_back_what_a_prober_wrote_in_time_order(store: Store) -> None:
    store.add_samples(
        _samples("api-health", "api", 100, "ud") + _samples("stripe", "webhooks", 100, "g")
    )
    store.add_samples(
        [
            SampleRow(
                "stripe",
                "http",
                "webhooks",
                100 * 60_000 + 500,
                "down",
                None,
                "HTTP 503 sk_live_abcdefghijklmnop1234",
            )
        ]
    )
    got = store.samples_since(100 * 60_000)
    assert [(r.probe, r.at_ms, r.outcome) for r in got] == [
        ("stripe", 6_000_500, "down"),
        ("api-health", 6_001_000, "down"),
    ]
    assert got[0].check == "webhooks" and got[0].latency_ms is None
    assert "sk_live_abcdefghijklmnop1234" not in (got[0].detail or "")  # stored redacted
    assert len(store.samples_since(0)) == 4
    assert store.samples_since(100 * 60_000 + 1_000) == []


def test_latencies_read_back_alike_on_both_backends(store: Store) -> None:
    """Stored as integers of 0.1 ms on both (SQLite m005, PostgreSQL p002): what a prober
    measured reads back rounded half up, the same number from either backend."""
    measured = [12.345, 0.04, 250.06, None, 7.25, 99.95]
    store.add_samples(
        SampleRow("api-health", "http", "api", 100 * 60_000 + i * 1000, "up", ms)
        for i, ms in enumerate(measured)
    )
    got = [r.latency_ms for r in store.samples_since(0)]
    assert got == [12.3, 0.0, 250.1, None, 7.3, 100.0]
    assert all(type(ms) is float for ms in got if ms is not None)
    pid = next(iter(store.probe_catalog()))
    assert store.sample_buckets(100 * 60_000, 101 * 60_000, 3000) == [
        (pid, 0, 0, 250.1),
        (pid, 1, 0, 100.0),
    ]
    store.refresh_rollup()
    assert store.minute_buckets(100, 101, 1) == [(pid, 0, 0, 250.1)]


def test_flips_are_the_detection_evidence(store: Store) -> None:
    store.add_flip("api-health", "http", "api", 5_000, "up", "down", "HTTP 503")
    store.add_flip("stripe", "http", "webhooks", 9_000, None, "degraded", "slow")
    store.add_flip("api-health", "http", "api", 12_000, "down", "up", "")
    first = store.first_failure_since(0)
    assert first is not None
    assert (first["at_ms"], first["probe"], first["check"], first["detail"]) == (
        5_000,
        "api-health",
        "api",
        "HTTP 503",
    )
    assert store.first_failure_since(6_000)["probe"] == "stripe"  # type: ignore[index]
    assert store.first_failure_since(13_000) is None
    assert store.first_failing_flip(6_000, 20_000) == 9_000
    assert store.first_failing_flip(13_000, 20_000) is None
    assert store.newest_flips(0, 20_000, 2) == [
        (12_000, "api-health", "api", "down", "up"),
        (9_000, "stripe", "webhooks", None, "degraded"),
    ]


# --- after the outage --------------------------------------------------------------------------


def test_review_records_action_items_and_lessons(inc: Incidents, store: Store) -> None:
    iid = declare(inc)
    other = declare(inc, "Another")
    assert store.review_record(iid) is None
    with store.write():
        store.save_review(iid, to_iso(T0), close={"fix": f"rotated {KEY}"})
        store.set_search_text(iid, "connection pool leak")
    store.save_review(iid, to_iso(T0), pir={"answers": {"why": "leak"}})
    close, pir = store.review_record(iid)  # type: ignore[misc]
    assert close == {"fix": "rotated sk_live_[REDACTED]"} and pir == {"answers": {"why": "leak"}}
    with store.write():
        item = {"incident_id": iid, "deadline": None, "status": "open", "created_at": to_iso(T0)}
        first = store.insert_action_item(
            {**item, "category": "immediate-fixes", "text": "Patch", "owner": "bob"}
        )
        second = store.insert_action_item(
            {**item, "category": "monitoring-improvements", "text": "Alarm", "owner": ""}
        )
        store.update_action_item(first, {"status": "done", "done_at": to_iso(T0)})
    assert [r["id"] for r in store.action_item_rows(iid)] == [first, second]
    assert store.action_item_row(first)["status"] == "done"  # type: ignore[index]
    assert store.action_item_row(10_000) is None
    with store.write():
        ids = store.insert_learnings(
            iid,
            [("triage.database.db-pool", "Check the pool"), ("triage_x", "Underscore literal")],
            "alice",
            to_iso(T0),
        )
        store.insert_learnings(other, [("communicate", "Say it early")], "bob", to_iso(T0))
        store.add_search_text(iid, "Check the pool")
    assert len(ids) == 2
    assert [r["text"] for r in store.learning_rows(step="triage")] == ["Check the pool"]
    assert [r["step"] for r in store.learning_rows(step="triage_x")] == ["triage_x"]
    assert [r["title"] for r in store.learning_rows(incident_id=other)] == ["Another"]
    assert len(store.learning_rows()) == 3


def test_maintenance_and_credit_reports(inc: Incidents, store: Store) -> None:
    iid, other = declare(inc), declare(inc, "Another")
    store.save_maintenance(1_000, 2_000, "first", to_iso(T0))
    store.save_maintenance(1_000, 2_000, "replaced", to_iso(T0))
    store.save_maintenance(5_000, 6_000, "later", to_iso(T0))
    assert store.maintenance_rows(0, 10_000) == [
        {"start_ms": 1_000, "end_ms": 2_000, "reason": "replaced"},
        {"start_ms": 5_000, "end_ms": 6_000, "reason": "later"},
    ]
    assert [r["reason"] for r in store.maintenance_rows(1_500, 5_000)] == ["replaced"]

    def account(name: str, amount: str) -> dict[str, str | None]:
        return {"account_id": name, "name": name.title(), "currency": "USD",
                "monthly_fee": "499.00", "groups": "api", "uptime": "99.5",
                "credit_percent": "10", "due_amount": amount, "previously_credited": "0",
                "amount": amount, "explanation": "below 99.9"}  # fmt: skip

    store.save_credit_report(iid, "2026-11", {"m": "nov"}, "d1", to_iso(T0), [account("acme", "1")])
    store.save_credit_report(iid, "2026-12", {"m": "dec"}, "d2", to_iso(T0), [account("acme", "2")])
    store.save_credit_report(iid, "2026-11", {"m": "nov2"}, "d3", to_iso(T0), [account("zen", "3")])
    store.save_credit_report(other, "2026-11", {"m": "o"}, "d4", to_iso(T0), [])
    assert store.credit_reports(iid) == [({"m": "nov2"}, "d3"), ({"m": "dec"}, "d2")]
    assert store.every_credit_report() == [  # every incident's, in one read
        (iid, {"m": "nov2"}, "d3"),
        (iid, {"m": "dec"}, "d2"),
        (other, {"m": "o"}, "d4"),
    ]
    assert store.credits_of_others("2026-11", other) == [
        {"account_id": "zen", "currency": "USD", "amount": "3", "incident_id": iid}
    ]
    assert store.credits_of_others("2026-11", iid) == []


# --- search ------------------------------------------------------------------------------------


def test_search_finds_every_word_the_last_as_a_prefix(inc: Incidents, store: Store) -> None:
    pool = declare(inc, "Database connection pool exhausted")
    inc.clock.advance(minutes=1)  # type: ignore[attr-defined]
    cafe = declare(inc, "Café checkout down")
    inc.note(cafe, "Restarted the db-pool on api.stratus.example")
    inc.clock.advance(minutes=1)  # type: ignore[attr-defined]
    reviewed = declare(inc, "Webhooks delayed")
    store.save_review(reviewed, to_iso(T0))
    store.set_search_text(reviewed, "Root cause: unreleased connections")

    def found(text: str) -> list[int]:
        return [i.id for i in inc.search(text)]

    assert found("pool") == [cafe, pool]  # newest first; a title and a note
    assert found("connection po") == [pool]  # every word; the last one a prefix
    assert found("conn") == [reviewed, pool]
    assert found("db-pool") == [cafe]  # a word of several parts is a phrase
    assert found("pool db") == [cafe]
    assert found("stratus") == [cafe]  # a host name's parts are words too
    assert found("cafe") == [cafe] and found("CAFÉ") == [cafe]  # case and accents folded
    assert found("unreleased") == [reviewed]
    assert found("pool missing") == []
    assert found('"') == [] and found("--") == []
    secret = declare(inc, f"Leaked {KEY}")
    assert secret not in found("51HqLyjWDarjtT1zdp7dcXYZabcdefghijkl")
    assert found("sk_live_") == [secret]  # what is stored: the family prefix, redacted
