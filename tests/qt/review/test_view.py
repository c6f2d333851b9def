"""The review desk: one incident's post-incident review, offline, from the SQLite file alone."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.clock import FakeClock, SystemClock, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.probes.series import series_window
from stratus_commander.qt import theme
from stratus_commander.qt.panel_kit import LATE_MARK, urgent_colors
from stratus_commander.qt.review.action_item_dialog import ActionItemDialog
from stratus_commander.qt.review.view import ReviewView
from stratus_commander.runbook import Runbook
from stratus_commander.store import SampleRow, SqliteStore, Store, open_store
from tests.late_example import record_late_incident, when

from ..conftest import T0, ARun
from ..review_data import (
    ACCOUNTS_CSV,
    PROBES,
    full_close_record,
    reviewed_incident,
    stored_points,
    worked_incident,
)


def open_view(qtbot, path: Path, runbook: Runbook, clock: FakeClock, iid: int, **kw) -> ReviewView:
    view = ReviewView(path, runbook, clock, iid, **kw)
    qtbot.addWidget(view)
    view.resize(1300, 850)
    view.show()
    qtbot.waitUntil(
        lambda: view.review is not None and not view.uptime_pending and view.replay is not None,
        timeout=10_000,
    )
    return view


def earlier_outage(store: Store, minutes: int) -> None:
    """An earlier API outage this month (T0 is 27 November), observed minute by minute from
    3 November 00:00. Minutes nobody observed count as up, so the worked incident alone (40 API
    minutes down) would leave the month at 99.9074 % and earn nothing."""
    start = to_ms(datetime(2026, 11, 3, tzinfo=UTC))
    store.add_samples(
        SampleRow("api-health", "http", "api", start + m * 60_000, "down", None)
        for m in range(minutes)
    )


def cell_texts(table) -> list[list[str]]:
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the review desk must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_review_of_a_copied_db_file_with_no_config_and_no_network(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path, no_network
) -> None:
    iid = reviewed_incident(incidents, runbook)
    incidents.store.close()  # as a user would: quit the app, then copy the file
    copy = tmp_path / "elsewhere" / "copied.db"
    copy.parent.mkdir()
    shutil.copy(incidents.store.path, copy)
    assert not (tmp_path / "home" / ".config" / "stratus-commander").exists()

    view = open_view(qtbot, copy, runbook, clock, iid)

    assert view.header.title.text() == f"INC-{iid} · Payment API down: checkout failing"
    # 47 h after resolution: the 48 h review is due within the hour, and says so.
    assert "pending" in view.header.deadline_label.text()
    assert "1\u00a0h left" in view.header.deadline_label.text()
    assert view.header.integrity_label.text().startswith("✔ Hash chain verified:")
    durations = {row[0]: row[1:3] for row in cell_texts(view.timeline_tab.durations)}
    assert durations["Time to detect"][0] == "2\u00a0min"  # the probe flipped 2 min before
    assert durations["Time to declare"] == ["3\u00a0min", "≤ 5\u00a0min  ✓ met"]
    assert durations["Time to resolve"][0] == "1\u00a0h 3\u00a0min"
    assert not view.timeline_tab.order_label.isVisible()
    milestones = [row[3] for row in cell_texts(view.timeline_tab.milestones)]
    assert milestones[:3] == ["First failing probe evidence", "Detected", "Declared"]
    assert "Status update sent: Investigating posted" in milestones
    items = cell_texts(view.actions_tab.items)
    assert items[0][5] == "OVERDUE (open)" and items[1][3] == "— unassigned"
    assert view.actions_tab.items.item(0, 2).background().color() == urgent_colors()[0]
    assert "1 OVERDUE" in view.actions_tab.items_summary.text()
    assert view.impact_tab.affected_users.text() == "1840"
    assert (
        view.impact_tab.rca_edits["why"].toPlainText()
        == full_close_record(runbook).answers["root_cause_analysis.identify-root-cause"]
    )

    # The graphs are replayed from the copy's samples: one point per stored sample (the
    # buckets, 2.79 s over the 93 min window, are finer than the 15 s sampling).
    window = series_window(view.replay.incident, clock.now())
    with open_store(copy) as store:
        expected = {p: stored_points(store, p, *window) for p, _, _ in PROBES}
    assert all(n > 300 for n in expected.values())
    assert {p: view.graphs.point_count(p) for p, _, _ in PROBES} == expected
    assert view.graphs.lane_rows == ["api", "webhooks", "database", "external"]
    api_down = [(lo, hi) for lo, hi, code in view.graphs.runs["api"] if code == 2]
    assert len(api_down) == 1  # one continuous outage, not slivers between samples
    for i in range(view.tabs.count()):
        view.tabs.setCurrentIndex(i)
        view.grab().save(str(tmp_path / f"review-view-{i}.png"))


def test_the_review_is_shown_before_its_uptime_is_measured_then_the_uptime(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, monkeypatch
) -> None:
    """Measuring a month of uptime per group is the slow part: the header and the tabs come
    first, the credits tab says it is calculating, and its uptime follows."""
    iid = worked_incident(incidents)
    measuring, release = threading.Event(), threading.Event()
    uptime_minutes = SqliteStore.uptime_minutes

    def held(self: SqliteStore, *args: object, **kwargs: object) -> tuple[int, int]:
        measuring.set()
        assert release.wait(timeout=30), "the test never let the uptime be measured"
        return uptime_minutes(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqliteStore, "uptime_minutes", held)
    view = ReviewView(incidents.store.path, runbook, clock, iid)
    qtbot.addWidget(view)
    loaded: list[bool] = []
    view.loaded.connect(lambda: loaded.append(True))
    try:
        qtbot.waitSignal(view.first_shown, timeout=10_000).wait()
        assert measuring.wait(timeout=10)  # the uptime is being measured, and held there
        assert view.header.title.text() == f"INC-{iid} · Payment API down: checkout failing"
        milestones = [row[3] for row in cell_texts(view.timeline_tab.milestones)]
        assert milestones[:3] == ["First failing probe evidence", "Detected", "Declared"]
        assert "Status update sent: Investigating posted" in milestones
        assert view.timeline_tab.loading.isHidden()
        assert view.credits_tab.uptime_note.text().startswith("Calculating uptime…")
        assert not view.credits_tab.uptime_note.isHidden()
        assert view.credits_tab.uptime.rowCount() == 0
        assert not loaded
    finally:
        release.set()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        pass
    assert view.credits_tab.uptime_note.isHidden()
    assert [r[0] for r in cell_texts(view.credits_tab.uptime)] == [
        "API",
        "Webhooks",
        "Database",
        "External",
    ]
    assert view.review is not None and view.review.month_uptime["api"].down_minutes == 40


def test_a_reload_drops_what_an_older_one_still_delivers(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, monkeypatch
) -> None:
    iid = worked_incident(incidents)
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid)
    release = threading.Event()
    older = clock.now()
    measure = rv.measure_review_uptime

    def held(store: Store, incident: object, now: datetime) -> rv.ReviewUptime:
        if now == older:  # the older reload's measurement only
            assert release.wait(timeout=30), "the test never let the uptime be measured"
        return measure(store, incident, now)  # type: ignore[arg-type]

    monkeypatch.setattr(rv, "measure_review_uptime", held)
    shown: list[rv.Review | None] = []
    view.loaded.connect(lambda: shown.append(view.review))
    try:
        with qtbot.waitSignal(view.first_shown, timeout=10_000):
            view.reload()  # its uptime is held ...
        clock.advance(minutes=5)
        with qtbot.waitSignal(view.loaded, timeout=10_000):
            view.reload()  # ... while a newer reload is shown whole
    finally:
        release.set()
    assert [r.now for r in shown if r] == [clock.now()]
    qtbot.wait(200)  # the older measurement ends now: it is dropped, not shown
    assert len(shown) == 1 and view.review is shown[0]


def test_impossible_order_is_flagged(qtbot, incidents: Incidents, runbook, clock) -> None:
    # Declared at 14:30 with a detection time typed as 14:31 (inside the clock-skew allowance).
    iid = incidents.declare("Webhooks slow", "Minor", detected_at=T0 + timedelta(minutes=1)).id
    clock.advance(minutes=20)
    incidents.resolve(iid)
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid)
    assert view.timeline_tab.order_label.isVisible()
    assert "detected after it was declared" in view.timeline_tab.order_label.text()
    durations = {row[0]: row for row in cell_texts(view.timeline_tab.durations)}
    assert durations["Time to declare"][1] == "-1\u00a0min  IMPOSSIBLE"
    row = [r[0] for r in cell_texts(view.timeline_tab.durations)].index("Time to declare")
    assert view.timeline_tab.durations.item(row, 3).background().color() == urgent_colors()[0]


def test_edit_impact_rca_items_meeting_then_complete(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock
) -> None:
    iid = worked_incident(incidents)
    clock.advance(hours=1)
    rv.close_incident(incidents, runbook, iid, full_close_record(runbook))
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid)
    assert view.impact_tab.save_impact_button.isEnabled()

    qtbot.keyClicks(view.impact_tab.affected_users, "about 2000")
    assert not view.impact_tab.save_impact()
    assert "affected users: a whole number" in view.header.feedback.text()
    view.impact_tab.affected_users.clear()
    qtbot.keyClicks(view.impact_tab.affected_users, "1,840")
    qtbot.keyClicks(view.impact_tab.financial, "GBP 38,000 of bookings delayed")
    qtbot.keyClicks(view.impact_tab.reputation, "Two operators escalated")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        assert view.impact_tab.save_impact()
    pir = rv.stored_pir(incidents.store, iid)
    assert pir.impact == rv.ImpactAssessment(
        1840, "GBP 38,000 of bookings delayed", "Two operators escalated"
    )

    view.impact_tab.rca_edits["what-happened"].setPlainText("Checkout failed for 40 minutes")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        assert view.impact_tab.save_rca()
    assert rv.stored_pir(incidents.store, iid).answers["what-happened"] == (
        "Checkout failed for 40 minutes"
    )

    assert not view.complete_review()
    assert "Action items: none recorded" in view.header.feedback.text()
    assert "Follow-up: review meeting not scheduled" in view.header.feedback.text()

    view.actions_tab.add_item()
    dialog = view.findChild(ActionItemDialog)
    dialog.category.setCurrentIndex(dialog.category.findData("monitoring-improvements"))
    qtbot.keyClicks(dialog.text, "Alert on pooler saturation")
    qtbot.keyClicks(dialog.owner, "Priya")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        qtbot.mouseClick(
            dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save),
            Qt.MouseButton.LeftButton,
        )
    (item,) = rv.action_items(incidents.store, iid)
    assert (item.category, item.text, item.owner) == (
        "monitoring-improvements",
        "Alert on pooler saturation",
        "Priya",
    )
    assert item.deadline == (clock.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    assert cell_texts(view.actions_tab.items)[0][1:4] == [
        "Monitoring improvements",
        "Alert on pooler saturation",
        "Priya",
    ]

    view.actions_tab.meeting_edit.setDateTime(view.actions_tab.meeting_edit.dateTime().addDays(1))
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        assert view.actions_tab.schedule_meeting()
    assert rv.stored_pir(incidents.store, iid).meeting_at is not None
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        assert view.complete_review(), view.header.feedback.text()
    assert view.header.deadline_label.text().startswith("Post-incident review: completed in time")
    assert not view.impact_tab.save_impact_button.isEnabled()  # complete: read-only, but ...

    view.actions_tab.items.selectRow(0)
    view.actions_tab.edit_selected_item()  # ... progress on action items is still tracked
    dialog = next(d for d in view.findChildren(ActionItemDialog) if d.isVisible())
    assert not dialog.text.isEnabled() or dialog.text.isReadOnly()
    dialog.status.setCurrentText("done")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        dialog.accept()
    assert rv.action_items(incidents.store, iid)[0].status == "done"
    assert view.actions_tab.items_summary.text().startswith("1 of 1 action items done")
    assert incidents.verify(iid).ok


def test_accounts_csv_errors_import_nothing_then_credits_and_csv_export(
    qtbot, arun: ARun, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    iid = worked_incident(incidents)
    # 4280 + the incident's 40 = 4320 of November's 43,200 minutes down: 90.0 % uptime.
    earlier_outage(incidents.store, 4280)
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid)
    view.tabs.setCurrentIndex(3)
    bad = tmp_path / "accounts.csv"
    bad.write_text(
        "account_id,name,monthly_fee,currency\n"
        "acct_a,Skyline,£1250,GBP\n"
        "acct_b,AeroLux,4800.00,GBX\n"
        "acct_c,Cirrus,99.00,GBP\n"
    )
    assert not arun(view.credits_tab.import_accounts(bad))
    message = view.credits_tab.credits_feedback.text()
    assert message.startswith("✖ Nothing imported: 2 problem(s) in accounts.csv")
    assert f"{bad}:2:3: monthly_fee: '£1250' is not an amount" in message
    assert f"{bad}:3:4: currency: 'GBX' is not a supported ISO 4217 code" in message
    assert cr.stored_credits(incidents.store, iid) is None
    assert view.credits_tab.accounts.rowCount() == 0
    assert not view.credits_tab.export_credits_button.isEnabled()

    good = tmp_path / "good.csv"
    good.write_text(ACCOUNTS_CSV)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        assert arun(view.credits_tab.import_accounts(good))
    credits = cr.stored_credits(incidents.store, iid)
    assert credits is not None
    rows = cell_texts(view.credits_tab.accounts)
    assert [r[:2] for r in rows] == [
        ["November 2026", "acct_skyline"],
        ["November 2026", "acct_aerolux"],
        ["November 2026", "acct_cirrus"],
    ]
    # The month's API uptime, 90 %, is below 95 %: the whole fee comes back.
    # Observed: the 4280 earlier minutes and 130 around the incident; the other 38,790 of
    # November count as up, and the table and its tooltip say so.
    assert cell_texts(view.credits_tab.uptime)[0] == [
        "API",
        "39.6825 %",  # 38 of the 63 window minutes down
        "38",
        "November 2026",
        "90.0000 %",
        "4,320",
        "0 min excluded · 38,790 min counted as up",
    ]
    assert view.credits_tab.uptime_warning.isVisible()  # nine minutes in ten unobserved: said aloud
    assert view.credits_tab.uptime_warning.text().startswith(
        "⚠ Little of November 2026 was observed — the probes saw API 4,410 of 43,200 minutes"
    )
    assert view.credits_tab.uptime.item(0, 3).toolTip() == (
        "api in November 2026: 4,320 of 43,200 minutes unavailable = 90.0000 % "
        "(38,790 minutes without samples counted as available)"
    )
    assert rows[0][5:] == ["90.0000 %", "100 %", "GBP 1,250.00", "GBP 0.00", "GBP 1,250.00"]
    assert (
        "is below 95.0 % → 100 % of the monthly fee" in view.credits_tab.calculations.toPlainText()
    )
    assert view.credits_tab.credits_summary.text().startswith("GBP 6,149.00 to 3 accounts")
    view.grab().save(str(tmp_path / "review-view-credits.png"))

    out = tmp_path / "credits.csv"
    assert view.credits_tab.export_credits(out)
    assert out.read_bytes() == cr.credits_csv(credits).encode()  # CRLF rows, as the CLI writes


def test_credits_tab_shows_each_month_of_an_outage_across_a_month_end_and_the_total(
    qtbot, arun: ARun, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    # 30 September 23:00 to 1 October 01:00 UTC, the API down throughout: 60 minutes in each
    # month, 99.8611 % of September's 43,200 and 99.8655 % of October's 44,640 → 10 % each.
    start = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    incidents.store.add_samples(
        SampleRow("api-health", "http", "api", to_ms(start) + m * 60_000,
                  "down" if m < 120 else "up", 50.0)
        for m in range(180)
    )  # fmt: skip
    clock.set(start)
    iid = incidents.declare("Payment API down", "Major", ["API"], detected_at=start).id
    clock.advance(minutes=120)
    incidents.resolve(iid)
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid)
    view.tabs.setCurrentIndex(3)
    # Before any credits: the months the down time touches are measured already.
    assert [r[3] for r in cell_texts(view.credits_tab.uptime)] == ["September 2026", "October 2026"]
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,name,monthly_fee,currency\nacme,Acme Aviation,499.00,USD\n")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        assert arun(view.credits_tab.import_accounts(accounts))
    assert view.credits_tab.credits_feedback.text() == (
        "Imported 1 account(s) from accounts.csv; credits for September 2026 and October 2026 "
        "calculated and stored on the incident."
    )
    assert [r[:2] + r[5:] for r in cell_texts(view.credits_tab.accounts)] == [
        ["September 2026", "acme", "99.8611 %", "10 %", "USD 49.90", "USD 0.00", "USD 49.90"],
        ["October 2026", "acme", "99.8655 %", "10 %", "USD 49.90", "USD 0.00", "USD 49.90"],
    ]
    assert cell_texts(view.credits_tab.uptime) == [
        ["API", "0.0000 %", "120", "September 2026", "99.8611 %", "60",
         "0 min excluded · 43,140 min counted as up"],
        ["API", "", "", "October 2026", "99.8655 %", "60",
         "0 min excluded · 44,520 min counted as up"],
    ]  # fmt: skip
    assert view.credits_tab.credits_summary.text().startswith(
        "USD 99.80 to 1 account over 2 months: September 2026 USD 49.90"
    )
    assert (
        view.impact_tab.credits_issued.text()
        == view.credits_tab.credits_summary.text().split("\n")[0]
    )
    assert view.credits_tab.uptime_warning.text().startswith(
        "⚠ Little of September 2026 was observed — the probes saw API 60 of 43,200 minutes; "
        "little of October 2026 was observed — the probes saw API 120 of 44,640 minutes."
    )
    calculations = view.credits_tab.calculations.toPlainText()
    assert calculations.startswith("September 2026\n") and "\n\nOctober 2026\n" in calculations
    view.grab().save(str(tmp_path / "review-view-credits-two-months.png"))


def test_ladder_is_editable_and_a_bad_one_refused(
    qtbot, arun: ARun, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    iid = worked_incident(incidents)
    earlier_outage(incidents.store, 4280)  # 90.0 % uptime for November
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid)
    accounts = tmp_path / "a.csv"
    accounts.write_text(ACCOUNTS_CSV)
    view.credits_tab.ladder.setText("99.9:10,banana")
    assert not arun(view.credits_tab.import_accounts(accounts))
    assert "SLA ladder: 'banana' is not BELOW:CREDIT" in view.credits_tab.credits_feedback.text()
    view.credits_tab.ladder.setText("99.9:5,50:10")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        assert arun(view.credits_tab.import_accounts(accounts))
    assert cell_texts(view.credits_tab.accounts)[0][5:7] == [
        "90.0000 %",
        "5 %",
    ]  # only the first step


def test_exports_markdown_and_json_from_the_view(
    qtbot, arun: ARun, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    iid = reviewed_incident(incidents, runbook)
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid, read_only=True)
    assert view.header.export_button.isEnabled()
    assert arun(view.export_to(tmp_path / "inc.json", "json"))
    doc = json.loads((tmp_path / "inc.json").read_text())
    assert doc["integrity"]["verified"] is True
    assert doc["review"]["action_items"][0]["overdue"] is True
    assert arun(view.export_to(tmp_path / "inc.md", "md"))
    assert "Connection pool leak" in (tmp_path / "inc.md").read_text()
    assert view.header.feedback.text() == f"Exported MD to {tmp_path / 'inc.md'}"


def test_an_open_incident_shows_the_review_waiting(qtbot, incidents, runbook, clock) -> None:
    iid = incidents.declare("Still burning", "Major").id
    clock.advance(minutes=5)
    view = open_view(qtbot, incidents.store.path, runbook, clock, iid)
    assert view.header.deadline_label.text().startswith(
        "Post-incident review: not started: the incident is not resolved yet"
    )
    assert not view.impact_tab.save_impact_button.isEnabled()
    assert "the review starts once it is resolved" in view.impact_tab.save_impact_button.toolTip()
    assert view.graphs.note.text().startswith("No probe samples were stored")


def test_the_issue_example_reads_late_and_names_the_cadence_gap(
    qtbot, runbook: Runbook, tmp_path: Path
) -> None:
    """Last update 14:45, resolved 16:10 (recorded by the CLI): the review desk says the cadence
    was missed with that gap, and the review itself was completed LATE, not "met"."""
    db = tmp_path / "incidents.db"
    record_late_incident(db, tmp_path)
    view = open_view(qtbot, db, runbook, SystemClock(), 1)  # type: ignore[arg-type]
    assert "completed LATE" in view.header.deadline_label.text()
    rows = {row[0]: row for row in cell_texts(view.timeline_tab.durations)}
    assert f"{LATE_MARK} LATE by" in rows["Time to review"][2]
    # Painted as the rail paints LATE (orange, bold), not filled red as a missed clock is.
    late_row = next(
        r for r in range(view.timeline_tab.durations.rowCount())
        if view.timeline_tab.durations.item(r, 0).text() == "Time to review"
    )  # fmt: skip
    target = view.timeline_tab.durations.item(late_row, 2)
    assert target.foreground().color() == theme.current().color("late")
    assert target.font().bold() and target.background().style() == Qt.BrushStyle.NoBrush
    assert rows["Time to triage"][2].endswith("✓ met")
    cadence = rows["Update cadence"]
    start = when("14:45").astimezone().strftime("%H:%M")
    end = when("16:10").astimezone().strftime("%H:%M")
    assert cadence[1].startswith(f"1 update; longest gap {start}–{end} ")
    assert cadence[1].endswith("(1\u00a0h 25\u00a0min)")
    assert cadence[2] == "every 30\u00a0min  0/1 windows kept, 1 MISSED"
