"""Deadline alerts reach a desktop without a tray: freedesktop notifications on the session bus.

A private ``dbus-daemon --session`` and a fake notification server (tests/session_bus.py) stand in
for GNOME; the offscreen platform has no system tray, as stock GNOME has none.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from tests.qt.conftest import open_cockpit
from tests.session_bus import FakeNotificationServer, dbus_daemon, private_session_bus

pytestmark = pytest.mark.skipif(
    dbus_daemon() is None,
    reason="dbus-daemon is not installed (Debian: dbus-daemon; .ci/run installs it)",
)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNotificationServer]:
    with private_session_bus() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        with FakeNotificationServer(address, tmp_path / "received.jsonl") as fake:
            yield fake


def test_overdue_clock_is_a_critical_notification_and_a_click_raises_the_cockpit(
    qtbot, runbook, clock, db_path, server
) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # as on stock GNOME
    store, incidents, bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    incident = incidents.declare("Webhooks failing", "Major", scope=["Webhooks"])
    window.set_incident(incident)
    clock.advance(minutes=8)  # triage (10 min) due soon
    bus.tick.emit()
    desktop = window.notifier.desktop
    assert desktop is not None
    qtbot.waitUntil(lambda: desktop.card("triage") is not None)  # the server answered
    clock.advance(minutes=3)  # triage overdue
    bus.tick.emit()
    qtbot.waitUntil(lambda: any("TRIAGE OVERDUE" in n["summary"] for n in server.received()))

    seen = server.received()
    soon = next(n for n in seen if n["summary"] == "TRIAGE due soon")
    overdue = next(n for n in seen if n["summary"] == "TRIAGE OVERDUE")
    for n in (soon, overdue):
        # What the specification asks for; GNOME's server refuses any other signature.
        assert n["signature"] == "susssasa{sv}i"
        assert n["app_name"] == "Stratus Commander"
        assert n["actions"][0] == "default"
        assert n["hints"]["desktop-entry"] == ["s", "stratus-commander"]
    assert soon["hints"]["urgency"] == ["y", 1]  # normal
    assert overdue["hints"]["urgency"] == ["y", 2]  # critical
    assert overdue["expire_timeout"] == 0  # stays until acted on
    assert "OVERDUE — TRIAGE was due at" in overdue["body"]
    assert overdue["replaces_id"] == soon["id"]  # the same card, now overdue, not a second one

    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    server.click(overdue["id"])
    qtbot.waitUntil(lambda: not window.isMinimized())  # the cockpit is back in front
    window.close()
    store.close()


def test_without_a_session_bus_the_banner_still_says_it(
    qtbot, runbook, clock, db_path, monkeypatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    store, incidents, bus, window = open_cockpit(qtbot, db_path, runbook, clock)
    incident = incidents.declare("Webhooks failing", "Major", scope=["Webhooks"])
    window.set_incident(incident)
    clock.advance(minutes=11)
    bus.tick.emit()
    assert any(text.startswith("OVERDUE — TRIAGE") for text in window.banners.texts())
    assert window.notifier.desktop is not None
    assert not window.notifier.desktop.notify("x", "title", "body", critical=True)
    window.close()
    store.close()
