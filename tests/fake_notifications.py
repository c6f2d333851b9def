"""A fake freedesktop notification server: ``python fake_notifications.py ADDRESS RECORD``.

Owns ``org.freedesktop.Notifications`` on the bus at ADDRESS, answers ``Notify`` with a new id and
writes each call to RECORD as a JSON line (with the message's D-Bus signature and every hint's
type, so a test sees what a real server would be sent). ``test.FakeNotifications.Click(u id)``
emits ``ActionInvoked(id, "default")``, as a click on the card would. Prints "ready" once it owns
the name. Used by tests/session_bus.py.
"""

from __future__ import annotations

import json
import sys

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def main(address: str, record: str) -> None:
    conn = open_dbus_connection(address)
    reply = conn.send_and_get_reply(message_bus.RequestName(NAME, 4), timeout=5)
    assert reply.body[0] == 1, reply.body  # 1: primary owner
    print("ready", flush=True)
    next_id = 0
    while True:
        msg = conn.receive()
        fields = msg.header.fields
        if msg.header.message_type != MessageType.method_call:
            continue
        member = fields.get(HeaderFields.member)
        if member == "Notify":
            next_id += 1
            app, replaces, icon, summary, body, actions, hints, expire = msg.body
            seen = {
                "signature": fields.get(HeaderFields.signature),
                "app_name": app,
                "replaces_id": replaces,
                "app_icon": icon,
                "summary": summary,
                "body": body,
                "actions": actions,
                "hints": {k: [sig, value] for k, (sig, value) in hints.items()},
                "expire_timeout": expire,
                "id": replaces or next_id,
            }
            with open(record, "a", encoding="utf-8") as f:
                f.write(json.dumps(seen) + "\n")
            conn.send(new_method_return(msg, "u", (seen["id"],)))
        elif member == "Click":
            (notification_id,) = msg.body
            where = DBusAddress(PATH, interface=NAME)
            conn.send(new_signal(where, "ActionInvoked", "us", (notification_id, "default")))
            conn.send(new_method_return(msg))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
