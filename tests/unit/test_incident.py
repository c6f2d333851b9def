from datetime import UTC, datetime, timedelta

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.errors import DomainRefused, InputError, NotFound
from stratus_commander.incident import Incidents, parse_incident_id
from stratus_commander.store import SqliteStore

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


@pytest.fixture
def inc() -> Incidents:
    return Incidents(SqliteStore.memory(), FakeClock(T0))


def test_declare_records_every_field(inc: Incidents) -> None:
    incident = inc.declare(
        "  Payment Processing   API Down ",
        "critical",
        ["api", "Webhooks"],
        ["Stripe Connect API", "Payment Intents"],
        detected_at=T0 - timedelta(minutes=3),
    )
    assert incident.title == "Payment Processing API Down"
    assert incident.impact == "Critical"
    assert incident.scope == ("API", "Webhooks")
    assert incident.affected_services == ("Stripe Connect API", "Payment Intents")
    assert incident.detected_at == T0 - timedelta(minutes=3)
    assert incident.declared_at == T0
    assert incident.status == "investigating"
    assert incident.label == f"INC-{incident.id}"
    assert inc.last_open() == incident


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"title": "  ", "impact": "Major"}, "title"),
        ({"title": "x", "impact": "Catastrophic"}, "impact"),
        ({"title": "x", "impact": "Minor", "scope": ["Mainframe"]}, "scope"),
        ({"title": "x", "impact": "Minor", "detected_at": T0 + timedelta(hours=1)}, "detected at"),
    ],
)
def test_bad_declarations_name_the_field(inc: Incidents, kwargs: dict, where: str) -> None:
    with pytest.raises(InputError) as info:
        inc.declare(**kwargs)
    assert info.value.where == where
    assert inc.list() == []


def test_status_flow_sets_milestones(inc: Incidents) -> None:
    iid = inc.declare("DB pool exhausted", "Major").id
    inc.clock.advance(minutes=4)  # type: ignore[attr-defined]
    inc.decide(iid, "internal", "own checks failing")
    inc.record(iid, "message_sent", "Investigating posted", {"channel": "status page"})
    inc.set_status(iid, "identified")
    inc.clock.advance(minutes=10)  # type: ignore[attr-defined]
    inc.set_status(iid, "monitoring")
    inc.clock.advance(minutes=10)  # type: ignore[attr-defined]
    inc.resolve(iid)
    incident = inc.get(iid)
    assert incident.triaged_at == T0 + timedelta(minutes=4)
    assert incident.triage_decision == "internal"
    assert incident.first_update_at == incident.last_update_at == T0 + timedelta(minutes=4)
    assert incident.mitigated_at == T0 + timedelta(minutes=14)
    assert incident.resolved_at == T0 + timedelta(minutes=24)
    assert incident.status == "resolved"
    assert not incident.is_open
    assert inc.last_open() is None
    assert inc.verify_projection(iid) == []


def test_reopening_clears_resolution(inc: Incidents) -> None:
    iid = inc.declare("x", "Minor").id
    inc.resolve(iid)
    inc.set_status(iid, "investigating", "it came back")
    assert inc.get(iid).resolved_at is None
    assert inc.get(iid).is_open


def test_refusals(inc: Incidents) -> None:
    iid = inc.declare("x", "Minor").id
    with pytest.raises(DomainRefused, match="already investigating"):
        inc.set_status(iid, "investigating")
    with pytest.raises(InputError, match="close"):
        inc.set_status(iid, "closed")
    with pytest.raises(NotFound, match="INC-99"):
        inc.note(99, "hello")
    with pytest.raises(InputError):
        inc.note(iid, "   ")


def test_edited_incident_row_disagrees_with_its_timeline(inc: Incidents) -> None:
    iid = inc.declare("x", "Minor").id
    inc.store.conn.execute("UPDATE incidents SET impact = 'Critical' WHERE id = ?", [iid])
    assert inc.verify_projection(iid) == ["impact"]


def test_listeners_hear_every_committed_event(inc: Incidents) -> None:
    heard: list[str] = []
    inc.subscribe(lambda incident, event: heard.append(f"{incident.status}:{event.kind}"))
    iid = inc.declare("x", "Minor").id
    inc.note(iid, "hi")
    inc.resolve(iid)
    assert heard == ["investigating:declared", "investigating:note", "resolved:status_changed"]


def test_full_text_search_over_titles_and_notes(inc: Incidents) -> None:
    a = inc.declare("Webhook deliveries failing", "Major").id
    b = inc.declare("Database pool exhausted", "Critical").id
    inc.note(b, "PgBouncer restarted by Priya")
    assert [i.id for i in inc.search("webhook")] == [a]
    assert [i.id for i in inc.search("pgbouncer")] == [b]
    assert [i.id for i in inc.search("PgBounc")] == [b]  # the last word may be a prefix
    assert [i.id for i in inc.search("pool exh")] == [b]
    assert inc.search('"; DROP TABLE') == []


@pytest.mark.parametrize(("text", "expected"), [("7", 7), ("INC-12", 12), ("inc-3", 3)])
def test_incident_ids(text: str, expected: int) -> None:
    assert parse_incident_id(text) == expected


def test_bad_incident_id() -> None:
    with pytest.raises(InputError, match="not an incident id"):
        parse_incident_id("seven")


def test_an_action_and_its_own_tables_roll_back_together(inc: Incidents) -> None:
    iid = inc.declare("x", "Minor").id
    heard: list[str] = []
    inc.subscribe(lambda incident, event: heard.append(event.kind))
    with pytest.raises(InputError), inc.store.write():
        inc.note(iid, "written, then undone with the rest")
        inc.note(iid, "   ")  # refused: the whole action goes
    assert [e.kind for e in inc.events(iid)] == ["declared"]
    assert heard == []
    assert inc.verify(iid).ok
