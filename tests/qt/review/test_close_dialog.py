"""The close dialog: the runbook's close steps, refused with reasons until complete."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.clock import FakeClock, to_ms
from stratus_commander.incident import Incidents
from stratus_commander.qt.review.close_dialog import CloseDialog
from stratus_commander.runbook import Runbook
from stratus_commander.store import SampleRow

from ..review_data import ROOT_CAUSE, worked_incident


def make_dialog(qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, iid: int):
    dialog = CloseDialog(incidents, runbook, clock, iid)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def click_state(qtbot, dialog: CloseDialog, key: str, state: str) -> None:
    button = next(b for b in dialog.checks[key].buttons() if b.property("state") == state)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill_everything(qtbot, dialog: CloseDialog, runbook: Runbook) -> None:
    for key, edit in dialog.answers.items():
        edit.clear()
        text = ROOT_CAUSE if key == "root_cause_analysis.identify-root-cause" else f"{key} noted"
        qtbot.keyClicks(edit, text)
    qtbot.keyClicks(dialog.fix_applied, "Rolled back payout worker to v2.31.4")
    for key in dialog.checks:
        click_state(qtbot, dialog, key, "done")
    click_state(qtbot, dialog, "service_credits.calculate-credits", "not_needed")
    click_state(qtbot, dialog, "fix_implementation.update-runbook", "deferred")


def test_close_is_refused_with_reasons_then_succeeds_when_filled(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock, tmp_path: Path
) -> None:
    iid = worked_incident(incidents)
    dialog = make_dialog(qtbot, incidents, runbook, clock, iid)
    assert dialog.resolution.text().startswith("Resolved at 27 Nov 2026")
    assert "1\u00a0h 3\u00a0min after detection" in dialog.resolution.text()
    assert not dialog.close_button.isEnabled()
    missing = dialog.missing_label.text()
    assert missing.startswith("Still missing (17):")
    for reason in (
        "Root Cause Analysis: “Identify root cause” is empty",
        "Fix applied is empty",
        "Fix Implementation: “Improve alerting” not answered",
        "Lessons Learned: “How can we detect it faster?” is empty",
    ):
        assert reason in missing
    dialog.grab().save(str(tmp_path / "close-dialog-empty.png"))

    # The domain refuses too (a click that slipped through, or a race): nothing changes.
    assert not dialog.try_close()
    assert dialog.feedback.text() == "✖ Not closed: 17 item(s) still missing, listed above."
    assert incidents.get(iid).status == "resolved"
    assert rv.stored_close(incidents.store, iid) is None

    fill_everything(qtbot, dialog, runbook)
    # Ticking "calculate credits" done with none calculated is one reason more.
    click_state(qtbot, dialog, "service_credits.calculate-credits", "done")
    assert not dialog.close_button.isEnabled()
    assert "no credits were calculated" in dialog.missing_label.text()
    click_state(qtbot, dialog, "service_credits.calculate-credits", "not_needed")

    prevention = dialog.steps["lessons_learned.prevention"]
    prevention.setCurrentIndex(prevention.findData("triage.database.db-pool"))
    assert dialog.close_button.isEnabled()
    assert dialog.missing_label.text() == "✔ Everything the runbook asks for is filled in."
    message = dialog.message.toPlainText()
    assert message.startswith("Incident resolved at 2026-11-27 15:33 UTC.")
    assert f"Root Cause: {ROOT_CAUSE}" in message
    assert "Fix Applied: Rolled back payout worker to v2.31.4" in message
    assert "Service Credits: None (not applicable to this incident)" in message
    assert not dialog.feedback.isVisible()  # the refusal was about the form as it was
    dialog.findChild(QScrollArea).verticalScrollBar().setValue(10_000)
    dialog.grab().save(str(tmp_path / "close-dialog-filled.png"))

    with qtbot.waitSignal(dialog.closed) as closed:
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert closed.args[0].message == message
    assert incidents.get(iid).status == "closed"
    stored = rv.stored_close(incidents.store, iid)
    assert stored is not None and stored.answers["root_cause_analysis.identify-root-cause"] == (
        ROOT_CAUSE
    )
    assert stored.checklist["fix_implementation.update-runbook"] == "deferred"
    assert [(x.step, x.text) for x in rv.list_learnings(incidents.store)] == [
        ("triage.database.db-pool", "lessons_learned.prevention noted")
    ]
    assert incidents.verify(iid).ok
    assert not dialog.isVisible()


def test_a_draft_is_saved_and_restored(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock
) -> None:
    iid = worked_incident(incidents)
    dialog = make_dialog(qtbot, incidents, runbook, clock, iid)
    qtbot.keyClicks(dialog.answers["root_cause_analysis.identify-root-cause"], ROOT_CAUSE)
    detection = dialog.steps["lessons_learned.faster-detection"]
    detection.setCurrentIndex(detection.findData("triage.database.db-pool"))
    assert dialog.record().learnings == ()  # the step waits for the lesson's text
    qtbot.keyClicks(dialog.answers["lessons_learned.faster-detection"], "Page on pooler waits")
    click_state(qtbot, dialog, "fix_implementation.deploy-fix", "deferred")
    assert dialog.save_draft()
    assert dialog.feedback.text().startswith("Draft saved")
    assert incidents.get(iid).status == "resolved"
    dialog.reject()

    again = make_dialog(qtbot, incidents, runbook, clock, iid)
    record = again.record()
    assert record.answers == {
        "root_cause_analysis.identify-root-cause": ROOT_CAUSE,
        "lessons_learned.faster-detection": "Page on pooler waits",
    }
    assert record.checklist == {"fix_implementation.deploy-fix": "deferred"}
    assert record.learnings == (("triage.database.db-pool", "Page on pooler waits"),)
    assert f"Root Cause: {ROOT_CAUSE}" in again.message.toPlainText()
    assert not again.close_button.isEnabled()


def test_an_unresolved_incident_cannot_close(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock
) -> None:
    iid = incidents.declare("Still burning", "Major").id
    dialog = make_dialog(qtbot, incidents, runbook, clock, iid)
    assert "only a resolved incident can be closed" in dialog.resolution.text()
    fill_everything(qtbot, dialog, runbook)
    assert not dialog.close_button.isEnabled()
    assert dialog.missing_label.text() == (
        f"Still missing (1):\n• INC-{iid} is investigating: resolve it first"
    )
    assert not dialog.try_close()
    assert "only a resolved incident can be closed" in dialog.feedback.text()
    assert incidents.get(iid).status == "investigating"


def test_credits_of_an_outage_across_a_month_end_are_quoted_per_month_and_in_total(
    qtbot, incidents: Incidents, runbook: Runbook, clock: FakeClock
) -> None:
    # 30 September 23:00 to 1 October 01:00 UTC, the API down throughout: 60 minutes in each
    # month → 10 % of USD 499.00 in September and again in October.
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
    acme = cr.Account(
        account_id="acme", name="Acme Aviation", monthly_fee=Decimal("499.00"), currency="USD"
    )
    cr.record_credits(
        incidents,
        cr.compute_incident_credits(
            incidents.store, incidents.get(iid), [acme], runbook.sla.ladder, clock.now()
        ),
    )
    dialog = make_dialog(qtbot, incidents, runbook, clock, iid)
    fill_everything(qtbot, dialog, runbook)
    click_state(qtbot, dialog, "service_credits.calculate-credits", "done")
    assert dialog.close_button.isEnabled()
    assert (
        "Service Credits: USD 99.80 to 1 account over 2 months: September 2026 USD 49.90 "
        "(uptime api 99.8611 %); October 2026 USD 49.90 (uptime api 99.8655 %); SLA 99.9 %"
    ) in dialog.message.toPlainText()
