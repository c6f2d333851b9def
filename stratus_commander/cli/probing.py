"""``probe``: the configured probes from the command line, once or on their intervals, or
recording into the database as the team's one prober (``--record``, see ``probes/service.py``).

With ``--json``, one JSON object per line per result (the format DESIGN.md fixes for other tools).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click

from stratus_commander.cli.options import Options, pass_options
from stratus_commander.cli.output import fail, fail_for, say, shown_clock, shown_zone
from stratus_commander.cli.root import main
from stratus_commander.cli.runbook_config import checked_config
from stratus_commander.text import for_terminal

_OUTCOME_COLOURS = {"up": "green", "degraded": "yellow", "down": "red", "unknown": "magenta"}


def _outcome_text(outcome: str, width: int = 0) -> str:
    return click.style(outcome.ljust(width), fg=_OUTCOME_COLOURS.get(outcome))


def _latency_text(latency_ms: float | None) -> str:
    return "-" if latency_ms is None else f"{latency_ms:.0f} ms"


def _print_table(results: list[Any]) -> None:
    # A probe's detail quotes what a server answered: shown escaped, never obeyed.
    raw = (
        (r.probe, r.kind, r.check, r.outcome.value, _latency_text(r.latency_ms), r.detail)
        for r in results
    )
    rows = [tuple(for_terminal(cell) for cell in row) for row in raw]
    head = ("PROBE", "KIND", "CHECK", "OUTCOME", "LATENCY", "DETAIL")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(5)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(head, [*widths, 0], strict=True)).rstrip())
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2])]
        cells += [_outcome_text(row[3], widths[3]), row[4].rjust(widths[4]), row[5]]
        click.echo("  ".join(cells))


async def _probe_once(specs: list[Any]) -> tuple[list[Any], Any]:
    from stratus_commander.probes.engine import ProbeEngine

    engine = ProbeEngine.with_own_client(specs)
    try:
        return await engine.run_once(), engine.states
    finally:
        await engine.aclose()


async def _probe_forever(specs: list[Any], as_json: bool) -> None:
    from stratus_commander.probes.engine import ProbeEngine

    engine = ProbeEngine.with_own_client(specs)
    if as_json:
        engine.on_result(lambda r: click.echo(json.dumps(r.as_json())))
    else:
        engine.on_result(
            lambda r: click.echo(
                f"{shown_clock(r.at)}  {for_terminal(r.probe)}  "
                f"{_outcome_text(r.outcome.value)}  {_latency_text(r.latency_ms)}  "
                f"{for_terminal(r.detail)}"
            )
        )
        engine.on_state_change(
            lambda c: click.echo(
                f"{shown_clock(c.at)}  == {for_terminal(c.probe)} is now "
                f"{_outcome_text(c.current.value)}"
                + (f" (was {c.previous.value})" if c.previous else "")
            )
        )
    try:
        await engine.run()
    finally:
        await engine.aclose()


def _record(opts: Options, specs: list[Any]) -> None:
    import asyncio

    from stratus_commander.errors import StratusError
    from stratus_commander.probes.service import record

    where = opts.db_path()
    zone = click.style(f"times in {shown_zone()}", dim=True)
    click.echo(
        f"Recording {len(specs)} probe(s) into {where}; SIGTERM or Ctrl-C stops. {zone}", err=True
    )

    def say_line(text: str) -> None:
        click.echo(f"{shown_clock(datetime.now(UTC))}  {for_terminal(text)}", err=True)

    try:
        why = asyncio.run(record(specs, where, say_line))
    except StratusError as exc:
        fail_for(exc)
    click.echo(f"Stopped ({why}); every sample seen is written to {where}.", err=True)


@main.command()
@click.option("--once", is_flag=True, help="Run each probe once, then exit 0 (all up) or 1.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per result.")
@click.option(
    "--record",
    is_flag=True,
    help="Headless: write samples, flips and their timeline events into --db until SIGTERM.",
)
@pass_options
def probe(opts: Options, once: bool, as_json: bool, record: bool) -> None:
    """Run the configured probes (--config) and print each result.

    Without --once, runs every probe on its interval until Ctrl-C, printing each result and each
    change of a probe's displayed state. With --once, exit code 0 means every probe is up, 1 that
    something is not up; a bad config exits 2.

    With --record, the team's one prober: every sample and flip is written into --db (a file or
    a postgresql:// URL), and each flip during an open incident onto its timeline, where every
    cockpit watching sees it. It runs until SIGTERM, Ctrl-C or SIGHUP (its terminal closed),
    writes what it saw and exits 0.
    """
    import asyncio
    import contextlib

    if record and (once or as_json):
        fail("--record runs until stopped and prints no results: drop --once and --json")
    loaded = checked_config(opts.config_path())
    if not loaded.probes:
        fail(f"{loaded.path}: no [[probes]] configured")
    if record:
        _record(opts, loaded.probes)
        return
    if not once:
        if not as_json:
            zone = click.style(f"times in {shown_zone()}", dim=True)
            click.echo(f"Probing {len(loaded.probes)} target(s); Ctrl-C stops. {zone}", err=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how this mode ends
            asyncio.run(_probe_forever(loaded.probes, as_json))
        return

    results, states = asyncio.run(_probe_once(loaded.probes))
    if as_json:
        for result in results:
            click.echo(json.dumps(result.as_json()))
    else:
        from stratus_commander.probes.triage import group_evidence, hint

        _print_table(results)
        proposed = hint(group_evidence(states))
        click.echo()
        say(f"Triage hint: {proposed.decision} — {proposed.reason}")
    sys.exit(0 if all(r.outcome.value == "up" for r in results) else 1)
