"""Freedesktop notifications over the D-Bus session bus, for desktops without a system tray.

Stock GNOME has no tray, so :class:`QSystemTrayIcon` shows nothing there; every Linux desktop has
a notification server at ``org.freedesktop.Notifications`` instead. :class:`DesktopNotifications`
sends ``Notify`` (urgency *critical* for an overdue clock, *normal* for one due soon, with a
"default" action) and emits :attr:`~DesktopNotifications.activated` when the commander clicks one
of ours (``ActionInvoked``), so the cockpit can come to the front.

The messages are built with jeepney (a dependency of keyring on Linux) rather than QtDBus: from
Python, QtDBus marshals an integer as int32 (or uint16), never as the uint32 ``replaces_id`` and
the byte ``urgency`` that the specification asks for, and GDBus-based servers (GNOME Shell's among
them) refuse a call whose signature differs. The socket is read from the Qt event loop through a
:class:`QSocketNotifier`; the connection is opened at the first notification (a local socket,
a 2 s limit) and a bus that cannot be reached is logged once and then left alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from stratus_commander.qt.application import DESKTOP_FILE_NAME
from stratus_commander.resources import resource_path

if TYPE_CHECKING:
    from jeepney.io.blocking import DBusConnection

__all__ = ["SERVICE", "DesktopNotifications"]

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
URGENCY_NORMAL = 1
URGENCY_CRITICAL = 2
#: Kept on screen until the commander acts on it (an overdue clock); -1: the server's default
EXPIRE_NEVER = 0
EXPIRE_DEFAULT = -1


class DesktopNotifications(QObject):
    """Notifications of ours on the session bus; :attr:`activated` when one is clicked."""

    activated = Signal()

    def __init__(self, app_name: str = "Stratus Commander", parent: QObject | None = None):
        super().__init__(parent)
        self.app_name = app_name
        self._conn: DBusConnection | None = None
        self._reader: QSocketNotifier | None = None
        self._failed = False
        self._ids: dict[str, int] = {}  # key (a clock) -> the id the server gave its card
        self._pending: dict[int, str] = {}  # serial of a Notify call -> its key

    # --- sending ------------------------------------------------------------------------------

    def notify(self, key: str, title: str, body: str, *, critical: bool) -> bool:
        """Send one notification, replacing the card of the same ``key`` (a clock's "due soon"
        becomes its "overdue"); False when there is no session bus to send it on."""
        conn = self._connection()
        if conn is None:
            return False
        from jeepney import DBusAddress, new_method_call

        hints = {
            "urgency": ("y", URGENCY_CRITICAL if critical else URGENCY_NORMAL),
            "desktop-entry": ("s", DESKTOP_FILE_NAME),  # the server's icon and grouping
        }
        address = DBusAddress(PATH, bus_name=SERVICE, interface=SERVICE)
        message = new_method_call(
            address,
            "Notify",
            "susssasa{sv}i",
            (
                self.app_name,
                self._ids.get(key, 0),
                str(resource_path("icons", "stratus-commander.svg")),
                title,
                body,
                ["default", "Show the cockpit"],
                hints,
                EXPIRE_NEVER if critical else EXPIRE_DEFAULT,
            ),
        )
        serial = next(conn.outgoing_serial)  # to match the reply (with the server's id) to it
        try:
            conn.send(message, serial=serial)
        except OSError as exc:
            self._give_up(f"the session bus went away: {exc}")
            return False
        self._pending[serial] = key
        return True

    def card(self, key: str) -> int | None:
        """The server's id for ``key``'s card, once it has answered (None: none on screen)."""
        return self._ids.get(key)

    # --- the connection -----------------------------------------------------------------------

    def _connection(self) -> DBusConnection | None:
        if self._conn is not None or self._failed:
            return self._conn
        try:
            from jeepney import MatchRule, message_bus
            from jeepney.io.blocking import open_dbus_connection

            conn = open_dbus_connection(bus="SESSION")
            # ActionInvoked and NotificationClosed come as signals: ask the bus for them.
            rule = MatchRule(type="signal", interface=SERVICE, path=PATH)
            conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=2)
        except (ImportError, OSError, KeyError, ValueError, TimeoutError) as exc:
            # KeyError: no DBUS_SESSION_BUS_ADDRESS (jeepney reads it from the environment).
            self._give_up(f"no session bus ({type(exc).__name__}: {exc})")
            return None
        self._conn = conn
        self._reader = QSocketNotifier(conn.sock.fileno(), QSocketNotifier.Type.Read, self)
        self._reader.activated.connect(self._read)
        return conn

    def _give_up(self, why: str) -> None:
        log.warning("desktop notifications off: %s", why)
        self._failed = True
        self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.setEnabled(False)
            self._reader.deleteLater()
            self._reader = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- receiving ----------------------------------------------------------------------------

    def _read(self, *_: Any) -> None:
        conn = self._conn
        if conn is None:
            return
        while True:
            try:
                message = conn.receive(timeout=0)
            except TimeoutError:  # nothing more buffered
                return
            except (OSError, ValueError) as exc:
                self._give_up(f"reading the session bus failed: {exc}")
                return
            self._handle(message)

    def _handle(self, message: Any) -> None:
        from jeepney import HeaderFields, MessageType

        header = message.header
        kind = header.message_type
        if kind in (MessageType.method_return, MessageType.error):
            serial = header.fields.get(HeaderFields.reply_serial)
            if serial not in self._pending:
                return
            key = self._pending.pop(serial)
            if kind == MessageType.error:
                log.warning("the notification server refused a notification: %s", message.body)
                return
            self._ids[key] = int(message.body[0])
        elif kind == MessageType.signal and header.fields.get(HeaderFields.interface) == SERVICE:
            member = header.fields.get(HeaderFields.member)
            if member == "ActionInvoked":
                notification_id, action = message.body
                if action == "default" and notification_id in self._ids.values():
                    self.activated.emit()
            elif member == "NotificationClosed":
                closed = message.body[0]
                # Closed: that clock's next alert is a new card.
                self._ids = {k: i for k, i in self._ids.items() if i != closed}
