"""Render a drill's debrief window and the library's Drills view to resources/screenshots/
(debrief.png, drills.png; offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/make_debrief_screenshot.py [DIR]

The payment-processing-down drill of the README's example, recorded through the domain: Stripe
flips down at scenario minute 1, declared at 2, triaged internal at 4 (external was expected),
the first update at 19 (COMMUNICATE due at 17), escalated to the CTO only, resolved at 36. The
Drills view: three weekly rehearsals of the same drill (tests/debrief_kit.py), each faster.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TMP = Path(tempfile.mkdtemp(prefix="stratus-debrief-"))
os.environ["XDG_CONFIG_HOME"] = str(TMP / "config")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.debrief_kit

from stratus_commander.clock import FakeClock, to_ms  # noqa: E402
from stratus_commander.debrief import build_debrief, record_view  # noqa: E402
from stratus_commander.incident import DrillRun, Incidents  # noqa: E402
from stratus_commander.qt import theme  # noqa: E402
from stratus_commander.qt.application import ensure_app  # noqa: E402
from stratus_commander.qt.review.debrief_view import DebriefWindow  # noqa: E402
from stratus_commander.qt.review.drills_view import DrillsWindow  # noqa: E402
from stratus_commander.resources import resource_path  # noqa: E402
from stratus_commander.runbook import load_runbook  # noqa: E402
from stratus_commander.store import open_store  # noqa: E402
from tests.debrief_kit import record_drills  # noqa: E402

START = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


def minute(n: float) -> datetime:
    return START + timedelta(minutes=n)


def main(out: Path) -> None:
    app = ensure_app()
    theme.apply_theme(app, "light")
    store = open_store(TMP / "drill.db")
    clock = FakeClock(minute(2))
    inc = Incidents(store, clock, actor="alice")
    for at, probe, check, before, now in [
        (1, "stripe-api", "external", "up", "down"),
        (1.1, "api-health", "api", "up", "down"),
        (2, "stripe-status", "external", "up", "down"),
        (25, "stripe-api", "external", "down", "up"),
        (25.1, "stripe-status", "external", "down", "degraded"),
        (35, "stripe-status", "external", "degraded", "up"),
        (35, "api-health", "api", "down", "up"),
    ]:
        store.add_flip(probe, "drill", check, to_ms(minute(at)), before, now, "")
    incident = inc.declare(
        "Stripe payments failing",
        "Critical",
        ["API", "Webhooks"],
        detected_at=minute(1),
        drill_run=DrillRun("payment-processing-down", START),
    )
    steps = [
        (2.2, lambda: record_view(inc, incident.id, "triage")),
        (3.0, lambda: record_view(inc, incident.id, "graphs")),
        (4, lambda: inc.decide(incident.id, "internal", "our API answers 503")),
        (9, lambda: inc.escalate(incident.id, ["CTO"], "paged")),
        (15, lambda: record_view(inc, incident.id, "communicate")),
        (19, lambda: inc.send_update(incident.id, "Card payments are failing.", "status_page")),
        (36, lambda: inc.resolve(incident.id, "Stripe recovered")),
        (37, lambda: inc.send_update(incident.id, "Resolved.", "status_page")),
    ]
    for at, action in steps:
        clock.set(minute(at))
        action()
    window = DebriefWindow(build_debrief(inc, load_runbook(), incident.id))
    window.resize(1100, 900)
    window.show()
    app.processEvents()
    window.grab().save(str(out / "debrief.png"))
    window.close()
    store.close()
    drills(out)


def drills(out: Path) -> None:
    app = ensure_app()
    path = TMP / "drills.db"
    store = open_store(path)
    clock = FakeClock(START)
    record_drills(Incidents(store, clock), clock, START)
    store.close()
    window = DrillsWindow(path, load_runbook(), clock)
    window.resize(1200, 860)
    window.show()
    while window.table.rowCount() == 0:  # the debriefs are built on a worker thread
        app.processEvents()
    app.processEvents()
    window.grab().save(str(out / "drills.png"))
    window.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else resource_path("screenshots")
    target.mkdir(parents=True, exist_ok=True)
    main(target)
    print(f"debrief and drills screenshots in {target}")
