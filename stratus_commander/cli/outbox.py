"""``outbox show|send``: what waits on this machine for a team server that was away, and sending it.

A recording command (note, tick, decide, update, status, escalate, declare, …) on a team database
whose server cannot be reached writes its events to this machine's outbox for that database, as the
cockpit does, says so on stderr (``queued.py``) and exits 0: nothing is lost, and the events
are sent, in order and with their own times, by the next cockpit or command that reaches the
server, or by ``outbox send``. A refused command (bad input) queues nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from stratus_commander.cli.options import Options, pass_options
from stratus_commander.cli.output import fail, say, say_json, shown_time
from stratus_commander.cli.output import incident_label as _label
from stratus_commander.cli.queued import events_text as _events
from stratus_commander.cli.queued import sent_line as _sent_line
from stratus_commander.cli.root import main

if TYPE_CHECKING:
    from stratus_commander.store.offline import OfflineStore
    from stratus_commander.store.outbox import Outbox, OutboxEntry


@main.group()
def outbox() -> None:
    """What waits on this machine for an unreachable team server; send it.

    A recording command on a team database (--db postgresql://…) whose server is unreachable
    queues its events here and exits 0, saying so; they are sent, in order and with their own
    times, by the next cockpit or command that reaches the server, or by `outbox send`.
    """


def _team_url(opts: Options) -> str:
    from stratus_commander.store import is_postgres_url

    location = opts.db_path()
    if not is_postgres_url(location):
        fail(
            f"--db: {location} is a file; only a team database (postgresql://…) has an outbox "
            "(a file is written directly)"
        )
    return str(location)


def _open_outbox(url: str) -> Outbox:
    from stratus_commander.paths import outbox_path
    from stratus_commander.store.outbox import Outbox
    from stratus_commander.store.postgres.url import parse_url

    return Outbox(outbox_path(parse_url(url).shown))


def _entry_json(entry: OutboxEntry) -> dict[str, Any]:
    from stratus_commander.clock import to_iso

    return {
        "id": entry.id,
        "incident": _label(entry.incident_id),
        "at": to_iso(entry.at),
        "queued_at": to_iso(entry.queued_at),
        "kind": entry.kind,
        "actor": entry.actor,
        "text": entry.text,
    }


def _entry_line(entry: OutboxEntry) -> str:
    return (
        f"  {_label(entry.incident_id)}  {shown_time(entry.at)}  {entry.kind}  "
        f"{entry.actor}: {' '.join(entry.text.split())}"
    )


@outbox.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the outbox as JSON.")
@pass_options
def outbox_show(opts: Options, as_json: bool) -> None:
    """List the events waiting for the team server (no connection is made)."""
    url = _team_url(opts)
    box = _open_outbox(url)
    try:
        waiting = box.entries()
        aside = box.set_aside_entries()
        local = box.local_ids()
    finally:
        box.close()
    if as_json:
        say_json(
            {
                "server": url,
                "file": str(box.path),
                "waiting": [_entry_json(e) for e in waiting],
                "set_aside": [{**_entry_json(e), "reason": why} for e, why in aside],
                "local_incidents": {
                    _label(k): (f"INC-{v}" if v is not None else None) for k, v in local.items()
                },
            }
        )
        return
    say(f"Outbox of {url}: {box.path}")
    say(f"{_events(len(waiting))} waiting" + (":" if waiting else "."))
    for entry in waiting:
        say(_entry_line(entry))
    for local_id, server_id in sorted(local.items(), reverse=True):
        if server_id is not None:
            say(f"{_label(local_id)} (declared while the server was away) is INC-{server_id}.")
        else:
            say(f"{_label(local_id)} (declared while the server was away) is not sent yet.")
    if aside:
        say(f"{_events(len(aside))} set aside (the server does not hold their incident):")
        for entry, why in aside:
            say(f"{_entry_line(entry)}\n    ({why})", multiline=True)


@outbox.command("send")
@pass_options
def outbox_send(opts: Options) -> None:
    """Send what waits, in order, with each event's own time.

    Exit 0 when nothing waits any more; 1 when the server is still unreachable (or another
    process is sending), the events still waiting.
    """
    from stratus_commander.session import Access, Session

    url = _team_url(opts)
    session = Session(url, access=Access.RECORD, actor=opts.person())
    click.get_current_context().with_resource(session)
    store: OfflineStore = session.store  # type: ignore[assignment]  # opening it sends
    done = session.replayed
    if done is not None and (done.sent or done.set_aside):
        say(_sent_line(done))
    for local_id, server_id in sorted((done.declared if done else {}).items(), reverse=True):
        say(f"{_label(local_id)} is INC-{server_id} on the server.")
    left = store.outbox.count()
    if left == 0:
        if done is None or not (done.sent or done.set_aside):
            say(f"Nothing waits for {url}.")
        return
    if done is not None and done.busy:
        why = "another process (a cockpit?) is sending them"
    elif not store.link.reachable:
        why = f"the server is unreachable ({store.link.problem})"
    else:
        why = f"the server refused them for now ({store.link.problem})"
    say(f"{_events(left)} still waiting: {why}.", err=True)
    raise SystemExit(1)
