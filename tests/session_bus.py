"""A private D-Bus session bus and a fake notification server on it, for the desktop tests.

    with private_session_bus() as address:          # dbus-daemon --session, ended afterwards
        with FakeNotificationServer(address, tmp_path / "seen.jsonl") as server:
            ...                                     # server.received(): every Notify, decoded
            server.click(notification_id)           # ActionInvoked(id, "default"), as a click

The server (tests/fake_notifications.py) runs in a process of its own, owns
``org.freedesktop.Notifications`` on that bus and writes each call it received as a JSON line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER = Path(__file__).with_name("fake_notifications.py")


def dbus_daemon() -> str | None:
    return shutil.which("dbus-daemon")


@contextmanager
def private_session_bus() -> Iterator[str]:
    """Start ``dbus-daemon --session`` (its own socket in a temp dir); yield its address."""
    daemon = dbus_daemon()
    assert daemon is not None
    proc = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # as root it says it cannot raise its fd limit: harmless
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        assert address.startswith("unix:"), address
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


class FakeNotificationServer:
    def __init__(self, address: str, record: Path) -> None:
        self.address = address
        self.record = record
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeNotificationServer:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), self.address, str(self.record)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"  # it owns the name now
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def received(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        lines = self.record.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def click(self, notification_id: int) -> None:
        """Have the server say the user clicked the notification (its "default" action)."""
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(self.address) as conn:
            target = DBusAddress(
                "/org/freedesktop/Notifications",
                bus_name="org.freedesktop.Notifications",
                interface="test.FakeNotifications",
            )
            conn.send_and_get_reply(
                new_method_call(target, "Click", "u", (notification_id,)), timeout=5
            )
