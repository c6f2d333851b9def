"""The team outbox without a server: the file (durable, ordered, redacted), the offline store's
reads and writes while the server is "away" (a SQLite store that refuses while unplugged), and
the replay's rules for an action the incident can no longer take."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stratus_commander.clock import FakeClock, to_iso
from stratus_commander.errors import StoreUnreachable
from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import runbook_checks, set_tick, ticked
from stratus_commander.incident.outbox import LATE_FLAG, replay
from stratus_commander.incident.roles import assign, holders
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SqliteStore, Store
from stratus_commander.store.offline import OfflineStore
from stratus_commander.store.offline_calls import READS, WRITES
from stratus_commander.store.outbox import Outbox, OutboxEntry

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
SECRET = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


class Unpluggable:
    """A store whose server can be unplugged: every call then raises ``StoreUnreachable``."""

    def __init__(self, inner: SqliteStore) -> None:
        self.inner = inner
        self.away = False
        #: a call that unplugs the server as it is made (lost in the middle of a write)
        self.lost_at: str | None = None

    def reconnect(self) -> None:
        if self.away:
            raise StoreUnreachable("connection refused", where="test-server")

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if not callable(value) or name in ("after_commit", "close"):  # no round trip
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            if name == self.lost_at:
                self.away = True
            if self.away:
                raise StoreUnreachable("connection refused", where="test-server")
            return value(*args, **kwargs)

        return call


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def team(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Unpluggable, OfflineStore]]:
    server = Unpluggable(SqliteStore.open(tmp_path / "server.db"))
    store = OfflineStore(server, Outbox(tmp_path / "outbox.db"), clock)  # type: ignore[arg-type]
    yield server, store
    store.close()


def entry(n: int) -> OutboxEntry:
    at = T0.replace(minute=n)
    return OutboxEntry.new(1, at, "note", "alice", f"note {n} {SECRET}", {"n": n}, at)


def test_every_protocol_call_has_an_answer_for_while_the_server_is_away() -> None:
    """A call the offline store neither answers itself nor lists as a read or a write would go
    to the server unguarded: while it is away, the driver's lost connection instead of a clear
    answer (the insights' credits did). ``watch`` is the server's listener, which reconnects."""
    protocol = {name for name in dir(Store) if not name.startswith("_")}
    answered = {name for name in vars(OfflineStore) if not name.startswith("_")}
    assert protocol - answered - set(READS) - WRITES == {"watch"}
    assert (set(READS) | WRITES) <= protocol


def test_entries_are_on_disk_in_order_and_redacted(tmp_path: Path) -> None:
    path = tmp_path / "outbox" / "team.db"
    with closing(Outbox(path)) as outbox:
        outbox.add([entry(1), entry(2)])
        outbox.add([entry(3)])
    with closing(Outbox(path)) as again:  # another process, later
        got = again.entries()
        assert [e.data["n"] for e in got] == [1, 2, 3]
        assert all(e.data["outbox_id"] == e.id for e in got)
        again.remove(got[1].id)
        assert [e.data["n"] for e in again.entries()] == [1, 3]
    stored = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert SECRET.encode() not in stored and b"sk_live_" in stored


def test_actions_while_away_show_at_once_and_wait_until_the_server_is_back(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    incidents = Incidents(store, clock, actor="alice")
    shown: list[str] = []
    incidents.subscribe(lambda incident, event: shown.append(event.text))
    iid = incidents.declare("Payment API down", "Critical").id
    incidents.events(iid)
    server.away = True
    clock.advance(60)
    incidents.note(iid, "away 1")
    clock.advance(60)
    incidents.set_status(iid, "identified")
    assert shown[-2:] == ["away 1", "Status: investigating → identified"]
    assert incidents.get(iid).status == "identified"
    assert (store.link.reachable, store.link.waiting) == (False, 2)
    # A new incident declared while away: a local number until the server gives it its own.
    another = incidents.declare("Checkout slow", "Minor", scope=["Web"])
    assert (another.id, another.label, another.scope) == (-1, "INC-L1", ("Web",))
    incidents.note(another.id, "on the local one")
    assert [e.text for e in incidents.events(-1)] == ["Checkout slow", "on the local one"]
    assert incidents.list(open_only=True)[0].label == "INC-L1"
    assert store.link.waiting == 4

    clock.advance(60)
    assert replay(store, clock).appended == 0  # still away
    server.away = False
    done = replay(store, clock)
    assert (done.appended, done.already, done.late) == (4, 0, [])
    assert done.declared == {-1: iid + 1}
    assert store.link.clear
    evs = server.inner.events(iid)
    assert [e.text for e in evs[1:]] == ["away 1", "Status: investigating → identified"]
    assert [to_iso(e.at) for e in evs[1:]] == [
        to_iso(T0.replace(minute=31)),
        to_iso(T0.replace(minute=32)),
    ]
    assert all(e.data["entered_at"] == to_iso(clock.now()) for e in evs[1:])
    assert Incidents(server.inner, clock).verify_projection(iid) == []
    # The local incident is the server's now, by either number; its chain verifies there.
    declared = Incidents(server.inner, clock).get(iid + 1)
    assert (declared.title, declared.scope, declared.impact) == ("Checkout slow", ("Web",), "Minor")
    evs = server.inner.events(iid + 1)
    assert [e.text for e in evs] == ["Checkout slow", "on the local one"]
    assert evs[0].data["declared_as"] == "INC-L1" and evs[0].at == another.declared_at
    assert Incidents(server.inner, clock).verify(iid + 1).ok
    assert Incidents(server.inner, clock).verify_projection(iid + 1) == []
    assert incidents.get(-1).label == f"INC-{iid + 1}"
    incidents.note(-1, "after the replay")
    assert server.inner.events(iid + 1)[-1].text == "after the replay"


@pytest.mark.parametrize(
    ("meanwhile", "reason"),
    [
        (lambda inc, iid: inc.resolve(iid), "is resolved now, not investigating"),
        (lambda inc, iid: inc.decide(iid, "external"), "before the previous triage decision"),
    ],
)
def test_an_action_that_no_longer_applies_is_recorded_as_a_flagged_note(
    team: tuple[Unpluggable, OfflineStore],
    clock: FakeClock,
    meanwhile: Callable[[Incidents, int], object],
    reason: str,
) -> None:
    server, store = team
    incidents = Incidents(store, clock, actor="alice")
    iid = incidents.declare("Webhooks failing", "Major").id
    incidents.events(iid)
    server.away = True
    clock.advance(60)
    if "resolved" in reason:
        incidents.set_status(iid, "identified")
    else:
        incidents.decide(iid, "internal")
    clock.advance(60)
    server.away = False
    meanwhile(Incidents(server.inner, clock, actor="bob"), iid)  # a teammate, on the server

    done = replay(store, clock)
    assert len(done.late) == 1 and reason in done.late[0]
    late = server.inner.events(iid)[-1]
    assert late.kind == "note" and late.actor == "alice"
    assert reason in late.data[LATE_FLAG]
    assert late.text.startswith("Taken while the team server was away, not applied")
    assert Incidents(server.inner, clock).verify_projection(iid) == []
    assert Incidents(server.inner, clock).verify(iid).ok


def test_a_server_lost_in_the_middle_of_an_action_fails_that_one_and_queues_the_next(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    incidents = Incidents(store, clock)
    iid = incidents.declare("Payment API down", "Critical").id
    incidents.events(iid)
    server.lost_at = "append_event"
    with pytest.raises(StoreUnreachable):  # not acknowledged: nothing recorded anywhere
        incidents.note(iid, "lost with the connection")
    assert not store.link.reachable and store.link.waiting == 0
    server.lost_at = None
    queued = incidents.note(iid, "queued instead")  # the incident as last seen still serves
    assert queued.seq == 2 and store.link.waiting == 1
    server.away = False
    assert replay(store, clock).appended == 1
    assert [e.text for e in server.inner.events(iid)] == ["Payment API down", "queued instead"]


class Killed(Exception):
    """The replaying process dies here."""


def test_a_replay_killed_after_creating_a_local_incident_finds_it_again(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    incidents = Incidents(store, clock)
    server.away = True
    local = incidents.declare("Declared while away", "Major")
    incidents.note(local.id, "a note on it")
    server.away = False

    def die(entry: OutboxEntry) -> None:
        raise Killed  # committed on the server, the mapping and the entry not yet recorded

    with pytest.raises(Killed):
        replay(store, clock, committed=die)
    assert store.outbox.server_id(local.id) is None and store.outbox.count() == 2
    done = replay(store, clock)
    assert (done.appended, done.already) == (1, 1)
    assert len(server.inner.incident_rows()) == 1  # created once
    (row,) = server.inner.incident_rows()
    assert [e.text for e in server.inner.events(row["id"])] == [
        "Declared while away",
        "a note on it",
    ]


def test_an_entry_for_an_incident_the_server_lacks_is_set_aside_not_sent_nor_lost(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    store.guess = True  # the command line: it could not check INC-99 while the server was away
    incidents = Incidents(store, clock)
    iid = Incidents(server.inner, clock).declare("Real one", "Minor").id
    server.away = True
    incidents.note(99, "for a mistyped incident")
    incidents.note(iid, "for the real one")
    server.away = False
    done = replay(store, clock)
    assert done.appended == 1 and len(done.set_aside) == 1 and "INC-99" in done.set_aside[0]
    assert store.link.clear
    ((kept, reason),) = store.outbox.set_aside_entries()
    assert kept.text == "for a mistyped incident" and "no incident INC-99" in reason
    assert server.inner.events(iid)[-1].text == "for the real one"


def test_other_reads_answer_what_was_known_or_say_clearly_they_need_the_server(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    incidents = Incidents(store, clock)
    iid = incidents.declare("Payment API down", "Critical").id
    store.save_review(iid, to_iso(clock.now()), pir={"summary": "pool"})
    known = store.review_record(iid)
    catalog = store.probe_catalog()
    server.away = True
    store.ping()
    assert not store.link.reachable
    assert store.review_record(iid) == known  # as last read
    assert store.probe_catalog() == catalog
    with pytest.raises(StoreUnreachable, match="the team's probe samples cannot be read while"):
        store.samples_since(0)
    with pytest.raises(
        StoreUnreachable,
        match=r"the action items cannot be read while the team server is away \(not read",
    ):
        store.action_item_rows(iid)
    with pytest.raises(StoreUnreachable, match="written on the server only"):
        store.save_review(iid, to_iso(clock.now()), pir={"summary": "lost?"})
    server.away = False
    assert replay(store, clock).appended == 0 and store.reconnect()
    assert store.review_record(iid) == known  # the refused write left nothing behind


def test_a_store_reopened_while_the_server_is_still_away_shows_what_the_last_one_saw(
    tmp_path: Path, clock: FakeClock
) -> None:
    server = Unpluggable(SqliteStore.open(tmp_path / "server.db"))
    first = OfflineStore(server, Outbox(tmp_path / "outbox.db"), clock)  # type: ignore[arg-type]
    incidents = Incidents(first, clock)
    iid = incidents.declare("Payment API down", "Critical").id
    incidents.note(iid, "before")
    incidents.events(iid)
    server.away = True
    incidents.note(iid, "while away")
    clock.advance(60)
    local = incidents.declare("Checkout slow", "Minor")
    incidents.set_status(local.id, "identified")
    first.outbox.close()  # the cockpit quits (or is killed: each action was fsynced)

    again = OfflineStore(server, Outbox(tmp_path / "outbox.db"), clock)  # type: ignore[arg-type]
    incidents = Incidents(again, clock)
    assert [i.label for i in incidents.list(open_only=True)] == ["INC-L1", f"INC-{iid}"]
    assert [e.text for e in incidents.events(iid)] == ["Payment API down", "before", "while away"]
    assert incidents.get(local.id).status == "identified"
    incidents.note(local.id, "after the restart")
    server.away = False
    done = replay(again, clock)
    assert (done.appended, done.late) == (4, [])
    assert again.link.clear and again.outbox.seen() == {}  # forgotten once all is sent
    evs = server.inner.events(done.declared[local.id])
    assert [e.kind for e in evs] == ["declared", "status_changed", "note"]
    assert Incidents(server.inner, clock).verify_projection(done.declared[local.id]) == []
    again.close()


def test_a_role_queued_blind_by_someone_not_commanding_is_flagged_not_applied(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    iid = Incidents(server.inner, clock, actor="alice").declare("Payment API down", "Critical").id
    store.guess = True  # the command line: it has not read who commands INC-1
    server.away = True
    clock.advance(60)
    assign(Incidents(store, clock, actor="mallory"), iid, "scribe", "mallory")  # queued
    server.away = False
    done = replay(store, clock)
    assert len(done.late) == 1 and "only the incident commander (alice)" in done.late[0]
    evs = server.inner.events(iid)
    assert evs[-1].kind == "note" and evs[-1].data[LATE_FLAG] == done.late[0]
    assert "scribe" not in holders(evs)


def test_what_a_teammate_did_first_meanwhile_is_a_flagged_note_naming_them_not_a_duplicate(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    check = runbook_checks(load_runbook())["mitigation.database.restart-database"]
    alice = Incidents(store, clock, actor="alice")
    iid = alice.declare("Database down", "Critical").id
    alice.events(iid)  # the cockpit shows the incident: its actions are checked against it
    server.away = True
    clock.advance(60)
    set_tick(alice, iid, check.group, check.item, True)
    assign(alice, iid, "scribe", "carol")
    clock.advance(60)
    server.away = False
    bob = Incidents(server.inner, clock, actor="bob")
    first = [
        set_tick(bob, iid, check.group, check.item, True),
        assign(Incidents(server.inner, clock, actor="alice"), iid, "scribe", "carol"),
    ]

    done = replay(store, clock)
    evs = server.inner.events(iid)
    assert [e.kind for e in evs] == ["declared", "check_ticked", "role_assigned", "note", "note"]
    assert [e.actor for e in evs[3:]] == ["alice", "alice"]
    assert "“Restart database if necessary” was already ticked by bob at" in done.late[0]
    assert "carol was already made the scribe by the incident commander (alice)" in done.late[1]
    for late, was in zip(evs[3:], first, strict=True):
        assert (late.data["first"]["at"], late.data["first"]["seq"]) == (to_iso(was.at), was.seq)
    assert list(ticked(evs, check.group)) == [check.item.id]
    assert Incidents(server.inner, clock).verify_projection(iid) == []
    assert Incidents(server.inner, clock).verify(iid).ok


def test_an_untick_a_teammate_made_meanwhile_is_flagged_and_the_check_stays_unticked(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    server, store = team
    check = runbook_checks(load_runbook())["mitigation.database.restart-database"]
    alice = Incidents(store, clock, actor="alice")
    iid = alice.declare("Database down", "Critical").id
    set_tick(alice, iid, check.group, check.item, True)
    alice.events(iid)
    server.away = True
    clock.advance(60)
    set_tick(alice, iid, check.group, check.item, False)  # queued
    server.away = False
    set_tick(Incidents(server.inner, clock, actor="bob"), iid, check.group, check.item, False)

    done = replay(store, clock)
    assert len(done.late) == 1 and "was already unticked by bob" in done.late[0]
    evs = server.inner.events(iid)
    assert [e.kind for e in evs][1:] == ["check_ticked", "check_unticked", "note"]
    assert ticked(evs, check.group) == {}
    assert Incidents(server.inner, clock).verify(iid).ok


def test_a_decision_queued_blind_to_a_teammates_other_decision_is_flagged_not_a_change(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    """Alice's cockpit, away, decides "internal" looking at no decision; meanwhile bob decided
    "external" on the server. Sent, hers is told what the online rule tells: decided already."""
    server, store = team
    alice = Incidents(store, clock, actor="alice")
    iid = alice.declare("Database down", "Critical").id
    alice.events(iid)
    server.away = True
    clock.advance(60)
    alice.decide(iid, "internal", "pool exhausted", seen=None)
    server.away = False
    bob = Incidents(server.inner, clock, actor="bob")
    first = bob.decide(iid, "external", "Stripe is down", seen=None)

    done = replay(store, clock)
    evs = server.inner.events(iid)
    assert [e.kind for e in evs] == ["declared", "decision", "note"]
    assert Incidents(server.inner, clock).get(iid).triage_decision == "external"
    assert "triage was already decided: external" in done.late[0]
    assert evs[2].actor == "alice" and evs[2].data["first"]["seq"] == first.seq
    assert Incidents(server.inner, clock).verify(iid).ok


def test_a_decision_changed_knowingly_while_away_is_recorded_as_a_change(
    team: tuple[Unpluggable, OfflineStore], clock: FakeClock
) -> None:
    """Seeing bob's "external" before the server went away, alice changes it: a change, sent."""
    server, store = team
    alice = Incidents(store, clock, actor="alice")
    iid = alice.declare("Database down", "Critical").id
    Incidents(server.inner, clock, actor="bob").decide(iid, "external", seen=None)
    alice.events(iid)
    alice.get(iid)  # the cockpit read the incident (and bob's decision) before it went away
    server.away = True
    clock.advance(60)
    alice.decide(iid, "internal", "it is our pooler after all", seen="external")
    server.away = False

    replay(store, clock)
    incident = Incidents(server.inner, clock).get(iid)
    assert incident.triage_decision == "internal"
    assert [e.kind for e in server.inner.events(iid)] == ["declared", "decision", "decision"]
