"""``probe --record``: the team's one prober, headless, as a long-running service.

It runs the configured probes on their intervals and writes every sample and flip into the
database (a file, or the team's PostgreSQL), and each flip during an open incident onto that
incident's timeline (the newest open incident that is not a drill, asked at each flip, so an
incident declared in any cockpit gets the flips that follow). Cockpits watching the database
see those events live. SIGTERM, SIGINT or SIGHUP (the terminal it ran in was closed) stops it:
probing stops, what is buffered is written, and :func:`record` returns (the command exits 0).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.probes.base import StateChange
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.probes.worker import ProbeWorker, Report, Setup
from stratus_commander.store import open_store

log = logging.getLogger(__name__)

#: Each ends the service in order; killed by SIGHUP's default, the last batch would be lost.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


async def record(
    specs: list[ProbeSpec],
    location: Path | str,
    say: Callable[[str], None],
    *,
    batch_interval_s: float = 1.0,
    stop: asyncio.Event | None = None,
) -> str:
    """Probe and record until one of :data:`STOP_SIGNALS` or ``stop``; returns why it stopped."""
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    why = ["asked"]

    def stopped_by(name: str) -> None:
        why[0] = name
        stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stopped_by, sig.name)
    clock = SystemClock()
    store = open_store(location)  # this loop's own: which incident a flip goes on
    incidents = Incidents(store, clock)

    def current() -> int | None:
        try:
            return next((i.id for i in incidents.list(open_only=True) if not i.drill), None)
        except Exception:  # the server is away: the flip is still kept as a sample and a flip
            log.exception("cannot read the open incident; this flip goes on no timeline")
            return None

    def report(item: Report) -> None:
        if isinstance(item, StateChange):
            was = f" (was {item.previous.value})" if item.previous else ""
            say(f"{item.probe} is now {item.current.value}{was}")
        elif isinstance(item, tuple):
            incident, event = item
            say(f"{incident.label} #{event.seq}: {event.text}")

    setup = Setup(specs, location, batch_interval_s=batch_interval_s)
    worker = ProbeWorker(setup, report, clock=clock, current=current)
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        worker.listening = False
        running.cancel()
        stopping.cancel()
        await asyncio.gather(running, stopping, return_exceptions=True)
        try:
            await worker.aclose()  # what was seen is written
        finally:
            store.close()
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
    if not running.cancelled() and running.exception() is not None:
        raise running.exception()  # type: ignore[misc]
    return why[0]
