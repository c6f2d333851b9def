"""Benchmark of the probe engine over loopback (run by hand; not collected by pytest).

    .venv/bin/python tests/bench/bench_probe_engine.py [--checks 2000] [--seconds 20]

1. Throughput: ``--checks`` http checks through ``ProbeEngine.run_once`` against a raw
   ``httpx.AsyncClient`` gather of the same requests, same client and limits, same run (best of 3,
   alternating). The raw gather is measured twice: all requests at once (what ``gather`` does) and
   bounded by a semaphore to the engine's concurrency; the ratio is against the faster of the two.
   Target: engine ≤ 1.25 × raw.
2. Event-loop lag: a 10 ms ticker's overshoot (p50/p99/max) while 200 probes run at a 1 s interval
   for ``--seconds``, beside the same ticker on an idle loop and under a raw "200 requests every
   second" gather. Target: engine p99 ≤ 16 ms.

The HTTP server runs in a separate process (a minimal asyncio keep-alive server) so that it does
not compete with the measured event loop for the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from stratus_commander.probes import http
from stratus_commander.probes.base import Outcome, ProbeResult
from stratus_commander.probes.engine import ProbeEngine, make_client

BODY = b'{"status": "ok", "checks": {"database": "ok"}}'
CONCURRENCY = 50
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


# --- the server (child process) ---------------------------------------------------------------


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_serve_connection, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/api/health"


# --- 1. throughput --------------------------------------------------------------------------------


def specs(n: int, url: str, interval_s: float = 60.0) -> list[http.Spec]:
    return [
        http.Spec(
            id=f"p{i}",
            kind="http",
            check="api",
            url=url,
            expect_json={"status": "ok"},
            interval_s=interval_s,
            degraded_ms=60_000,  # queueing on a loaded 2-core box is not what is measured here
        )
        for i in range(n)
    ]


async def raw_gather(
    client: httpx.AsyncClient, url: str, n: int, bound: int | None = None
) -> float:
    slots = asyncio.Semaphore(bound or n)

    async def one() -> None:
        async with slots:
            response = await client.get(url)
        assert response.status_code == 200 and response.json()["status"] == "ok"

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - started


async def engine_run(client: httpx.AsyncClient, url: str, n: int) -> float:
    engine = ProbeEngine(specs(n, url), client, max_concurrency=CONCURRENCY)
    seen: list[ProbeResult] = []
    engine.on_result(seen.append)  # a subscriber, as the cockpit and the store will be
    started = time.perf_counter()
    results = await engine.run_once()
    elapsed = time.perf_counter() - started
    bad = [r for r in results if r.outcome is not Outcome.UP]
    assert len(seen) == n and not bad, bad[:3]
    return elapsed


async def throughput(url: str, n: int) -> None:
    async with make_client(max_connections=CONCURRENCY) as client:
        await raw_gather(client, url, 200)  # warm the pool and the code paths
        await engine_run(client, url, 200)
        raw, bounded, eng = [], [], []
        for _ in range(3):
            raw.append(await raw_gather(client, url, n))
            bounded.append(await raw_gather(client, url, n, bound=CONCURRENCY))
            eng.append(await engine_run(client, url, n))
    best_raw, best_bounded, best_eng = min(raw), min(bounded), min(eng)
    print(f"\n1. {n} checks over loopback, {CONCURRENCY} connections (best of 3)")
    print(f"   raw httpx gather, all at once  : {best_raw:6.3f} s  ({n / best_raw:6.0f} req/s)")
    print(f"   raw httpx gather, {CONCURRENCY} at a time: ", end="")
    print(f"{best_bounded:6.3f} s  ({n / best_bounded:6.0f} req/s)")
    print(f"   ProbeEngine.run_once           : {best_eng:6.3f} s  ({n / best_eng:6.0f} checks/s)")
    ratio = best_eng / min(best_raw, best_bounded)
    print(
        f"   engine / faster raw            : {ratio:6.2f} x  (target <= 1.25)",
        verdict(ratio <= 1.25),
    )


# --- 2. event-loop lag ----------------------------------------------------------------------------


async def ticker(stop: asyncio.Event, lags: list[float], tick: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(tick)
        lags.append(max(loop.time() - started - tick, 0.0) * 1000.0)


async def measure(load: object, seconds: float) -> list[float]:
    """Ticker lags (ms) while ``load`` (a coroutine function or None) runs for ``seconds``."""
    stop = asyncio.Event()
    lags: list[float] = []
    tick = asyncio.create_task(ticker(stop, lags))
    work = asyncio.create_task(load()) if callable(load) else None  # type: ignore[arg-type]
    await asyncio.sleep(seconds)
    stop.set()
    if work is not None:
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
    await tick
    return lags


def summary(name: str, lags: list[float]) -> float:
    ordered = sorted(lags)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"   {name:<28}: p50 {statistics.median(ordered):5.2f} ms  p99 {p99:6.2f} ms  "
        f"max {ordered[-1]:6.2f} ms  ({len(ordered)} ticks)"
    )
    return p99


async def loop_lag(url: str, seconds: float, probes: int = 200) -> None:
    async with make_client(max_connections=CONCURRENCY) as client:

        async def naive() -> None:  # what a loop without jitter or bounds would do
            loop = asyncio.get_running_loop()
            start = loop.time()
            k = 0
            while True:
                await asyncio.gather(*(client.get(url) for _ in range(probes)))
                k += 1
                await asyncio.sleep(max(start + k - loop.time(), 0))

        engine = ProbeEngine(specs(probes, url, interval_s=1.0), client)
        results: list[ProbeResult] = []
        engine.on_result(results.append)

        print(f"\n2. event-loop lag, 10 ms ticker, {seconds:g} s each")
        summary("idle loop", await measure(None, min(seconds, 5.0)))
        summary(f"raw gather {probes} req every 1 s", await measure(naive, seconds))
        p99 = summary(f"engine {probes} probes @ 1 s", await measure(engine.run, seconds))
        await engine.aclose()
    up = sum(r.outcome is Outcome.UP for r in results)
    print(f"   engine checks run: {len(results)} ({up} up)")
    print(f"   engine p99 target <= 16 ms: {verdict(p99 <= 16.0)}")


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


async def bench(checks: int, seconds: float) -> None:
    proc, url = start_server()
    try:
        print(
            f"Python {platform.python_version()}, httpx {httpx.__version__}, "
            f"{os.cpu_count()} CPUs, server in pid {proc.pid}"
        )
        await throughput(url, checks)
        await loop_lag(url, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
    else:
        asyncio.run(bench(args.checks, args.seconds))


if __name__ == "__main__":
    main()
