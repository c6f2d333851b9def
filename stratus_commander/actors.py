"""Who signs a timeline event: the person at the keyboard, or the system acting by itself.

Every event says who made it. What the commander (or a responder) does is signed with their name;
what happens without anyone acting is signed by the system part that did it, so a reviewer never
reads "commander: stripe-api up → down" as if someone had typed it.
"""

from __future__ import annotations

import getpass
import tomllib
from pathlib import Path

#: A probe's state changed (written by the recorder).
PROBE = "probe"
#: A clock or check-back timer came due (written by the cockpit as it raises it).
CLOCK = "clock"
#: An upgrade of the database changed stored events (and says so on their timeline).
UPGRADE = "upgrade"
SYSTEM = frozenset({PROBE, CLOCK, UPGRADE})


def configured_person(config_path: Path | None) -> str | None:
    """The config file's top-level ``person = "NAME"``, if it has one (a file that cannot be
    read here is reported by ``config check`` and by whatever loads its probes)."""
    if config_path is None:
        return None
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    name = data.get("person")
    if not isinstance(name, str):
        return None
    return " ".join(name.split()) or None


def person(as_name: str | None = None, config_path: Path | None = None) -> str:
    """Who this cockpit or command acts as: ``--as NAME``, else the config's ``person``, else
    the signed-in user."""
    if as_name is not None and as_name.strip():
        return " ".join(as_name.split())
    return configured_person(config_path) or current_person()


def current_person() -> str:
    """The signed-in user's login name (the OS account, not ``$USER``, which anyone can set)."""
    try:
        return getpass.getuser() or "commander"
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return "commander"
