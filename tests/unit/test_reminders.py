from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.errors import DomainRefused, InputError
from stratus_commander.incident import Incidents, reminders
from stratus_commander.store import SqliteStore, open_store

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def inc(clock: FakeClock) -> Incidents:
    return Incidents(SqliteStore.memory(), clock)


def test_a_reminder_is_due_at_set_time_plus_minutes(inc: Incidents, clock: FakeClock) -> None:
    incident = inc.declare("Webhooks failing", "Major")
    clock.advance(minutes=2)
    event = reminders.set_reminder(inc, incident.id, " Dana ", "replay failed webhooks", 10)
    assert event.kind == "reminder_set"
    assert event.data == {
        "who": "Dana",
        "task": "replay failed webhooks",
        "minutes": 10,
        "due_at": "2026-11-27T14:42:00.000Z",
    }
    assert "Back to you in 10 min" in event.text

    evs = inc.events(incident.id)
    (reminder,) = reminders.open_reminders(evs)
    assert (reminder.id, reminder.due_at) == (event.seq, T0 + timedelta(minutes=12))
    assert reminders.due(evs, T0 + timedelta(minutes=11, seconds=59)) == []
    assert reminders.due(evs, T0 + timedelta(minutes=12)) == [reminder]
    assert reminder.remaining(T0 + timedelta(minutes=13)) == timedelta(minutes=-1)


def test_raised_once_then_done(inc: Incidents, clock: FakeClock) -> None:
    incident = inc.declare("DB pool exhausted", "Critical")
    reminders.set_reminder(inc, incident.id, "Sam", "restart the API", 5)
    reminders.set_reminder(inc, incident.id, "Ana", "call Supabase", 15)
    clock.advance(minutes=6)
    (first,) = reminders.to_raise(inc.events(incident.id), clock.now())
    assert first.who == "Sam"
    reminders.raise_due(inc, incident.id, first)

    evs = inc.events(incident.id)
    assert reminders.to_raise(evs, clock.now()) == []  # raised once, not every tick
    (still_due,) = reminders.due(evs, clock.now())
    assert still_due.raised_at == clock.now()

    clock.advance(minutes=1)
    reminders.mark_done(inc, incident.id, still_due)
    evs = inc.events(incident.id)
    assert reminders.due(evs, clock.now()) == []
    assert [r.who for r in reminders.open_reminders(evs)] == ["Ana"]
    done = reminders.reminders(evs)[0]
    assert done.done_at == clock.now() and not done.is_due(clock.now() + timedelta(hours=1))
    with pytest.raises(DomainRefused):
        reminders.mark_done(inc, incident.id, done)


def test_open_reminders_soonest_first(inc: Incidents) -> None:
    incident = inc.declare("API slow", "Minor")
    reminders.set_reminder(inc, incident.id, "Late", "x", 30)
    reminders.set_reminder(inc, incident.id, "Soon", "y", 3)
    assert [r.who for r in reminders.open_reminders(inc.events(incident.id))] == ["Soon", "Late"]


@pytest.mark.parametrize(
    ("who", "task", "minutes", "where"),
    [
        ("", "t", 5, "who"),
        ("a", "  ", 5, "task"),
        ("a", "t", 0, "minutes"),
        ("a", "t", 1441, "minutes"),
    ],
)
def test_bad_input_names_the_field(
    inc: Incidents, who: str, task: str, minutes: int, where: str
) -> None:
    incident = inc.declare("API slow", "Minor")
    with pytest.raises(InputError) as err:
        reminders.set_reminder(inc, incident.id, who, task, minutes)
    assert err.value.where == where
    assert reminders.reminders(inc.events(incident.id)) == []


def test_reminders_survive_reopening_the_database(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    path = tmp_path / "incidents.db"
    with open_store(path) as store:
        inc = Incidents(store, clock)
        incident = inc.declare("Webhooks failing", "Major")
        reminders.set_reminder(inc, incident.id, "Dana", "replay webhooks", 10)
    clock.advance(minutes=30)
    with open_store(path) as store:
        evs = Incidents(store, clock).events(incident.id)
        (due,) = reminders.to_raise(evs, clock.now())
    assert (due.who, due.due_at) == ("Dana", T0 + timedelta(minutes=10))
