"""Render issue 15's screens to resources/screenshots/ (offscreen): the clock rail with LATE
clocks, the read-only cockpit of a closed incident, and the incident library table.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/make_late_screenshots.py

The closed incident is issue 15's example, recorded through the command line (last update 14:45,
resolved 16:10: NEXT UPDATE 55 min LATE; its review completed two weeks on: LATE too), beside an
open incident, a drill and an on-time one.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TMP = Path(tempfile.mkdtemp(prefix="stratus-late-shots-"))
os.environ["XDG_CONFIG_HOME"] = str(TMP / "config")  # never the user's own window settings
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from stratus_commander.clock import SystemClock  # noqa: E402
from stratus_commander.incident import Incidents  # noqa: E402
from stratus_commander.qt import theme  # noqa: E402
from stratus_commander.qt.application import ensure_app  # noqa: E402
from stratus_commander.qt.bus import Bus  # noqa: E402
from stratus_commander.qt.cockpit import Cockpit  # noqa: E402
from stratus_commander.qt.library import LibraryWindow  # noqa: E402
from stratus_commander.resources import resource_path  # noqa: E402
from stratus_commander.runbook import load_runbook  # noqa: E402
from stratus_commander.store import open_store  # noqa: E402
from tests.late_example import at, cli, record_late_incident  # noqa: E402


def more_incidents(db: Path) -> None:
    """An on-time Major, a drill and an open Minor, after the example."""
    cli(db, "incidents", "declare", "--title", "Webhook deliveries delayed", "--impact", "major",
        "--detected-at", at("18:00"), "--at", at("18:03"))  # fmt: skip
    cli(db, "incidents", "triage", "2", "external", "--at", at("18:08"))
    cli(db, "incidents", "escalate", "2", "--to", "Engineering Lead", "--at", at("18:10"))
    cli(db, "incidents", "update", "2", "--text", "Stripe is delayed.", "--at", at("18:12"))
    cli(db, "incidents", "update", "2", "--text", "Recovering.", "--at", at("18:40"))
    cli(db, "incidents", "resolve", "2", "--at", at("18:55"))
    with open_store(db) as store:  # a drill, as the drill window records one
        drills = Incidents(store, SystemClock())
        drill = drills.declare("Drill: database pool exhausted", "Critical", drill=True)
        drills.resolve(drill.id)
    cli(db, "incidents", "declare", "--title", "Status page slow to load", "--impact", "minor")


def main(out: Path) -> None:
    app = ensure_app()
    theme.apply_theme(app, "light")
    db = TMP / "incidents.db"
    record_late_incident(db, TMP)
    more_incidents(db)
    runbook = load_runbook()
    clock = SystemClock()

    library = LibraryWindow(db, runbook, clock)
    library.resize(1280, 420)
    library.show()
    app.processEvents()
    library.grab().save(str(out / "library.png"))
    library.close()

    store = open_store(db)
    window = Cockpit(Bus(), Incidents(store, clock), runbook, clock, db_path=db)
    window.resize(1440, 900)
    window.show()
    window.open_incident(1)
    if window.review_window is not None:
        window.review_window.close()  # the cockpit behind it, for the picture
    app.processEvents()
    rail = window.stack.currentWidget()
    window.grab().save(str(out / "cockpit-closed-read-only.png"))
    rail_widget = next(w for w in rail.children() if type(w).__name__ == "ClockRail")
    rail_widget.grab().save(str(out / "rail-late.png"))
    window.close()
    store.close()


if __name__ == "__main__":
    main(resource_path("screenshots"))
