"""Declaring from the keyboard alone: Ctrl+N, type, Tab, Space, Enter."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from stratus_commander.probes.base import Outcome, ProbeResult, ProbeState, StateChange
from stratus_commander.probes.checks import Check
from stratus_commander.qt.bus import Bus
from stratus_commander.qt.cockpit import Cockpit
from stratus_commander.qt.cockpit.declare_dialog import DeclareDialog
from tests.qt.conftest import T0


def _cockpit(qtbot, incidents, runbook, clock) -> Cockpit:
    bus = Bus()
    bus.watch_incidents(incidents)
    window = Cockpit(bus, incidents, runbook, clock)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def _press(qtbot, key: Qt.Key, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), key)


def _type(qtbot, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def test_declare_with_the_keyboard_only(qtbot, incidents, runbook, clock) -> None:
    window = _cockpit(qtbot, incidents, runbook, clock)
    assert window.stack.currentWidget() is window.welcome
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DeclareDialog))
    dialog = QApplication.activeModalWidget()
    assert QApplication.focusWidget() is dialog.title_edit

    _type(qtbot, "Payment Processing API Down")
    _press(qtbot, Qt.Key.Key_Tab)  # Scope: API
    _press(qtbot, Qt.Key.Key_Space)
    _press(qtbot, Qt.Key.Key_Tab, 2)  # Web, Webhooks
    _press(qtbot, Qt.Key.Key_Space)
    _press(qtbot, Qt.Key.Key_Tab, 2)  # Database, start time (default: now)
    assert QApplication.focusWidget() is dialog.detected_edit
    _press(qtbot, Qt.Key.Key_Tab)  # Impact: typing picks it
    _type(qtbot, "C")
    _press(qtbot, Qt.Key.Key_Tab)
    _type(qtbot, "Stripe Connect API, Payment Intents")
    clock.advance(seconds=30)
    _press(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: not dialog.isVisible())
    incident = incidents.last_open()
    assert incident is not None
    assert (incident.title, incident.impact, incident.drill) == (
        "Payment Processing API Down",
        "Critical",
        False,
    )
    assert incident.scope == ("API", "Webhooks")
    assert incident.affected_services == ("Stripe Connect API", "Payment Intents")
    assert incident.detected_at == T0 and incident.declared_at == T0 + timedelta(seconds=30)
    assert window.incident_id == incident.id
    assert window.header.title.text() == f"{incident.label}  Payment Processing API Down"
    assert window.rail.tiles["declare"].state_word.text() == "MET"
    assert window.tabs.currentWidget() is window.triage


def test_a_refusal_keeps_the_dialog_and_says_why(qtbot, incidents, runbook, clock) -> None:
    dialog = DeclareDialog(incidents, runbook, clock)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and incidents.list() == []
    assert "impact: choose Minor, Major or Critical" in dialog.error_label.text()
    assert dialog.focusWidget() is dialog.impact_combo  # the field to fix has the cursor
    qtbot.keyClicks(dialog.impact_combo, "Minor")
    assert dialog.impact_combo.currentText() == "Minor"
    dialog.accept()
    assert "title: must not be empty" in dialog.error_label.text()
    assert incidents.list() == []


def test_start_time_defaults_to_the_evidence_and_stays_editable(
    qtbot, incidents, runbook, clock
) -> None:
    evidence_at = T0 - timedelta(minutes=3, milliseconds=-250)
    dialog = DeclareDialog(
        incidents,
        runbook,
        clock,
        detected_at=evidence_at,
        evidence="stripe-api down at 14:27:00",
        scope=("API", "Webhooks"),
        drill=True,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert (
        "first failing evidence — stripe-api down"
        in dialog.findChild(type(dialog.error_label), "detectedHint").text()
    )
    assert dialog.scope() == ["API", "Webhooks"]
    assert dialog.detected_at() == evidence_at  # milliseconds kept though the edit shows seconds
    assert "DRILL" in dialog.windowTitle()
    dialog.title_edit.setText("Stripe down")
    dialog.impact_combo.setCurrentText("Major")
    dialog.detected_edit.setDateTime(dialog.detected_edit.dateTime().addSecs(-120))
    with qtbot.waitSignal(dialog.declared) as declared:
        dialog.accept()
    incident = declared.args[0]
    assert incident.drill is True
    assert incident.detected_at == evidence_at.replace(microsecond=0) - timedelta(minutes=2)


def test_the_evidence_fills_in_start_time_and_scope(qtbot, incidents, runbook, clock) -> None:
    """What Ctrl+N opens while probes fail: the first failure's time, our failing groups' scope
    (a provider's failure suggests none of our services)."""
    at = T0 - timedelta(minutes=4)

    def state(probe: str, check: Check, outcome: Outcome) -> ProbeState:
        return ProbeState(outcome, at, ProbeResult(probe, "http", check, outcome, 80.0, "", at))

    states = [
        state("api-health", "api", Outcome.DOWN),
        state("hooks", "webhooks", Outcome.DEGRADED),
        state("db", "database", Outcome.UP),
        state("stripe-api", "external", Outcome.DOWN),
    ]
    first = StateChange("api-health", "http", "api", Outcome.UP, Outcome.DOWN, at, "HTTP 500")
    dialog = DeclareDialog.for_evidence(incidents, runbook, clock, first, states, drill=False)
    qtbot.addWidget(dialog)
    assert sorted(dialog.scope()) == ["API", "Webhooks"]
    assert dialog.detected_at() == at
    hint = dialog.findChild(type(dialog.error_label), "detectedHint").text()
    assert "first failing evidence — api-health down" in hint
    assert "DRILL" not in dialog.windowTitle()

    calm = DeclareDialog.for_evidence(incidents, runbook, clock, None, [], drill=True)
    qtbot.addWidget(calm)
    assert calm.scope() == [] and calm.detected_at() == clock.now()
    assert "DRILL" in calm.windowTitle()


def test_a_key_typed_into_the_dialogs_never_reaches_the_disk(
    qtbot, incidents, runbook, clock, db_path
) -> None:
    """What the commander types goes through the same store boundary as the CLI: the raw file and
    its write-ahead log never hold the key, nor its tail."""
    key = "sk_live_51TypedByHandAbCdEfGhIjKl"
    window = _cockpit(qtbot, incidents, runbook, clock)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DeclareDialog))
    dialog = QApplication.activeModalWidget()
    _type(qtbot, f"Stripe rejects {key}")
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_Space)  # Scope: API
    dialog.impact_combo.setCurrentText("Major")
    dialog.affected_edit.setText(f"Payment Intents ({key})")
    dialog.affected_edit.setFocus()
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    incident = incidents.last_open()
    assert incident is not None and incident.title == "Stripe rejects sk_live_[REDACTED]"

    window.timeline.note_edit.setFocus()
    qtbot.keyClicks(window.timeline.note_edit, f"curl -H 'Authorization: Bearer {key}'")
    qtbot.keyClick(window.timeline.note_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: incidents.get(incident.id).event_count == 2)

    raw = b"".join(
        p.read_bytes() for p in (db_path, db_path.with_name(db_path.name + "-wal")) if p.exists()
    )
    assert b"Stripe rejects sk_live_[REDACTED]" in raw  # the search finds what was written
    assert key.encode() not in raw and key[len("sk_live_") :].encode() not in raw
    assert incidents.verify(incident.id).ok and incidents.verify_projection(incident.id) == []


def test_a_title_with_control_characters_is_refused_in_the_dialog(
    qtbot, incidents, runbook, clock
) -> None:
    """Pasted text can carry what a keyboard cannot type; the domain refuses it, the dialog
    says which field and stays open."""
    dialog = DeclareDialog(incidents, runbook, clock)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.title_edit.setText("Payments\x1b[2J down \u202egpj.exe")
    dialog.impact_combo.setCurrentText("Major")
    dialog.accept()
    assert dialog.isVisible() and incidents.list() == []
    assert dialog.error_label.isVisible()
    assert (
        "Not declared — title: contains the control character \\x1b at character 9"
        in dialog.error_label.text()
    )
    assert dialog.focusWidget() is dialog.title_edit
    dialog.affected_edit.setText("Stripe\u2066 API")
    dialog.title_edit.setText("Payments down")
    dialog.accept()
    assert "affected services: contains the bidirectional control character \\u2066" in (
        dialog.error_label.text()
    )
    assert incidents.list() == []
