from datetime import UTC, datetime

from stratus_commander.clock import FakeClock
from stratus_commander.incident import Incidents
from stratus_commander.incident.checklists import set_tick, ticked
from stratus_commander.runbook import load_runbook
from stratus_commander.store import SqliteStore

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
RUNBOOK = load_runbook()


def test_ticks_fold_per_group_last_event_wins() -> None:
    clock = FakeClock(T0)
    inc = Incidents(SqliteStore.memory(), clock)
    incident = inc.declare("API down", "Major")
    logs, restart = RUNBOOK.mitigation["api"][:2]
    set_tick(inc, incident.id, "mitigate:api", logs, True, "API issues")
    clock.advance(60)
    set_tick(inc, incident.id, "mitigate:api", restart, True)
    set_tick(inc, incident.id, "playbook:high-error-rates", logs, True)
    clock.advance(60)
    event = set_tick(inc, incident.id, "mitigate:api", logs, False)
    assert (event.kind, event.text) == ("check_unticked", "Unticked: Check application logs")

    evs = inc.events(incident.id)
    assert ticked(evs, "mitigate:api") == {restart.id: T0.replace(minute=31)}
    assert ticked(evs, "playbook:high-error-rates") == {logs.id: T0.replace(minute=31)}
    assert ticked(evs, "status_page") == {}
