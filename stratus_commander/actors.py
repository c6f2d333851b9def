"""Who signs a timeline event: the person at the keyboard, or the system acting by itself.

Every event says who made it. What the commander (or a responder) does is signed with their name;
what happens without anyone acting is signed by the system part that did it, so a reviewer never
reads "commander: stripe-api up → down" as if someone had typed it.
"""

from __future__ import annotations

import getpass

#: A probe's state changed (written by the recorder).
PROBE = "probe"
#: A clock or check-back timer came due (written by the cockpit as it raises it).
CLOCK = "clock"
#: An upgrade of the database changed stored events (and says so on their timeline).
UPGRADE = "upgrade"
SYSTEM = frozenset({PROBE, CLOCK, UPGRADE})


def current_person() -> str:
    """The signed-in user's login name (the OS account, not ``$USER``, which anyone can set)."""
    try:
        return getpass.getuser() or "commander"
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return "commander"
