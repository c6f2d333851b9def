"""What a recording command on a team database says of the outbox: the events it queued while
the server was unreachable, or sent from it (on stderr; the exit code stays 0: nothing is lost).
Called by ``options.open_session`` as the command ends; ``outbox.py`` shares its wording."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stratus_commander.cli.output import incident_label, say

if TYPE_CHECKING:
    from stratus_commander.incident.outbox import Replayed
    from stratus_commander.session import Session

__all__ = ["events_text", "say_queued", "sent_line"]


def events_text(n: int) -> str:
    return f"{n} event{'s' if n != 1 else ''}"


def sent_line(done: Replayed) -> str:
    parts = [f"sent {events_text(done.sent)} that waited in the outbox"]
    if done.late:
        parts.append(f"{len(done.late)} recorded as flagged notes (they no longer applied)")
    if done.set_aside:
        parts.append(f"{events_text(len(done.set_aside))} set aside (see `outbox show`)")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def say_queued(session: Session) -> None:
    """After a recording command on a team database: what went to the outbox, or was sent from
    it (on stderr; the exit code stays 0: nothing is lost)."""
    from stratus_commander.store.offline import OfflineStore

    store = session.__dict__.get("store")  # never opened: nothing to say
    if not isinstance(store, OfflineStore):
        return
    done = session.replayed
    if done is not None and (done.sent or done.set_aside):
        say(sent_line(done), err=True)
    if not store.queued:
        return
    where = (
        "unreachable"
        if not store.link.reachable
        else "answers, but another process is still sending it earlier events"
    )
    text = (
        f"Server {store.location} {where} — queued {events_text(store.queued)} in the outbox "
        f"({store.outbox.path}); {'it' if store.queued == 1 else 'they'} will be sent when a "
        "cockpit or a command on this machine reaches the server, or by "
        "`stratus-commander outbox send`."
    )
    local = sorted((i for i in store.queued_incidents if i < 0), reverse=True)
    if local:
        names = ", ".join(incident_label(i) for i in local)
        text += f" {names} gets its number from the server then (`outbox show` tells it)."
    say(text, err=True)
