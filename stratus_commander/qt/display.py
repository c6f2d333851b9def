"""Whether the display the environment names answers, before Qt is asked to open it.

Qt aborts the process (exit 134, "could not connect to display") when ``DISPLAY`` names an X
server that is gone: an ssh session whose forwarding died, a ``DISPLAY`` left over from another
login. The commander should hear which display and what to do instead, as when none is set.
Only a connection is tried (a second at most), nothing is sent: the server speaks when Qt opens it.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path

__all__ = ["unreachable_display"]

#: ``[host]:number[.screen]``, host ``unix`` or empty for the local socket.
_X11 = re.compile(r"^(?P<host>[^:]*):(?P<number>\d+)(?:\.\d+)?$")
_TIMEOUT_S = 1.0


def unreachable_display(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why no display named in ``environ`` can be reached, or ``None`` when one can (or when
    its form is not one checked here: Qt is then left to judge)."""
    named = []
    wayland = environ.get("WAYLAND_DISPLAY")
    if wayland:
        path = Path(wayland)
        if not path.is_absolute():
            path = Path(environ.get("XDG_RUNTIME_DIR", "")) / wayland
        if _unix_answers(str(path)):
            return None
        named.append(f"WAYLAND_DISPLAY={wayland}")
    x11 = environ.get("DISPLAY")
    if x11:
        found = _X11.match(x11)
        if found is None or _x11_answers(found["host"], int(found["number"])):
            return None
        named.append(f"DISPLAY={x11}")
    if not named:
        return None
    return (
        f"the display does not answer ({', '.join(named)}; an ssh session's forwarding ended, "
        "or a setting left from another login?), so the cockpit cannot open; everything also "
        "works from the command line: `stratus-commander --help`, "
        "`stratus-commander incidents list|show|note|...`"
    )


def _x11_answers(host: str, number: int) -> bool:
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        # Linux X servers listen on an abstract socket too, which survives a cleaned /tmp.
        return _unix_answers(path) or _unix_answers("\0" + path)
    try:
        with socket.create_connection((host, 6000 + number), timeout=_TIMEOUT_S):
            return True
    except (OSError, ValueError, OverflowError):  # a port past 65535, a host IDNA refuses
        return False


def _unix_answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(_TIMEOUT_S)
        try:
            sock.connect(path)
        except (OSError, ValueError):  # ValueError: a NUL inside a filesystem path
            return False
    return True
