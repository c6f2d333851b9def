"""The probes at work: the engine and the recorder, reporting everything to one ``emit``.

    worker = ProbeWorker(setup, emit)     # emit(ProbeState | StateChange | (Incident, Event))
    task = asyncio.create_task(worker.run())
    worker.follow_incident(7)             # flips from now on go on INC-7's timeline
    await worker.aclose()                 # stops probing, writes what is buffered

:class:`~stratus_commander.live.LiveProbes` runs one of these in a child process (:func:`main`),
so the probes' CPU (TLS, JSON, the Stripe SDK: several milliseconds a check) and their database
writes never compete with the cockpit's UI thread, not even for the GIL. Tests that drive time
with a fake clock run it on a thread instead.

The child reads pickled frames on stdin (first a :class:`Setup`, then ``("incident", id)`` and
``("stop",)``) and writes pickled frames on stdout: ``("report", item)`` for each item,
``("log", record)`` for each log record (the cockpit's handlers write them: one process owns the
log file) and ``("stopped", why)`` once everything is written. It stops when stdin closes too
(the cockpit died), and on SIGTERM or SIGHUP (a logout, a service manager or a closed terminal
signals the whole process group: the last batch is written first). It ignores Ctrl+C (the
terminal's, meant for the cockpit, which stops it in order).

A restarted worker is told the states shown before (``Setup.known``): its first results are
flips only where they differ, so a restart does not put "first check → down" on the timeline
of a probe that was down all along.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from stratus_commander.clock import Clock, SystemClock
from stratus_commander.incident import Incident
from stratus_commander.logs import quiet_noisy_loggers
from stratus_commander.probes.base import Outcome, ProbeResult, ProbeState, StateChange
from stratus_commander.probes.spec import ProbeSpec
from stratus_commander.secrets import register_secret, resolve_secret
from stratus_commander.timeline import Event

if TYPE_CHECKING:  # pydantic: only where a config was read
    from stratus_commander.probes.retention import RetentionSettings

__all__ = ["ProbeWorker", "Report", "Setup", "read_frame", "secret_resolver", "write_frame"]

log = logging.getLogger(__name__)

#: What a worker reports: a probe's state after a result (``.last`` is the result), a flip, or a
#: committed timeline event with the incident after it.
Report = ProbeState | StateChange | tuple[Incident, Event]

_LENGTH = struct.Struct("!I")


@dataclass(frozen=True)
class Setup:
    specs: list[ProbeSpec]
    db_path: Path | str  # a file, or a postgresql:// URL
    #: values for ``env:NAME`` references that are not in the environment (a drill's fake keys)
    secrets: Mapping[str, str] = field(default_factory=dict)
    incident_id: int | None = None
    batch_interval_s: float = 1.0
    max_concurrency: int = 50
    #: probe id -> the state shown before this worker started (a restart)
    known: Mapping[str, Outcome] = field(default_factory=dict)
    log_level: int = logging.INFO
    #: how long raw samples are kept (None: for ever, e.g. a drill's)
    retention: RetentionSettings | None = None


def secret_resolver(extra: Mapping[str, str]) -> Callable[[str], str | None]:
    """Resolve ``env:NAME`` from ``extra`` first (redacted like real keys), else as usual."""
    for value in extra.values():
        register_secret(value)

    def resolve(ref: str) -> str | None:
        if ref.startswith("env:") and ref[4:] in extra:
            return extra[ref[4:]]
        return resolve_secret(ref)

    return resolve


class ProbeWorker:
    def __init__(
        self,
        setup: Setup,
        emit: Callable[[Report], None],
        clock: Clock | None = None,
        current: Callable[[], int | None] | None = None,
    ) -> None:
        """``current``: the incident a flip goes on, asked at each flip (default: the one
        :meth:`follow_incident` set; the headless recorder asks the database)."""
        # Here, not at the top: the cockpit imports this module for the frames and types only,
        # and the engine brings httpx (a tenth of a second at start-up).
        from stratus_commander.probes.engine import ProbeEngine
        from stratus_commander.probes.recorder import Recorder

        clock = clock or SystemClock()
        self.engine = ProbeEngine.with_own_client(
            setup.specs,
            resolve=secret_resolver(setup.secrets),
            clock=clock,
            max_concurrency=setup.max_concurrency,
        )
        self._incident_id = setup.incident_id
        self._known = dict(setup.known)
        self.recorder = Recorder(
            setup.db_path,
            None,
            current or (lambda: self._incident_id),
            setup.batch_interval_s,
            announce=lambda incident, event: emit((incident, event)),
            clock=clock,
            retention=setup.retention,
        )
        self._emit = emit
        self.engine.on_result(self._on_result)
        self.engine.on_state_change(self._on_change)
        self.listening = True

    def follow_incident(self, incident_id: int | None) -> None:
        """Flips seen from now on go on this incident's timeline (``None``: on none)."""
        self._incident_id = incident_id

    async def run(self) -> None:
        """Probe on schedule and write batches until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.engine.run())
            group.create_task(self.recorder.run())

    async def run_once(self) -> list[ProbeResult]:
        """Every probe once, now, and what they saw written."""
        results = await self.engine.run_once()
        await self.recorder.flush()
        return results

    async def aclose(self) -> None:
        """Stop listening (what probes see while shutting down is not evidence), stop, write."""
        self.listening = False
        try:
            await self.engine.aclose()
        finally:
            await self.recorder.aclose()

    def _on_result(self, result: ProbeResult) -> None:
        if self.listening:
            self.recorder.on_result(result)
            state = self.engine.state(result.probe)
            if state is not None:
                self._emit(state)

    def _on_change(self, change: StateChange) -> None:
        known = self._known.pop(change.probe, None) if change.previous is None else None
        if known is change.current:
            return  # as shown before this worker started: not a flip
        if known is not None:
            change = replace(change, previous=known)
        if self.listening:
            self.recorder.on_state_change(change)
            self._emit(change)


# --- the child process -------------------------------------------------------------------------


def write_frame(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next message, or ``None`` at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)  # our own parent or child, over our own pipe


class _Outbox:
    """Frames to the cockpit from any thread: reports from the loop, log records from anywhere."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: object) -> None:
        with self._lock:
            write_frame(self._stream, message)


class _ToParent(logging.Handler):
    """Log records to the cockpit, rendered here (arguments and tracebacks do not pickle)."""

    def __init__(self, outbox: _Outbox) -> None:
        super().__init__()
        self._outbox = outbox

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sent = logging.makeLogRecord(record.__dict__)
            sent.msg, sent.args = record.getMessage(), None
            if record.exc_info:
                sent.exc_text = logging.Formatter().formatException(record.exc_info)
            sent.exc_info = None
            self._outbox.send(("log", sent))
        except (OSError, ValueError):  # the cockpit is gone (or its pipe closed): nobody to tell
            pass
        except Exception:
            self.handleError(record)


async def _serve(setup: Setup, commands: IO[bytes], outbox: _Outbox) -> bool:
    """Probe until told to stop; ``False`` if the probes failed instead."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    why = ["asked"]

    def emit(item: Report) -> None:  # always on this loop: results, flips and announcements
        try:
            outbox.send(("report", item))
        except OSError:  # the cockpit is gone: write what was seen, then stop
            stop.set()

    worker = ProbeWorker(setup, emit)

    def listen() -> None:  # on a thread: a blocking read of the parent's commands
        while True:
            message = read_frame(commands)
            if message is None or message[0] == "stop":
                loop.call_soon_threadsafe(stop.set)
                return
            if message[0] == "incident":
                loop.call_soon_threadsafe(worker.follow_incident, message[1])

    def terminated(sig: signal.Signals) -> None:
        log.warning("%s: stopping the probes, writing what they saw", sig.name)
        why[0] = sig.name
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGHUP):  # a logout; the terminal it ran from closed
        loop.add_signal_handler(sig, terminated, sig)
    threading.Thread(target=listen, name="commands", daemon=True).start()
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
    worker.listening = False
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    failure = None if running.cancelled() else running.exception()
    if failure is not None:
        log.error("the probes failed", exc_info=failure)
    stopping.cancel()
    await worker.aclose()
    if failure is None:  # else the cockpit sees the process end without saying it stopped
        with contextlib.suppress(OSError):
            outbox.send(("stopped", why[0]))
    return failure is None


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="probes: %(levelname)s %(name)s: %(message)s")
    # Frames go to the original stdout; anything printed by a library goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    commands = sys.stdin.buffer
    setup = read_frame(commands)
    if not isinstance(setup, Setup):
        sys.exit("probe worker: no setup on stdin")
    outbox = _Outbox(out)
    to_parent = _ToParent(outbox)
    root = logging.getLogger()
    for handler in list(root.handlers):  # from now on the cockpit's handlers write our records
        root.removeHandler(handler)
    root.addHandler(to_parent)
    root.setLevel(setup.log_level)
    quiet_noisy_loggers(verbose=setup.log_level <= logging.DEBUG)
    ok = asyncio.run(_serve(setup, commands, outbox))
    root.removeHandler(to_parent)
    with contextlib.suppress(OSError):
        out.close()
    sys.stderr.flush()
    # Everything is written. Not sys.exit: stopped by SIGTERM (or a failure) rather than by the
    # cockpit, the command thread is still blocked reading stdin, and the interpreter's shutdown
    # aborts on that stream's lock ("could not acquire lock ... at interpreter shutdown").
    os._exit(0 if ok else 1)
