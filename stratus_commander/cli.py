"""The command line: a thin click layer over the same domain functions the GUI calls.

Exit codes (DESIGN.md): 0 ok; 1 the thing checked is unhealthy; 2 bad input, usage or config.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from stratus_commander.errors import InputError, NotFound, StratusError


@dataclass
class Options:
    """Global options, resolved lazily so ``--help`` never touches the disk."""

    db: Path | None
    config: Path | None
    runbook: Path | None

    def db_path(self) -> Path:
        from stratus_commander.paths import default_db_path

        return self.db or default_db_path()

    def config_path(self) -> Path:
        from stratus_commander.paths import default_config_path

        return self.config or default_config_path()


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def run_domain(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a domain function; its deliberate errors become a message and exit code 2."""
    try:
        return fn(*args, **kwargs)
    except (InputError, NotFound, StratusError) as exc:
        fail(str(exc))


pass_options = click.make_pass_decorator(Options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="STRATUS_COMMANDER_DB",
    help="SQLite file of incidents [env STRATUS_COMMANDER_DB; default: user data dir].",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="STRATUS_COMMANDER_CONFIG",
    help="Probe config TOML [env STRATUS_COMMANDER_CONFIG; default: user config dir].",
)
@click.option(
    "--runbook",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Runbook TOML [default: the bundled StratusConnect runbook].",
)
@click.version_option(package_name="stratus-commander")
@click.pass_context
def main(ctx: click.Context, db: Path | None, config: Path | None, runbook: Path | None) -> None:
    """Stratus Commander: the incident commander's cockpit.

    With no command, opens the cockpit (GUI) on the last open incident.
    """
    ctx.obj = Options(db=db, config=config, runbook=runbook)
    if ctx.invoked_subcommand is None:
        from stratus_commander.qt.app import run_gui

        sys.exit(run_domain(run_gui, ctx.obj.db_path(), runbook))


@main.group()
def incidents() -> None:
    """Declare, update, inspect, export and verify incidents."""


@main.group()
def runbook() -> None:
    """Check the runbook and list what incidents taught it."""


@main.group()
def config() -> None:
    """Check the probe configuration."""


# --- incidents ---------------------------------------------------------------------------------


def _open_incidents(opts: Options) -> Any:
    from stratus_commander.clock import SystemClock
    from stratus_commander.incident import Incidents
    from stratus_commander.store import Store

    store = run_domain(Store.open, opts.db_path())
    return Incidents(store, SystemClock(), actor=os.environ.get("USER") or "commander")


def _incident_id(text: str) -> int:
    from stratus_commander.incident import parse_incident_id

    return int(run_domain(parse_incident_id, text))


def _load_runbook(opts: Options) -> Any:
    from stratus_commander.runbook import load_runbook

    return run_domain(load_runbook, opts.runbook)


def _split(values: tuple[str, ...]) -> list[str]:
    """``--services API,Webhooks`` and ``--services API --services Webhooks`` both work."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _when(text: str | None) -> Any:
    if text is None:
        return None
    from stratus_commander.clock import from_iso

    try:
        return from_iso(text)
    except ValueError as exc:
        fail(f"--detected-at: {text!r} is not an ISO-8601 time with a zone ({exc})")


@incidents.command("declare")
@click.option("--title", required=True, help="Clear, descriptive incident title.")
@click.option("--impact", required=True, help="Minor, Major or Critical.")
@click.option(
    "--services", multiple=True, help="Scope: API, Web, Webhooks, Database (comma-separated)."
)
@click.option("--affected", multiple=True, help="Affected services, free text (comma-separated).")
@click.option("--detected-at", help="When it began, ISO-8601 with zone (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the incident as JSON.")
@pass_options
def incidents_declare(
    opts: Options,
    title: str,
    impact: str,
    services: tuple[str, ...],
    affected: tuple[str, ...],
    detected_at: str | None,
    as_json: bool,
) -> None:
    """Declare an incident (starts every runbook clock)."""
    inc = _open_incidents(opts)
    incident = run_domain(
        inc.declare,
        title=title,
        impact=impact,
        scope=_split(services),
        affected_services=_split(affected),
        detected_at=_when(detected_at),
    )
    if as_json:
        click.echo(json.dumps(incident.as_json(), indent=2))
    else:
        click.echo(f"Declared {incident.label}: {incident.title} ({incident.impact})")


@incidents.command("note")
@click.argument("incident_id", metavar="ID")
@click.argument("text")
@pass_options
def incidents_note(opts: Options, incident_id: str, text: str) -> None:
    """Add a note to the timeline."""
    inc = _open_incidents(opts)
    event = run_domain(inc.note, _incident_id(incident_id), text)
    click.echo(f"INC-{event.incident_id} #{event.seq} note recorded")


@incidents.command("status")
@click.argument("incident_id", metavar="ID")
@click.argument(
    "status", type=click.Choice(["investigating", "identified", "monitoring", "resolved"])
)
@click.option("--text", default="", help="What changed, for the timeline.")
@pass_options
def incidents_status(opts: Options, incident_id: str, status: str, text: str) -> None:
    """Move the incident to another status."""
    inc = _open_incidents(opts)
    run_domain(inc.set_status, _incident_id(incident_id), status, text)
    click.echo(f"INC-{_incident_id(incident_id)} is now {status}")


@incidents.command("resolve")
@click.argument("incident_id", metavar="ID")
@click.option("--text", default="", help="What resolved it, for the timeline.")
@pass_options
def incidents_resolve(opts: Options, incident_id: str, text: str) -> None:
    """Mark the incident resolved (starts the post-incident review clock)."""
    inc = _open_incidents(opts)
    run_domain(inc.resolve, _incident_id(incident_id), text)
    click.echo(f"INC-{_incident_id(incident_id)} resolved")


@incidents.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only incidents not yet resolved.")
@click.option("--search", "search", help="Full-text search in titles, notes and timelines.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@pass_options
def incidents_list(opts: Options, open_only: bool, search: str | None, as_json: bool) -> None:
    """List incidents, newest first."""
    inc = _open_incidents(opts)
    rows = inc.search(search) if search else inc.list(open_only=open_only)
    if open_only and search:
        rows = [r for r in rows if r.is_open]
    if as_json:
        click.echo(json.dumps([r.as_json() for r in rows], indent=2))
        return
    if not rows:
        click.echo("No incidents.")
        return
    from stratus_commander.clock import to_iso

    for r in rows:
        drill = " [drill]" if r.drill else ""
        click.echo(
            f"{r.label:<8} {r.status:<13} {r.impact:<8} {to_iso(r.declared_at)}  {r.title}{drill}"
        )


@incidents.command("show")
@click.argument("incident_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Incident, clocks and timeline as JSON.")
@pass_options
def incidents_show(opts: Options, incident_id: str, as_json: bool) -> None:
    """Show an incident with its clocks and timeline."""
    from stratus_commander.clock import to_iso
    from stratus_commander.deadlines import clocks

    inc = _open_incidents(opts)
    runbook_ = _load_runbook(opts)
    incident = run_domain(inc.get, _incident_id(incident_id))
    readings = clocks(incident, runbook_, inc.clock.now())
    evs = inc.events(incident.id)
    if as_json:
        out = incident.as_json()
        out["clocks"] = [
            {
                "id": r.id,
                "label": r.label,
                "state": r.state.value,
                "due_at": to_iso(r.due_at) if r.due_at else None,
                "remaining_s": r.remaining.total_seconds() if r.remaining is not None else None,
                "met_at": to_iso(r.met_at) if r.met_at else None,
                "met_late": r.met_late,
            }
            for r in readings
        ]
        out["timeline"] = [e.as_json() for e in evs]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    click.echo(f"{incident.label}  {incident.title}")
    click.echo(
        f"  status {incident.status}, impact {incident.impact}"
        + (" (drill)" if incident.drill else "")
    )
    click.echo(
        f"  scope {', '.join(incident.scope) or '-'}; affected "
        f"{', '.join(incident.affected_services) or '-'}"
    )
    click.echo(
        f"  detected {to_iso(incident.detected_at)}, declared {to_iso(incident.declared_at)}"
    )
    click.echo("Clocks:")
    for r in readings:
        due = to_iso(r.due_at) if r.due_at else "-"
        extra = f" met {to_iso(r.met_at)}" + (" (late)" if r.met_late else "") if r.met_at else ""
        click.echo(f"  {r.label:<22} {r.state.value:<9} {r.countdown():>9}  due {due}{extra}")
    click.echo("Timeline:")
    for e in evs:
        click.echo(f"  {to_iso(e.at)}  {e.kind:<15} {e.actor}: {e.text}")


@incidents.command("verify")
@click.argument("incident_id", metavar="ID")
@pass_options
def incidents_verify(opts: Options, incident_id: str) -> None:
    """Check the timeline's hash chain; exit 1 at the first broken link."""
    inc = _open_incidents(opts)
    iid = _incident_id(incident_id)
    result = run_domain(inc.verify, iid)
    mismatched = inc.verify_projection(iid) if result.ok else []
    if result.ok and not mismatched:
        click.echo(f"INC-{iid}: timeline intact ({result.checked} events, hash chain verified)")
        return
    if not result.ok:
        click.echo(
            f"INC-{iid}: timeline BROKEN at event {result.broken_at}: {result.reason} "
            f"({result.checked} events verified before it)"
        )
    else:
        click.echo(
            f"INC-{iid}: timeline intact but the incident record disagrees with it on: "
            f"{', '.join(mismatched)} (edited outside the app?)"
        )
    sys.exit(1)


@incidents.command("export")
@click.argument("incident_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["json", "md"]), default="md", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@pass_options
def incidents_export(opts: Options, incident_id: str, fmt: str, output: Path | None) -> None:
    """Export an incident and its timeline (secrets redacted, chain verified)."""
    from stratus_commander.export import render

    inc = _open_incidents(opts)
    text = run_domain(render, inc, _load_runbook(opts), _incident_id(incident_id), fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    from stratus_commander.fileio import atomic_write_text

    atomic_write_text(output, text)
    click.echo(f"Wrote {output}", err=True)


# --- runbook -----------------------------------------------------------------------------------


@runbook.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_options
def runbook_check(opts: Options, path: Path | None) -> None:
    """Validate a runbook TOML and print its summary.

    PATH defaults to --runbook, else the bundled StratusConnect runbook. A bad file gets one line
    per problem (file: key.path: message) on stderr and exit code 2.
    """
    from stratus_commander.errors import RunbookError
    from stratus_commander.runbook import load_runbook, summary

    try:
        loaded = load_runbook(path or opts.runbook)
    except RunbookError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo(summary(loaded))


# --- probes ------------------------------------------------------------------------------------


def _probe_config(opts: Options, path: Path | None = None) -> Any:
    """The validated probe config; every problem on stderr and exit 2 when it does not validate."""
    from stratus_commander.config import load_config
    from stratus_commander.errors import ConfigError

    try:
        loaded = load_config(path or opts.config_path())
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)
    return loaded


_OUTCOME_COLOURS = {"up": "green", "degraded": "yellow", "down": "red", "unknown": "magenta"}


def _outcome_text(outcome: str, width: int = 0) -> str:
    return click.style(outcome.ljust(width), fg=_OUTCOME_COLOURS.get(outcome))


def _latency_text(latency_ms: float | None) -> str:
    return "-" if latency_ms is None else f"{latency_ms:.0f} ms"


def _print_table(results: list[Any]) -> None:
    rows = [
        (r.probe, r.kind, r.check, r.outcome.value, _latency_text(r.latency_ms), r.detail)
        for r in results
    ]
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
    import json

    from stratus_commander.probes.engine import ProbeEngine

    engine = ProbeEngine.with_own_client(specs)
    if as_json:
        engine.on_result(lambda r: click.echo(json.dumps(r.as_json())))
    else:
        engine.on_result(
            lambda r: click.echo(
                f"{r.at.astimezone():%H:%M:%S}  {r.probe}  {_outcome_text(r.outcome.value)}  "
                f"{_latency_text(r.latency_ms)}  {r.detail}"
            )
        )
        engine.on_state_change(
            lambda c: click.echo(
                f"{c.at.astimezone():%H:%M:%S}  == {c.probe} is now "
                f"{_outcome_text(c.current.value)}"
                + (f" (was {c.previous.value})" if c.previous else "")
            )
        )
    try:
        await engine.run()
    finally:
        await engine.aclose()


@main.command()
@click.option("--once", is_flag=True, help="Run each probe once, then exit 0 (all up) or 1.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per result.")
@pass_options
def probe(opts: Options, once: bool, as_json: bool) -> None:
    """Run the configured probes (--config) and print each result.

    Without --once, runs every probe on its interval until Ctrl-C, printing each result and each
    change of a probe's displayed state. With --once, exit code 0 means every probe is up, 1 that
    something is not up; a bad config exits 2.
    """
    import asyncio
    import contextlib
    import json

    loaded = _probe_config(opts)
    if not loaded.probes:
        fail(f"{loaded.path}: no [[probes]] configured")
    if not once:
        if not as_json:
            zone = click.style(f"times in {_local_zone()}", dim=True)
            click.echo(f"Probing {len(loaded.probes)} target(s); Ctrl-C stops. {zone}", err=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how this mode ends
            asyncio.run(_probe_forever(loaded.probes, as_json))
        return

    results, states = asyncio.run(_probe_once(loaded.probes))
    if as_json:
        for result in results:
            click.echo(json.dumps(result.as_json()))
    else:
        from stratus_commander.triage import group_evidence, hint

        _print_table(results)
        proposed = hint(group_evidence(states))
        click.echo(f"\nTriage hint: {proposed.decision} — {proposed.reason}")
    sys.exit(0 if all(r.outcome.value == "up" for r in results) else 1)


def _local_zone() -> str:
    from datetime import datetime

    return datetime.now().astimezone().tzname() or "local time"


@config.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_options
def config_check(opts: Options, path: Path | None) -> None:
    """Validate a probe config TOML and list its probes.

    PATH defaults to --config, else the user config file. Problems are printed one per line
    (file: key.path: message) with exit code 2; warnings (a literal secret, an unset env:
    reference) do not fail the check.
    """
    loaded = _probe_config(opts, path)
    click.echo(f"{loaded.path}: {len(loaded.probes)} probe(s)")
    for spec in loaded.probes:
        click.echo(
            f"  {spec.id:<24} {spec.kind:<18} {spec.check:<9} "
            f"every {spec.interval_s:g} s, timeout {spec.timeout_s:g} s"
        )
