"""Team mode benchmarks on a throwaway loopback PostgreSQL, each beside a raw psycopg baseline
measured in the same run.

    python tests/bench/bench_team.py [--events 300]

Targets (issue 11): an event one cockpit appends reaches another cockpit's listeners (through
``Store.watch`` and the incident follower, on their own connections and thread) with p99 ≤ 100 ms
over loopback, beside a raw NOTIFY round trip; the durable append (``Incidents.note``: row lock,
hash chain, search words, NOTIFY, commit) p50/p99 ≤ 2× a raw psycopg INSERT+COMMIT, the two
taken in turns (one of each at a time) so a noisy machine weighs on both alike.

The server is the tests' throwaway one (``tests/integration/pg_server.py``), restarted here
with fsync and synchronous commit on (a durable append waits for its WAL flush, as in
production); ``--fast`` keeps them off (then every figure is round trips, not disks).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import statistics
import threading
import time

import psycopg
from psycopg import sql

from stratus_commander.clock import SystemClock
from stratus_commander.incident import Incidents
from stratus_commander.incident.follow import Follower
from stratus_commander.store import open_store
from tests.integration.pg_server import (
    MAX_CONNECTIONS,
    PgServer,
    _run,
    _run_as,
    _runner,
    find_bin_dir,
    pg_server,
)

PASSWORD = "bench-Pa55-not-a-secret"


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def _line(name: str, ms: list[float], raw: list[float] | None = None) -> str:
    p50, p99 = _pct(ms, 50), _pct(ms, 99)
    text = f"{name:<52} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  mean {statistics.mean(ms):6.2f}"
    if raw is not None:
        text += f"   (×{p50 / _pct(raw, 50):.2f} p50, ×{p99 / _pct(raw, 99):.2f} p99 of raw)"
    return text


def raw_notify_round_trip(dsn: str, n: int) -> list[float]:
    """NOTIFY on one connection, heard by a thread blocked in notifies() on another."""
    heard = threading.Event()
    stop = threading.Event()
    listener = psycopg.connect(dsn, autocommit=True)
    listener.execute("LISTEN bench")

    def listen() -> None:
        while not stop.is_set():
            for _ in listener.notifies(timeout=0.2):
                heard.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    out = []
    with psycopg.connect(dsn, autocommit=True) as sender:
        for i in range(n):
            heard.clear()
            t0 = time.perf_counter()
            sender.execute("SELECT pg_notify('bench', %s)", [str(i)])
            heard.wait(10)
            out.append((time.perf_counter() - t0) * 1000)
    stop.set()
    thread.join()
    listener.close()
    return out


def cross_cockpit(url: str, n: int) -> tuple[list[float], list[float]]:
    """From before cockpit A's note to (1) B's watcher hearing of it and (2) B's listeners being
    told the event (B read it on its own connection, on its own thread, as the GUI does)."""
    writer_store = open_store(url)
    writer = Incidents(writer_store, SystemClock(), actor="commander")
    incident = writer.declare("bench", "Minor", ["API"])
    notices: queue.Queue[tuple[int | None, int] | None] = queue.Queue()
    noticed: dict[int, float] = {}
    told: dict[int, float] = {}
    told_event = threading.Event()

    def notice(iid: int | None, seq: int) -> None:
        noticed[seq] = time.perf_counter()
        notices.put((iid, seq))

    ready = threading.Event()

    def cockpit_b() -> None:
        store = open_store(url)
        incidents = Incidents(store, SystemClock(), actor="scribe")

        def on_event(_incident: object, event: object) -> None:
            told[event.seq] = time.perf_counter()  # type: ignore[attr-defined]
            told_event.set()

        incidents.subscribe(on_event)
        follower = Follower(incidents)
        ready.set()
        while (item := notices.get()) is not None:
            follower.catch_up(*item)
        store.close()

    thread = threading.Thread(target=cockpit_b, daemon=True)
    thread.start()
    ready.wait()
    stop = writer_store.watch(notice)
    assert stop is not None
    time.sleep(0.5)  # the watcher's LISTEN is in place
    to_notice, to_told = [], []
    for i in range(n):
        told_event.clear()
        t0 = time.perf_counter()
        event = writer.note(incident.id, f"note {i}")
        told_event.wait(10)
        while event.seq not in told:
            told_event.clear()
            told_event.wait(10)
        to_notice.append((noticed[event.seq] - t0) * 1000)
        to_told.append((told[event.seq] - t0) * 1000)
    stop()
    notices.put(None)
    thread.join()
    writer_store.close()
    return to_notice, to_told


def appends(url: str, dsn: str, n: int) -> tuple[list[float], list[float]]:
    """Ours and the raw baseline taken in turns, one of each at a time: a noisy machine slows
    both alike, not whichever happened to run during the noise."""
    with psycopg.connect(dsn, autocommit=True) as raw, open_store(url) as store:
        raw.execute(
            "CREATE TABLE raw_events (incident_id int, seq int, at text, kind text, actor text, "
            "text text, data jsonb, prev_hash text, hash text, PRIMARY KEY (incident_id, seq))"
        )
        incidents = Incidents(store, SystemClock())
        incident = incidents.declare("bench appends", "Minor", ["API"])
        raw_ms, ours = [], []
        for i in range(n):
            t0 = time.perf_counter()
            with raw.transaction():
                raw.execute(
                    "INSERT INTO raw_events VALUES (1, %s, '2026-12-06T01:00:00.000Z', 'note', "
                    "'commander', %s, '{}', %s, %s)",
                    [i + 1, f"note {i}", "0" * 64, "1" * 64],
                )
            raw_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            incidents.note(incident.id, f"note {i}")
            ours.append((time.perf_counter() - t0) * 1000)
    return ours, raw_ms


def make_durable(server: PgServer) -> None:
    """Restart the tests' server with fsync and synchronous commit on."""
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    options = (
        f"-c port={server.port} -c listen_addresses=127.0.0.1 "
        f"-c unix_socket_directories={server.socket_dir} -c max_connections={MAX_CONNECTIONS} "
        "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    )
    log = str(server.socket_dir / "server.log")
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(server.datadir), "-l", log, "-o", options, "-w"]
    _run([*pg_ctl, "-m", "fast", "restart"], **_runner(_run_as()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--fast", action="store_true", help="keep fsync off (round trips only)")
    args = parser.parse_args()
    n = args.events
    with contextlib.contextmanager(pg_server.__wrapped__)() as server:  # the tests' server
        if not args.fast:
            make_durable(server)
        with psycopg.connect(server.admin_dsn(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("CREATE ROLE team LOGIN PASSWORD {}").format(sql.Literal(PASSWORD))
            )
            admin.execute("CREATE DATABASE bench OWNER team")
        os.environ["PGPASSWORD"] = PASSWORD
        url = f"postgresql://team@127.0.0.1:{server.port}/bench"
        dsn = f"postgresql://team:{PASSWORD}@127.0.0.1:{server.port}/bench"
        open_store(url).close()  # the schema
        with psycopg.connect(dsn) as conn:
            fsync = conn.execute("SHOW fsync").fetchone()
        print(f"PostgreSQL on loopback port {server.port}, fsync {fsync}; {n} events each")
        raw_rt = raw_notify_round_trip(dsn, n)
        to_notice, to_told = cross_cockpit(url, n)
        ours, raw_ms = appends(url, dsn, n)
    print(_line("raw NOTIFY round trip", raw_rt))
    print(_line("cockpit A note → B's watcher hears", to_notice, raw_rt))
    print(_line("cockpit A note → B's listeners told (goal p99≤100)", to_told, raw_rt))
    print(_line("raw INSERT+COMMIT", raw_ms))
    print(_line("durable append, Incidents.note (goal ≤2×)", ours, raw_ms))


if __name__ == "__main__":
    main()
