"""Render the cockpit mid-drill, light and in the desktop's dark scheme, the About dialog, the
Open team database dialog, and the library's Insights view over half a year of generated
incidents, to resources/screenshots/ (offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/make_screenshots.py

A real drill (payment-processing-down) on the loopback simulator. Everything — runbook clocks,
probes, simulator — runs on one clock 10 times faster than the wall, so 45 s reach the state of
an incident declared six minutes ago (ESCALATE overdue, TRIAGE met) while Stripe is still down.
The dark shot is the desktop turning dark (QStyleHints.colorSchemeChanged) with no palette picked:
the cockpit follows it. The team database dialog offers the URL remembered from last time and
says why it cannot connect (db.example.com does not resolve). The Insights shot: 60 incidents
over six months (seeded), a team getting faster month by month, a few credits paid.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TMP = Path(tempfile.mkdtemp(prefix="stratus-shots-"))
os.environ["XDG_CONFIG_HOME"] = str(TMP / "config")  # never the user's own window settings
os.environ["XDG_STATE_HOME"] = str(TMP / "state")  # nor the user's own log

import qasync  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from stratus_commander import credits as cr  # noqa: E402
from stratus_commander.clock import FakeClock, SystemClock, to_ms, truncate_ms  # noqa: E402
from stratus_commander.incident import Incidents  # noqa: E402
from stratus_commander.logs import setup_logging, teardown_logging  # noqa: E402
from stratus_commander.qt import theme  # noqa: E402
from stratus_commander.qt.app import open_settings  # noqa: E402
from stratus_commander.qt.application import ensure_app  # noqa: E402
from stratus_commander.qt.cockpit import Cockpit  # noqa: E402
from stratus_commander.qt.review.insights_view import InsightsWindow  # noqa: E402
from stratus_commander.qt.session import CockpitApp  # noqa: E402
from stratus_commander.qt.team_database import SETTINGS_KEY  # noqa: E402
from stratus_commander.resources import resource_path  # noqa: E402
from stratus_commander.runbook import load_runbook  # noqa: E402
from stratus_commander.session import Session  # noqa: E402
from stratus_commander.store import SampleRow, open_store  # noqa: E402

FAST = 10.0
DRILL_SPEED = 3.0  # scenario time per (fast) second: Stripe stays down through the shots


class FastClock:
    def __init__(self) -> None:
        self._start = SystemClock().now()

    def now(self) -> datetime:
        real = SystemClock().now()
        return truncate_ms(self._start + (real - self._start) * FAST)


async def main(out: Path) -> None:
    app = CockpitApp(
        Session(TMP / "drill.db", runbook=load_runbook(), clock=FastClock()),
        settings=open_settings(),
    )
    app.start_drill("payment-processing-down", DRILL_SPEED)
    stop = asyncio.Event()

    async def commander() -> None:
        w = app.window
        w.resize(1440, 900)
        await asyncio.sleep(6)  # scenario minute 3: Stripe down, the DECLARE clock running
        w.grab().save(str(out / "cockpit-predeclare.png"))
        w.declare()
        dialog = w._dialog
        assert dialog is not None
        dialog.title_edit.setText("Stripe payments failing")
        dialog.impact_combo.setCurrentText("Critical")
        dialog.affected_edit.setText("Stripe Connect API, Payment Intents, Webhook Processing")
        dialog.accept()
        incident = w.incident
        assert incident is not None
        await asyncio.sleep(6)
        w.triage.groups["api"].checks["api-logs"].click()
        w.triage.groups["webhooks"].checks["webhook-logs"].click()
        w.triage.decision.buttons["external"].click()
        await asyncio.sleep(30)  # six minutes after the declaration: ESCALATE overdue
        w.show_tab(0)
        await asyncio.sleep(1.2)
        w.grab().save(str(out / "cockpit-light.png"))
        hints = ensure_app().styleHints()
        assert w.theme_choice == theme.SYSTEM  # no palette picked: the desktop's scheme rules
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the desktop turns dark
        w.show_tab(1)
        await asyncio.sleep(1.2)
        w.graphs.redraw_now()
        w.grab().save(str(out / "cockpit-dark.png"))
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        w.show_about()
        assert w.about is not None
        await asyncio.sleep(0.5)
        w.about.grab().save(str(out / "about.png"))
        w.about.close()
        await team_dialog(w, out)
        stop.set()

    async def team_dialog(w: Cockpit, out: Path) -> None:
        assert w.settings is not None
        w.settings.setValue(SETTINGS_KEY, "postgresql://responders@db.example.com:5432/incidents")
        w.open_team_database()
        assert w.team_library is not None and w.team_library.dialog is not None
        dialog = w.team_library.dialog
        dialog.accept()  # connects off the UI thread; the name does not resolve here
        for _ in range(300):
            if dialog.status.property("state") == "failed":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        dialog.grab().save(str(out / "open-team-database.png"))
        dialog.reject()

    driver = asyncio.ensure_future(commander())
    await app.run(stop)
    await driver


TITLES = ("Stripe webhooks delayed", "Card payments failing", "Booking API 503s",
          "Database pool exhausted", "Payouts stuck", "Login slow")  # fmt: skip


def generate_incidents(path: Path) -> FakeClock:
    """60 incidents, January to June 2026 (seeded): each month declared, triaged and updated a
    little faster; a third escalated late, a few never; most reviews done within 48 h; credits
    for a handful of outages (the API down, sampled each minute)."""
    rng = random.Random(15)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = FakeClock(datetime(2026, 7, 3, tzinfo=UTC))
    runbook = load_runbook()
    minute = timedelta(minutes=1)
    with open_store(path) as store:
        inc = Incidents(store, clock, actor="alice")
        for month in range(6):
            pace = 1.6 - 0.18 * month  # the team gets faster
            for k in range(10):
                detected = start.replace(month=month + 1) + timedelta(
                    days=rng.randrange(0, 27), hours=rng.randrange(0, 23)
                )
                impact = rng.choices(["Critical", "Major", "Minor"], [2, 5, 3])[0]
                declared = detected + minute * max(1, round(rng.uniform(1, 7) * pace))
                i = inc.declare(rng.choice(TITLES), impact, detected_at=detected,
                                declared_at=declared, drill=k == 9)  # fmt: skip
                inc.decide(
                    i.id, "internal", at=declared + minute * round(rng.uniform(3, 13) * pace)
                )
                first = declared + minute * round(rng.uniform(6, 18) * pace)
                inc.send_update(i.id, "Investigating", at=first)
                if rng.random() < 0.9:
                    due = runbook.clock("escalate").due_after_for(impact)
                    late = rng.random() < 0.35
                    inc.escalate(
                        i.id, ["On-call Engineer"], at=declared + due * (1.4 if late else 0.6)
                    )
                resolved = first + minute * rng.randrange(10, 29)
                if rng.random() < 0.4:
                    inc.send_update(i.id, "Mitigating", at=resolved)
                    resolved += minute * rng.randrange(10, 45)
                inc.resolve(i.id, at=resolved)
                if rng.random() < 0.8:
                    done = resolved + timedelta(hours=rng.choice([20, 30, 40, 60]))
                    inc.record(i.id, "review", "Post-incident review completed",
                               {"completed": True}, allow_closed=True, at=done)  # fmt: skip
                if impact == "Critical" and k % 3 == 0:
                    down = int((resolved - detected) / minute)
                    store.add_samples(
                        SampleRow("api-health", "http", "api", to_ms(detected) + m * 60_000,
                                  "down" if m < down else "up", 40.0)
                        for m in range(down + 5)
                    )  # fmt: skip
                    accounts = [
                        cr.Account(account_id="acme", name="Acme Aviation",
                                   monthly_fee=Decimal("499.00"), currency="USD"),
                        cr.Account(account_id="sky", name="Sky Charter",
                                   monthly_fee=Decimal("1250.00"), currency="GBP"),
                    ]  # fmt: skip
                    credits = cr.compute_incident_credits(
                        store, inc.get(i.id), accounts, runbook.sla.ladder, clock.now()
                    )
                    cr.record_credits(inc, credits)
    return clock


def insights_shot(out: Path) -> None:
    app = ensure_app()
    path = TMP / "insights.db"
    clock = generate_incidents(path)
    window = InsightsWindow(path, load_runbook(), clock)
    window.resize(1440, 1320)  # the charts whole, and the month table's first rows
    window.show()
    while window.data is None:  # counted on a worker thread
        app.processEvents()
    app.processEvents()
    late = window.bars.get(("clock:escalate", "late"))
    if late is not None:  # the incidents behind June's ESCALATE LATE bar, as a click lists them
        late.clicked(len(late.rects) - 1)
    app.processEvents()
    window.grab().save(str(out / "insights.png"))
    window.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else resource_path("screenshots")
    target.mkdir(parents=True, exist_ok=True)
    theme.apply_theme(ensure_app(), "light")
    setup_logging(verbose=False)  # the About dialog names the log file
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(main(target))
    insights_shot(target)
    teardown_logging()
    print(f"screenshots in {target}")
