"""The clock rail, driven by a fake clock and hand-emitted ticks."""

from __future__ import annotations

from datetime import timedelta

from stratus_commander.clock import FakeClock, SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.incident.deadlines import ClockState
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import shapes
from stratus_commander.qt.cockpit.clock_rail import ClockRail
from stratus_commander.qt.cockpit.notify import BannerArea, Notifier
from stratus_commander.runbook import Runbook
from stratus_commander.store import open_store
from tests.late_example import record_late_incident, when
from tests.qt.conftest import T0, hm


def _rail(qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock):
    bus = Bus()
    bus.watch_incidents(incidents)
    rail = ClockRail(bus, incidents, runbook, clock)
    qtbot.addWidget(rail)
    alerts: list = []
    rail.alerts.connect(alerts.extend)
    return bus, rail, alerts


def _tile(rail: ClockRail, clock_id: str) -> tuple[str, str, str, str]:
    t = rail.tiles[clock_id]
    return t.property("state"), t.state_word.text(), t.digits.text(), t.detail.text()


def test_triage_goes_pending_due_soon_overdue_late(qtbot, incidents, runbook, clock) -> None:
    incident = incidents.declare("Webhook deliveries failing", "Major")
    bus, rail, alerts = _rail(qtbot, incidents, runbook, clock)
    rail.set_incident(incident)

    clock.advance(minutes=5)
    bus.tick.emit()
    state, word, digits, detail = _tile(rail, "triage")
    assert (state, word, digits) == ("pending", "PENDING", "05:00")
    assert detail.startswith(f"due {hm(10)}")
    assert alerts == []

    clock.advance(seconds=3 * 60 + 30)  # 1:30 left: inside the two-minute warning
    bus.tick.emit()
    assert _tile(rail, "triage")[:3] == ("due soon", "DUE SOON", "01:30")
    assert [(a.clock_id, a.state) for a in alerts] == [("triage", ClockState.DUE_SOON)]
    bus.tick.emit()  # the same transition is announced once
    assert len(alerts) == 1

    clock.advance(seconds=95)  # 5 s past the deadline: counts up
    bus.tick.emit()
    state, word, digits, detail = _tile(rail, "triage")
    assert (state, word, digits) == ("overdue", "OVERDUE", "+00:05")
    assert detail.startswith(f"was due {hm(10)}")
    assert alerts[-1].clock_id == "triage" and alerts[-1].state is ClockState.OVERDUE
    assert rail.order()[0] == "triage"  # the most urgent clock leads the rail

    clock.advance(seconds=25)
    incidents.decide(incident.id, "internal")  # the bus event alone refreshes the rail
    state, word, digits, detail = _tile(rail, "triage")
    # Met 30 s after its deadline: LATE, in its own word, not the green MET.
    assert (state, word, digits) == ("late", "LATE", "00:30 late")
    assert detail.startswith(f"done {hm(10.5)}") and f"was due {hm(10)}" in detail
    assert rail.order()[-1] in ("triage", "declare")  # done clocks go to the end
    bus.tick.emit()
    assert [a.clock_id for a in alerts].count("triage") == 2


def test_shapes_differ_by_state_not_only_colour(qtbot, incidents, runbook, clock) -> None:
    incident = incidents.declare("API down", "Critical")
    bus, rail, _ = _rail(qtbot, incidents, runbook, clock)
    rail.set_incident(incident)
    clock.advance(minutes=9)  # escalate (5 min) overdue, triage (10) due soon, comms pending
    bus.tick.emit()
    images = {
        cid: rail.tiles[cid].icon.pixmap().toImage()
        for cid in ("escalate", "triage", "communicate", "declare")
    }
    states = {cid: rail.tiles[cid].property("state") for cid in images}
    assert states == {
        "escalate": "overdue",
        "triage": "due soon",
        "communicate": "pending",
        "declare": "met",
    }
    # Four states, four different pictures (shape, not just tint: compare alpha masks).
    masks = {cid: img.createAlphaMask() for cid, img in images.items()}
    assert len({bytes(m.constBits()) for m in masks.values()}) == 4
    assert rail.tiles["escalate"].detail.text().endswith("→ CTO, Head of Engineering")


def test_before_declaration_only_declare_runs_from_the_evidence(
    qtbot, incidents, runbook, clock
) -> None:
    bus, rail, alerts = _rail(qtbot, incidents, runbook, clock)
    assert _tile(rail, "declare")[2] == "--:--"
    assert "first failing probe" in _tile(rail, "declare")[3]
    rail.set_detection(T0 - timedelta(minutes=1))
    assert _tile(rail, "declare")[:3] == ("pending", "PENDING", "04:00")
    for cid in ("triage", "communicate", "next_update", "escalate", "pir"):
        state, word, digits, _ = _tile(rail, cid)
        assert (state, word, digits) == ("waiting", "NOT STARTED", "--:--")
    clock.advance(minutes=4, seconds=1)
    bus.tick.emit()
    assert _tile(rail, "declare")[:3] == ("overdue", "OVERDUE", "+00:01")
    # No tick fell inside the two-minute warning: only the transition that happened is raised.
    assert [(a.clock_id, a.state) for a in alerts] == [("declare", ClockState.OVERDUE)]


def test_next_update_rearms_after_each_update(qtbot, incidents, runbook, clock) -> None:
    incident = incidents.declare("API down", "Minor")
    bus, rail, alerts = _rail(qtbot, incidents, runbook, clock)
    rail.set_incident(incident)
    incidents.record(incident.id, "message_sent", "Investigating", {"channel": "status page"})
    assert _tile(rail, "next_update")[:3] == ("pending", "PENDING", "30:00")
    clock.advance(minutes=28, seconds=30)
    bus.tick.emit()
    assert _tile(rail, "next_update")[0] == "due soon"
    incidents.record(incident.id, "message_sent", "Update", {"channel": "status page"})
    assert _tile(rail, "next_update")[:3] == ("pending", "PENDING", "30:00")
    clock.advance(minutes=28, seconds=30)
    bus.tick.emit()
    soon = [a for a in alerts if a.clock_id == "next_update"]
    assert len(soon) == 2 and soon[0].due_at != soon[1].due_at  # a new deadline warns again


def test_banners_say_what_to_do_and_retire_when_met(qtbot, incidents, runbook, clock) -> None:
    incident = incidents.declare("API down", "Minor")
    bus, rail, _ = _rail(qtbot, incidents, runbook, clock)
    banners = BannerArea()
    qtbot.addWidget(banners)
    notifier = Notifier(banners, {"triage": "Ctrl+1"})
    rail.alerts.connect(notifier.notify)
    rail.set_incident(incident)
    clock.advance(minutes=10, seconds=1)
    bus.tick.emit()
    assert banners.order() == ["clock:triage"]
    assert banners.severity("clock:triage") == "overdue"
    (text,) = banners.texts()
    assert text.startswith(f"OVERDUE — TRIAGE was due at {hm(10)}")
    assert "choose internal / external / unknown (Ctrl+1)" in text
    assert notifier.history[-1][0] == "TRIAGE OVERDUE"
    incidents.decide(incident.id, "external")
    notifier.retire({r.id: r.state for r in rail.readings})
    assert banners.order() == []


def test_resolution_freezes_unmet_clocks_and_raises_no_alarm(
    qtbot, incidents, runbook, clock
) -> None:
    incident = incidents.declare("Webhook deliveries failing", "Minor")
    bus, rail, alerts = _rail(qtbot, incidents, runbook, clock)
    rail.set_incident(incident)
    clock.advance(minutes=40)
    incidents.resolve(incident.id)
    rail.set_incident(incidents.get(incident.id))
    clock.advance(hours=5)
    alerts.clear()
    bus.tick.emit()
    state, word, digits, detail = _tile(rail, "communicate")
    assert (state, word, digits) == ("missed", "MISSED", "+25:00")  # frozen at resolution
    assert "stopped at resolution" in detail
    assert _tile(rail, "escalate")[:3] == ("not needed", "NOT NEEDED", "20:00")
    assert not [a for a in alerts if a.clock_id in ("communicate", "escalate", "triage")]


def test_the_issue_example_reads_late_not_a_green_check(qtbot, runbook, tmp_path) -> None:
    """Last update 14:45, resolved 16:10 (recorded by the CLI): NEXT UPDATE is LATE by 55:00,
    in its own shape, word and colour; the review, completed two weeks on, LATE too."""
    db = tmp_path / "incidents.db"
    record_late_incident(db, tmp_path)
    store = open_store(db)
    incidents = Incidents(store, SystemClock())
    bus = Bus()
    rail = ClockRail(bus, incidents, runbook, SystemClock())
    qtbot.addWidget(rail)
    rail.set_incident(incidents.get(1))
    state, word, digits, detail = _tile(rail, "next_update")
    assert (state, word, digits) == ("late", "LATE", "55:00 late")
    local_hm = when("16:10").astimezone().strftime("%H:%M")
    assert detail.startswith(f"done {local_hm}")
    state, word, digits, _ = _tile(rail, "pir")
    assert (state, word) == ("late", "LATE") and digits.endswith(" late") and "d" in digits
    assert _tile(rail, "triage")[:2] == ("met", "MET")
    # LATE is not MET: another picture (shape), another colour.
    late, met = rail.tiles["next_update"], rail.tiles["triage"]
    masks = [t.icon.pixmap().toImage().createAlphaMask() for t in (late, met)]
    assert bytes(masks[0].constBits()) != bytes(masks[1].constBits())
    assert shapes.clock_colors(ClockState.LATE) != shapes.clock_colors(ClockState.MET)
    store.close()
