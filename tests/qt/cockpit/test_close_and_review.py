"""From the cockpit to the review desk: close the incident on screen and open its review."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from stratus_commander.qt.review.close_dialog import CloseDialog
from tests.qt.conftest import open_cockpit


def test_close_and_review_open_from_the_cockpit(qtbot, runbook, clock, db_path) -> None:
    store, incidents, _bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    incident = incidents.declare("Webhooks failing", "Major", scope=["Webhooks"])
    window.set_incident(incident)
    clock.advance(minutes=20)
    incidents.resolve(incident.id, "Replayed failed webhooks")

    window.close_incident()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, CloseDialog)]
    assert [d.incident_id for d in dialogs if d.isVisible()] == [incident.id]
    assert dialogs[0].missing(), "an empty close form must list what is missing"
    for d in dialogs:
        d.reject()

    window.open_review()
    review = window.review_window
    assert review is not None and review.isVisible()
    assert review.windowTitle() == f"INC-{incident.id} — post-incident review"
    qtbot.waitUntil(lambda: review.view.review is not None, timeout=10_000)
    assert review.view.review.incident.id == incident.id
    window.close()  # closes the review window with it (its loader thread and connection)
    assert not review.isVisible()
    store.close()
