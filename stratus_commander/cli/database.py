"""``db stats|prune|compact``: how big the database is, and keeping it bounded.

Retention (the ``[retention]`` table of the config file, see probes/retention.py) keeps raw
samples for ``raw_days`` outside incident windows and the per-minute rollup for good; a running
recorder prunes on its own, ``db prune`` does it now, ``db compact`` gives the space back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from stratus_commander.cli.options import Options, open_session, pass_options
from stratus_commander.cli.output import run_domain, say, say_json
from stratus_commander.cli.root import main

if TYPE_CHECKING:
    from stratus_commander.probes.retention import RetentionSettings
    from stratus_commander.session import Session


@main.group()
def db() -> None:
    """Show the database's size per table, prune old raw samples, reclaim space."""


def _settings(session: Session) -> RetentionSettings:
    from stratus_commander.probes.retention import RetentionSettings

    config = run_domain(lambda: session.config)
    return config.retention if config is not None else RetentionSettings()


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


@db.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the tables and settings as JSON.")
@pass_options
def db_stats(opts: Options, as_json: bool) -> None:
    """Rows and bytes of each table (its indexes included), and the retention settings."""
    with open_session(opts, readonly=True) as session:
        settings = _settings(session)
        tables = run_domain(session.store.table_stats)
        location = session.store.location
    retention: dict[str, Any] = {
        "raw_days": settings.raw_days,
        "incident_margin_hours": 1,
        "rollup": "kept for good",
    }
    if as_json:
        say_json({"location": location, "tables": tables, "retention": retention})
        return
    say(f"Database: {location}")
    width = max((len(t["name"]) for t in tables), default=5)
    click.echo(f"{'table'.ljust(width)}  {'rows':>12}  {'size':>10}")
    for t in tables:
        say(f"{t['name'].ljust(width)}  {t['rows']:>12,}  {_size(t['bytes']):>10}")
    total = sum(t["bytes"] for t in tables)
    click.echo(f"{'total'.ljust(width)}  {'':>12}  {_size(total):>10}")
    click.echo(
        f"Retention: raw samples kept {settings.raw_days:g} days, and for good from 1 h before "
        "each incident's detection to 1 h after its resolution; per-minute rollups kept for good."
    )


@db.command("prune")
@pass_options
def db_prune(opts: Options) -> None:
    """Delete the raw samples retention lets go now (a running recorder does it by itself)."""
    from stratus_commander.clock import to_ms
    from stratus_commander.probes.retention import prune

    with open_session(opts, readonly=False) as session:
        settings = _settings(session)
        now_ms = to_ms(session.clock.now())
        pruned = run_domain(prune, session.store, settings, now_ms, pause_s=0)
    click.echo(
        f"Pruned {pruned:,} raw samples older than {settings.raw_days:g} days outside incident "
        "windows; their per-minute rollup is kept. `db compact` gives the space back."
    )


@db.command("compact")
@pass_options
def db_compact(opts: Options) -> None:
    """Give free space back to the file system (incremental vacuum) and say how much."""
    with open_session(opts, readonly=False) as session:
        before, after = run_domain(session.store.compact)
    click.echo(
        f"Reclaimed {_size(max(before - after, 0))}: {_size(before)} before, {_size(after)} now."
    )
