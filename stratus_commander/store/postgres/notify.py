"""Live team mode: every committed append is announced to every cockpit on the database.

An append sends ``NOTIFY`` inside its own transaction (:func:`notify_sql`), so the notice is
delivered when, and only when, the event is committed, in commit order. A :class:`Watcher` is a
thread with its own connection that ``LISTEN``s and blocks in ``conn.notifies()`` (no polling of
the tables): it calls ``callback(incident_id, seq)`` for each notice, on its own thread. When
the connection is lost it reconnects (backing off up to :data:`RETRY_MAX_S`) and then calls
``callback(None, 0)``: "anything may have changed while I was away", so the listener reads its
incidents' heads again. Samples and flips notify on :data:`SAMPLES_CHANNEL` (``on_samples()``:
a team cockpit that does not probe reads what the team's prober wrote).

Channels are per database in PostgreSQL, so one fixed name serves every team database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from stratus_commander.errors import StratusError
from stratus_commander.store.postgres.connection import Conn, connect
from stratus_commander.store.postgres.url import Target

log = logging.getLogger(__name__)

#: The channel appends notify on (channels are per database).
CHANNEL = "stratus_commander_events"
#: The channel a batch of samples (or a flip) notifies on, with an empty payload.
SAMPLES_CHANNEL = "stratus_commander_samples"
#: How often the watcher wakes to see whether it was asked to stop (not a poll of the tables).
WAKE_S = 0.5
RETRY_MAX_S = 5.0

#: ``callback(incident_id, seq)``; ``(None, 0)`` after a reconnection.
Callback = Callable[[int | None, int], None]


def notify_sql() -> str:
    """The statement an append runs in its transaction, with (channel, payload) parameters."""
    return "SELECT pg_notify(%s, %s)"


def payload(incident_id: int, seq: int) -> str:
    return f"{incident_id} {seq}"


def parse_payload(text: str) -> tuple[int, int] | None:
    """``(incident id, seq)``, or ``None`` for a payload that is not ours."""
    parts = text.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


class Watcher:
    """A thread listening on :data:`CHANNEL` of one database until :meth:`stop`."""

    def __init__(
        self, target: Target, callback: Callback, on_samples: Callable[[], None] | None = None
    ) -> None:
        self.target = target
        self.callback = callback
        self.on_samples = on_samples
        self._stop = threading.Event()
        #: set once the first LISTEN is in place (tests and benchmarks wait for it)
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-watcher", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening; returns once the thread has ended (within ``WAKE_S``)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = 0.2
        first = True
        while not self._stop.is_set():
            try:
                conn = connect(self.target)
            except StratusError as exc:
                if self._stop.is_set():  # stopped while connecting (a join can time out first)
                    break
                log.warning("live updates: %s; retrying in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            try:
                conn.execute(f"LISTEN {CHANNEL}")
                if self.on_samples is not None:
                    conn.execute(f"LISTEN {SAMPLES_CHANNEL}")
                delay = 0.2
                if not first:
                    self.callback(None, 0)  # what was committed while we were away
                    if self.on_samples is not None:
                        self.on_samples()
                first = False
                self.listening.set()
                self._listen(conn)
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("live updates: lost the server (%s); reconnecting", exc)
                    self._stop.wait(delay)
            finally:
                conn.close()

    def _listen(self, conn: Conn) -> None:
        while not self._stop.is_set():
            for notice in conn.notifies(timeout=WAKE_S):
                try:
                    if notice.channel == SAMPLES_CHANNEL:
                        if self.on_samples is not None:
                            self.on_samples()
                    elif (parsed := parse_payload(notice.payload)) is not None:
                        self.callback(*parsed)
                except Exception:  # a listener's bug must not end live updates
                    log.exception("live updates: the listener failed")
                if self._stop.is_set():
                    return
