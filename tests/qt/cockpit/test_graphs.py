"""Graphs: fixed-size buffers, live group metrics, markers, and history from the store."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import numpy as np

from stratus_commander.clock import to_ms
from stratus_commander.probes.base import Outcome, ProbeResult, StateChange
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit.graphs import GraphsPanel, Ring
from stratus_commander.store import SampleRow, open_store
from tests.qt.conftest import T0


def test_ring_keeps_the_newest_points_in_order_without_copying() -> None:
    ring = Ring(4)
    for i in range(11):
        ring.append(float(i), float(10 * i))
    t, y = ring.view()
    assert t.tolist() == [7.0, 8.0, 9.0, 10.0]
    assert y.tolist() == [70.0, 80.0, 90.0, 100.0]
    assert t.base is not None  # a view into the fixed buffer, not a copy
    assert ring._t.nbytes == 2 * 4 * 8  # memory is fixed whatever the run length
    ring.extend(np.arange(100.0, 110.0), np.zeros(10))
    assert ring.view()[0].tolist() == [106.0, 107.0, 108.0, 109.0]


def _result(probe: str, check: str, outcome: Outcome, s: int, latency: float, rate: float):
    return ProbeResult(
        probe,
        "http",
        check,
        outcome,
        latency,
        outcome.value,
        T0 + timedelta(seconds=s),  # type: ignore[arg-type]
        {"error_rate": rate},
    )


def _panel(qtbot, incidents, runbook, clock) -> tuple[Bus, GraphsPanel]:
    bus = Bus()
    bus.watch_incidents(incidents)
    panel = GraphsPanel(bus, incidents, runbook, clock, capacity=64)
    qtbot.addWidget(panel)
    panel.show()
    return bus, panel


def test_live_latency_error_rate_availability_and_markers(qtbot, incidents, runbook, clock) -> None:
    bus, panel = _panel(qtbot, incidents, runbook, clock)
    bus.probe_result.emit(_result("api-health", "api", Outcome.DOWN, 0, 120.0, 0.5))
    bus.probe_result.emit(_result("api-2", "api", Outcome.UP, 0, 30.0, 0.0))
    bus.probe_result.emit(_result("stripe-status", "external", Outcome.UNKNOWN, 0, None, np.nan))
    bus.tick.emit()
    assert panel.rings["availability:api"].view()[1].tolist() == [50.0]
    assert panel.rings["error:api"].view()[1].tolist() == [25.0]
    assert np.isnan(panel.rings["availability:external"].view()[1][0])  # unknown is a gap, not 0 %
    panel.redraw_now()
    assert panel.point_count("latency:api-health") == 1
    assert panel.point_count("availability:api") == 1

    bus.probe_flip.emit(
        StateChange("api-health", "http", "api", Outcome.UP, Outcome.DOWN, T0, "HTTP 500")
    )
    incident = incidents.declare("API down", "Critical")
    panel.set_incident(incident)
    clock.advance(minutes=3)
    incidents.set_status(incident.id, "identified")
    assert panel.marker_labels() == ["api-health down", "declared", "identified"]


def test_history_from_the_store_fills_the_same_curves(
    qtbot, arun, incidents, runbook, clock, db_path
) -> None:
    store = open_store(db_path)
    rows = []
    for i in range(120):  # two minutes: up, then down from the 60th second
        outcome = "up" if i < 60 else "down"
        rows.append(
            SampleRow(
                "api-health",
                "http",
                "api",
                to_ms(T0 + timedelta(seconds=i)),
                outcome,
                20.0 + i,
                None if outcome == "up" else "HTTP 500",
                json.dumps({"error_rate": 0.0 if outcome == "up" else 1.0}),
            )
        )
    store.add_samples(rows)
    store.add_flip("api-health", "http", "api", to_ms(T0 + timedelta(seconds=62)), "up", "down", "")
    store.close()

    _, panel = _panel(qtbot, incidents, runbook, clock)
    n = arun(panel.load_history(db_path, T0 - timedelta(minutes=1), T0 + timedelta(minutes=3)))
    # 4 minutes in 64 buckets of 3.75 s: 120 samples fold into 32 points, each bucket's worst.
    assert n == 32
    t, y = panel.rings["latency:api-health"].view()
    assert len(t) == 32 and y.max() == 139.0
    avail = panel.rings["availability:api"].view()[1]
    assert np.isnan(avail[0])  # before the first sample: a gap, not an outage
    assert avail[-1] == 0.0 and 100.0 in avail.tolist()
    assert panel.marker_labels() == ["api-health down"]
    assert "1 probe(s), 32 point(s)" in panel.note.text()


def test_history_from_a_team_server_that_is_away_keeps_what_the_graphs_show(
    qtbot, arun, incidents, runbook, clock
) -> None:
    bus, panel = _panel(qtbot, incidents, runbook, clock)
    bus.probe_result.emit(_result("api-health", "api", Outcome.DOWN, 0, 120.0, 0.5))
    bus.tick.emit()
    with socket.socket() as s:  # a port nothing listens on: the server is away
        s.bind(("127.0.0.1", 0))
        url = f"postgresql://team@127.0.0.1:{s.getsockname()[1]}/incidents"
    n = arun(panel.load_history(url, T0 - timedelta(minutes=1), T0 + timedelta(minutes=3)))
    assert n == 0
    assert "unavailable while the team server is away" in panel.note.text()
    assert panel.rings["latency:api-health"].view()[1].tolist() == [120.0]  # still shown


def test_many_probes_draw_group_median_and_highest_latency(
    qtbot, incidents, runbook, clock
) -> None:
    bus, panel = _panel(qtbot, incidents, runbook, clock)
    panel.set_probe_count(20)  # beyond a readable (and paintable) line per probe
    for i in range(20):
        bus.probe_result.emit(_result(f"p{i}", "api", Outcome.UP, 0, float(i), 0.0))
    bus.tick.emit()
    assert sorted(panel.latency_keys()) == sorted(
        f"latency:{c}:{s}"
        for c in ("api", "webhooks", "database", "external")
        for s in ("median", "max")
    )
    assert panel.rings["latency:api:median"].view()[1].tolist() == [9.5]
    assert panel.rings["latency:api:max"].view()[1].tolist() == [19.0]
    assert panel.point_count("latency:api:max") == 1
