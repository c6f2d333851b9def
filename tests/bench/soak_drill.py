"""Soak: an hour of accelerated drill through the whole cockpit; RSS growth and any crash.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/soak_drill.py [--minutes 60] [--speed 60]

The cockpit runs in a child process (so a crash — an exception, an abort, a segfault — is seen
and reported, not suffered): the drill scenarios play one after another at ``--speed``, an
incident is declared in each and resolved at its end, the commander's hand switches tabs, the
palette and adds notes. The child prints its RSS every minute, with its probe worker's (a new
worker for each scenario); the parent reports the cockpit's growth from the first minute
(start-up settled) to the last, and how the child ended.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def probe_workers() -> list[float]:
    """RSS (MB) of each child process (the probe worker; a stuck old one would show here)."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid()
            ):
                out.append(rss_mb(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return out


async def child(minutes: float, speed: float) -> None:
    from stratus_commander.qt.app import open_settings
    from stratus_commander.qt.session import CockpitApp
    from stratus_commander.runbook import load_runbook
    from stratus_commander.session import Session

    db = Path(tempfile.mkdtemp(prefix="stratus-soak-")) / "soak.db"
    scenarios = [
        "payment-processing-down",
        "database-connection-issues",
        "webhook-processing-failed",
        "supabase-outage",
        "high-error-rates",
    ]
    app = CockpitApp(
        Session(db, runbook=load_runbook()), drill_speed=speed, settings=open_settings()
    )
    app.start_drill(scenarios[0], speed)
    stop = asyncio.Event()

    async def commander() -> None:
        window = app.window
        start = time.monotonic()
        step, scenario_no, incident = 0, 0, None
        next_rss = start
        while time.monotonic() - start < minutes * 60:
            now = time.monotonic()
            if now >= next_rss:
                workers = probe_workers()
                print(
                    f"rss {(now - start) / 60:.1f} {rss_mb():.1f} "
                    f"workers {len(workers)} {sum(workers):.1f}",
                    flush=True,
                )
                next_rss += 60
            step += 1
            window.show_tab(step % 5)
            if step % 30 == 0:
                window.set_theme("dark" if step % 60 else "light")
            assert app.live is not None
            elapsed = app.live.simulator.elapsed().total_seconds()
            if incident is None and elapsed > 150:
                incident = app.incidents.declare(f"Soak {scenario_no}", "Major", drill=True)
                window.set_incident(incident)
            if incident is not None and step % 20 == 0:
                app.incidents.note(incident.id, f"soak note {step}")
            if elapsed > 40 * 60:  # the scenario is over: resolve, next scenario
                if incident is not None:
                    app.incidents.resolve(incident.id, "soak: scenario over")
                    incident = None
                scenario_no += 1
                app.start_drill(scenarios[scenario_no % len(scenarios)], speed)
            await asyncio.sleep(1)
        print(f"rss {(time.monotonic() - start) / 60:.1f} {rss_mb():.1f}", flush=True)
        samples = app.session.store.query("SELECT count(*) AS n FROM samples")[0]["n"]
        events = app.session.store.query("SELECT count(*) AS n FROM events")[0]["n"]
        print(f"done scenarios={scenario_no + 1} samples={samples} events={events}", flush=True)
        stop.set()

    driver = asyncio.ensure_future(commander())
    await app.run(stop)
    await driver


def parent(minutes: float, speed: float) -> int:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    home = Path(tempfile.mkdtemp(prefix="stratus-soak-home-"))
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", "--minutes", str(minutes), "--speed", str(speed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    rss: list[tuple[float, float]] = []
    summary = ""
    for line in proc.stdout:
        print(line.rstrip(), flush=True)
        if line.startswith("rss "):
            _, at, mb, *workers = line.split()
            rss.append((float(at), float(mb)))
            if workers and int(workers[1]) > 1:
                print(f"  {workers[1]} probe workers alive at minute {at} (expected 1)")
        elif line.startswith("done "):
            summary = line.strip()
    err = proc.stderr.read()
    code = proc.wait()
    print(f"\nSoak of {minutes:g} min at x{speed:g}: child exit code {code}")
    if code != 0:
        print("CRASH — the child's last error output:\n" + err[-3000:])
    if len(rss) >= 2:
        warm = next((mb for at, mb in rss if at >= 1.0), rss[0][1])
        print(
            f"RSS: {rss[0][1]:.0f} MB at start, {warm:.0f} MB after a minute, {rss[-1][1]:.0f} MB "
            f"at the end: growth {rss[-1][1] - warm:+.1f} MB after the first minute"
        )
    print(summary or "no summary (the child did not finish)")
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import qasync

        from stratus_commander.qt.application import ensure_app

        ensure_app()
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            runner.run(child(args.minutes, args.speed))
        return
    sys.exit(parent(args.minutes, args.speed))


if __name__ == "__main__":
    main()
