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

from stratus_commander.errors import InputError, RefusedForGaps, StoreDamaged, StratusError
from stratus_commander.text import for_terminal, json_for_terminal, one_line


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
    # Messages quote what was given (a file name, a CSV cell): shown escaped, never obeyed.
    click.echo(f"Error: {for_terminal(message, multiline=True)}", err=True)
    sys.exit(code)


def fail_for(exc: StratusError) -> NoReturn:
    """A deliberate error as its message and exit code: 1 for a damaged database (the thing
    checked is unhealthy, whatever the command), else 2."""
    if isinstance(exc, RefusedForGaps):
        fail(f"{exc.headline}:\n" + "\n".join(f"  - {gap}" for gap in exc.missing))
    fail(str(exc), 1 if isinstance(exc, StoreDamaged) else 2)


def say(text: str, *, multiline: bool = False, err: bool = False, nl: bool = True) -> None:
    """Echo text that holds stored or outside text: control and bidi characters escaped."""
    click.echo(for_terminal(text, multiline=multiline), err=err, nl=nl)


def say_json(data: Any) -> None:
    """Echo JSON with the same values, control and bidi characters as ``\\u`` escapes."""
    click.echo(json_for_terminal(json.dumps(data, indent=2, ensure_ascii=False)))


def run_domain(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a domain function; its deliberate errors become a message and exit code."""
    try:
        return fn(*args, **kwargs)
    except StratusError as exc:
        fail_for(exc)


class _Main(click.Group):
    """The root group. A deliberate error raised outside :func:`run_domain` (damage met halfway
    through showing a timeline) still ends as its message and exit code; whatever a command did
    not expect ends as one line and exit 1, its traceback in the log (``last_resort.py``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StratusError as exc:
            fail_for(exc)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click's own ends (usage errors, exit codes) and `| head` stay click's
        except Exception as exc:
            from stratus_commander.last_resort import internal_error

            click.echo(internal_error(exc), err=True)
            sys.exit(1)


pass_options = click.make_pass_decorator(Options)


@click.group(
    cls=_Main,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
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
@click.option(
    "--verbose", is_flag=True, help="Log DEBUG to the log file and stderr (default: INFO/warnings)."
)
@click.option(
    "--no-color", is_flag=True, help="No colours in the output (also when NO_COLOR is set)."
)
@click.version_option(package_name="stratus-commander")
@click.pass_context
def main(
    ctx: click.Context,
    db: Path | None,
    config: Path | None,
    runbook: Path | None,
    verbose: bool,
    no_color: bool,
) -> None:
    """Stratus Commander: the incident commander's cockpit.

    With no command, opens the cockpit (GUI) on the last open incident. The log is in the user
    log dir (~/.local/state/stratus-commander/log/stratus-commander.log on Linux).
    """
    from stratus_commander.logs import setup_logging, teardown_logging

    setup_logging(verbose=verbose)
    ctx.call_on_close(teardown_logging)
    if no_color or os.environ.get("NO_COLOR"):  # any non-empty value (https://no-color.org)
        ctx.color = False  # every command's context inherits it; click.echo then strips styles
    ctx.obj = Options(db=db, config=config, runbook=runbook)
    if ctx.invoked_subcommand is None:
        from stratus_commander.qt.app import run_gui

        sys.exit(run_domain(run_gui, ctx.obj.db_path(), runbook, ctx.obj.config_path()))


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


def _open_incidents(opts: Options, *, readonly: bool) -> Any:
    """The incidents of --db. ``readonly``: the command only reads, so nothing is written or
    created (a mistyped path is an error, not an empty history) and a read-only file works.
    Otherwise the file is created when missing, and refused when read-only or damaged."""
    from stratus_commander.actors import current_person
    from stratus_commander.clock import SystemClock
    from stratus_commander.incident import Incidents
    from stratus_commander.store import open_store

    if readonly:
        store = run_domain(open_store, opts.db_path(), create=False, readonly=True)
    else:
        store = run_domain(open_store, opts.db_path(), check=True)
    return Incidents(store, SystemClock(), actor=current_person())


def _incident_id(text: str) -> int:
    from stratus_commander.incident import parse_incident_id

    return int(run_domain(parse_incident_id, text))


def _load_runbook(opts: Options) -> Any:
    from stratus_commander.runbook import load_runbook

    return run_domain(load_runbook, opts.runbook)


def _split(values: tuple[str, ...]) -> list[str]:
    """``--services API,Webhooks`` and ``--services API --services Webhooks`` both work."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _time(text: str | None, flag: str) -> Any:
    """An ISO-8601 time with a zone, from 1970 to 8999: outside that it is a typo ("0026" for
    "2026"), and a clock or a review window computed from year 1 or 9999 leaves the calendar."""
    if text is None:
        return None
    from datetime import UTC, datetime

    from stratus_commander.clock import from_iso, to_iso

    try:
        when = from_iso(text)
    except (ValueError, OverflowError) as exc:  # OverflowError: 9999-12-31T23:59-05:00 in UTC
        fail(f"{flag}: {text!r} is not an ISO-8601 time with a zone ({exc})")
    if not datetime(1970, 1, 1, tzinfo=UTC) <= when < datetime(9000, 1, 1, tzinfo=UTC):
        fail(f"{flag}: {to_iso(when)} is not between 1970 and 8999 (a typo in the year?)")
    return when


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
    inc = _open_incidents(opts, readonly=False)
    incident = run_domain(
        inc.declare,
        title=title,
        impact=impact,
        scope=_split(services),
        affected_services=_split(affected),
        detected_at=_time(detected_at, "--detected-at"),
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
    inc = _open_incidents(opts, readonly=False)
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
    inc = _open_incidents(opts, readonly=False)
    run_domain(inc.set_status, _incident_id(incident_id), status, text)
    click.echo(f"INC-{_incident_id(incident_id)} is now {status}")


@incidents.command("resolve")
@click.argument("incident_id", metavar="ID")
@click.option("--text", default="", help="What resolved it, for the timeline.")
@pass_options
def incidents_resolve(opts: Options, incident_id: str, text: str) -> None:
    """Mark the incident resolved (starts the post-incident review clock)."""
    inc = _open_incidents(opts, readonly=False)
    run_domain(inc.resolve, _incident_id(incident_id), text)
    click.echo(f"INC-{_incident_id(incident_id)} resolved")


@incidents.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only incidents not yet resolved.")
@click.option("--search", "search", help="Full-text search in titles, notes and timelines.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@pass_options
def incidents_list(opts: Options, open_only: bool, search: str | None, as_json: bool) -> None:
    """List incidents, newest first."""
    inc = _open_incidents(opts, readonly=True)
    if search is not None:
        run_domain(one_line, search, "--search")
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
        say(f"{r.label:<8} {r.status:<13} {r.impact:<8} {to_iso(r.declared_at)}  {r.title}{drill}")


@incidents.command("show")
@click.argument("incident_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Incident, clocks and timeline as JSON.")
@pass_options
def incidents_show(opts: Options, incident_id: str, as_json: bool) -> None:
    """Show an incident with its clocks and timeline."""
    from stratus_commander.clock import to_iso
    from stratus_commander.deadlines import clocks

    inc = _open_incidents(opts, readonly=True)
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
        say_json(out)
        return
    # Stored text is shown escaped: it may predate the checks on input (text.py).
    say(f"{incident.label}  {incident.title}")
    say(
        f"  status {incident.status}, impact {incident.impact}"
        + (" (drill)" if incident.drill else "")
    )
    say(
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
        text = for_terminal(e.text, multiline=True).replace("\n", "\n" + " " * 6)
        click.echo(f"  {to_iso(e.at)}  {for_terminal(e.kind):<15} {for_terminal(e.actor)}: {text}")


@incidents.command("verify")
@click.argument("incident_id", metavar="ID")
@pass_options
def incidents_verify(opts: Options, incident_id: str) -> None:
    """Check the timeline's hash chain; exit 1 at the first broken link."""
    inc = _open_incidents(opts, readonly=True)
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
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@pass_options
def incidents_export(opts: Options, incident_id: str, fmt: str, output: Path | None) -> None:
    """Export an incident, its timeline, review and credits (secrets redacted, chain verified)."""
    from stratus_commander.export import render

    inc = _open_incidents(opts, readonly=True)
    graphs = _html_graphs(opts.db_path()) if fmt == "html" else None
    text = run_domain(render, inc, _load_runbook(opts), _incident_id(incident_id), fmt, graphs)
    if output is None:
        click.echo(text, nl=False)
        return
    from stratus_commander.fileio import atomic_write_text

    run_domain(atomic_write_text, output, text)
    say(f"Wrote {output}", err=True)


def _html_graphs(db_path: Path) -> Any:
    """The HTML export's graphs are drawn with Qt (offscreen); without PySide6 the export keeps
    its uptime tables only."""
    try:
        from stratus_commander.qt.export_graphs import render_graphs
    except ImportError:
        return None
    return render_graphs(db_path)


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
        say(str(exc), multiline=True, err=True)
        sys.exit(2)
    say(summary(loaded), multiline=True)


# --- probes ------------------------------------------------------------------------------------


def _probe_config(opts: Options, path: Path | None = None) -> Any:
    """The validated probe config; every problem on stderr and exit 2 when it does not validate."""
    from stratus_commander.config import load_config
    from stratus_commander.errors import ConfigError

    try:
        loaded = load_config(path or opts.config_path())
    except ConfigError as exc:
        say(str(exc), multiline=True, err=True)
        sys.exit(2)
    for warning in loaded.warnings:
        say(f"warning: {warning}", err=True)
    return loaded


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
    import json

    from stratus_commander.probes.engine import ProbeEngine

    engine = ProbeEngine.with_own_client(specs)
    if as_json:
        engine.on_result(lambda r: click.echo(json.dumps(r.as_json())))
    else:
        engine.on_result(
            lambda r: click.echo(
                f"{r.at.astimezone():%H:%M:%S}  {for_terminal(r.probe)}  "
                f"{_outcome_text(r.outcome.value)}  {_latency_text(r.latency_ms)}  "
                f"{for_terminal(r.detail)}"
            )
        )
        engine.on_state_change(
            lambda c: click.echo(
                f"{c.at.astimezone():%H:%M:%S}  == {for_terminal(c.probe)} is now "
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
        click.echo()
        say(f"Triage hint: {proposed.decision} — {proposed.reason}")
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
    say(f"{loaded.path}: {len(loaded.probes)} probe(s)")
    for spec in loaded.probes:
        say(
            f"  {spec.id:<24} {spec.kind:<18} {spec.check:<9} "
            f"every {spec.interval_s:g} s, timeout {spec.timeout_s:g} s"
        )


# --- simulator ---------------------------------------------------------------------------------


@main.command()
@click.argument("scenario", required=False, default="baseline")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Scenario time per real second (60: a scenario minute per second).",
)
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the probe config TOML to PATH instead of printing it.",
)
def simulator(scenario: str, port: int, speed: float, write_config: Path | None) -> None:
    """Run the drill simulator on 127.0.0.1 until Ctrl-C.

    SCENARIO is a bundled drill (default: baseline) or a scenario .toml file; an unknown name
    lists the bundled ones. Prints the probe config that points at the simulator (or writes it
    with --write-config) and the environment variables its secret references need, then
    announces each fault step as it fires.
    """
    import shlex
    import time

    from stratus_commander.drill import Simulator, drill_secrets, load_scenario, probe_config_toml
    from stratus_commander.timefmt import duration_notation

    drill = run_domain(load_scenario, scenario)
    sim = Simulator(drill, port=port, speed=speed)
    try:
        base_url = sim.start()
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} (--port 0: any free port)")
    try:
        config_text = probe_config_toml(base_url, speed)
        say(f"Drill simulator: {drill.name} — {drill.title} (speed x{speed:g})")
        click.echo(f"Listening on {base_url} (drill state: {base_url}/_drill/state)\n")
        if write_config:
            from stratus_commander.fileio import atomic_write_text

            try:
                atomic_write_text(write_config, config_text)
            except InputError as exc:
                fail(f"--write-config: {exc}")
            say(f"Probe config written to {write_config}")
            click.echo()
        else:
            click.echo("# --- probe config (save it, or use --write-config PATH) ---")
            click.echo(config_text)
        click.echo("# --- secrets the config refers to (drill keys: paste into your shell) ---")
        for name, value in drill_secrets().items():
            click.echo(f"export {name}={shlex.quote(value)}")
        click.echo(f"\n{len(drill.steps)} fault step(s); each is announced as it fires.")
        click.echo("Press Ctrl-C to stop.")
        announced = 0
        while True:
            reached = drill.steps_reached(sim.elapsed())
            for step in drill.steps[announced:reached]:
                say(f"[+{duration_notation(step.at)}] {step.note}")
            announced = reached
            time.sleep(0.2)
    except KeyboardInterrupt:
        click.echo("Simulator stopped.")
    finally:
        sim.stop()


# --- review ------------------------------------------------------------------------------------


def _pairs(values: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            fail(f"{flag}: {value!r} is not KEY=VALUE")
        out.append((key.strip(), text))
    return out


def _close_file(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        raw = path.read_bytes().decode("utf-8")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text (byte {exc.start})")
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        fail(f"{path}: invalid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}")
    if not isinstance(data, dict):
        fail(f"{path}: expected a table of close sections")
    return data


@incidents.command("close")
@click.argument("incident_id", metavar="ID")
@click.option(
    "--file",
    "file_",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML or JSON close record: fix_applied, one table per close section, [[learnings]].",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="SECTION.ITEM=VALUE",
    help="An answer or tick, e.g. root_cause_analysis.identify-root-cause='Pool leak' or "
    "fix_implementation.deploy-fix=done (done|not_needed|deferred). Repeatable.",
)
@click.option("--fix-applied", default="", help="The fix that resolved it.")
@click.option(
    "--learning",
    "learnings",
    multiple=True,
    metavar="STEP=TEXT",
    help="A lesson for a runbook step (see `runbook learnings --steps`). Repeatable.",
)
@click.option("--draft", is_flag=True, help="Save the record without closing.")
@pass_options
def incidents_close(
    opts: Options,
    incident_id: str,
    file_: Path | None,
    sets: tuple[str, ...],
    fix_applied: str,
    learnings: tuple[str, ...],
    draft: bool,
) -> None:
    """Close a resolved incident with its RCA, fix checklist and lessons; print the close message.

    Refused (exit 2, each missing field named) while any required answer is empty.
    """
    from stratus_commander.review import (
        CloseRecord,
        close_incident,
        close_record_from_mapping,
        save_close_draft,
        stored_close,
    )

    inc = _open_incidents(opts, readonly=False)
    rb = _load_runbook(opts)
    iid = _incident_id(incident_id)
    run_domain(inc.get, iid)
    record = stored_close(inc.store, iid) or CloseRecord()
    if file_ is not None:
        record = record.merged(
            run_domain(close_record_from_mapping, rb, _close_file(file_), str(file_))
        )
    given: dict[str, dict[str, str]] = {}
    for key, value in _pairs(sets, "--set"):
        section, dot, item = key.partition(".")
        if not dot:
            fail(f"--set: {key!r} is not SECTION.ITEM")
        given.setdefault(section, {})[item] = value
    lessons = [{"step": s, "text": t} for s, t in _pairs(learnings, "--learning")]
    extra: dict[str, Any] = {**given, "learnings": lessons}
    if fix_applied:
        extra["fix_applied"] = fix_applied
    record = record.merged(run_domain(close_record_from_mapping, rb, extra, "options"))
    if draft:
        run_domain(save_close_draft, inc, rb, iid, record)
        click.echo(f"INC-{iid}: close record saved (not closed)")
        return
    closed = run_domain(close_incident, inc, rb, iid, record)
    click.echo(f"INC-{iid} closed. Close message:\n", err=True)
    say(closed.message, multiline=True, nl=False)


@incidents.command("credits")
@click.argument("incident_id", metavar="ID")
@click.option(
    "--accounts",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of affected accounts: account_id,name,monthly_fee,currency[,groups]. Without it, "
    "the credits stored on the incident are shown.",
)
@click.option(
    "--csv",
    "csv_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the table here.",
)
@click.option("--ladder", help="SLA ladder BELOW:CREDIT,... (default: the runbook's).")
@click.option(
    "--month",
    help="Only this month, YYYY-MM (UTC); the other months stored stay (default: every month "
    "the incident's down time touches).",
)
@click.option(
    "--maintenance",
    multiple=True,
    metavar="START/END",
    help="A maintenance window (ISO-8601 times), stored and excluded. Repeatable.",
)
@click.option("--currency", help="Refuse accounts in any other currency.")
@click.option("--json", "as_json", is_flag=True, help="Print the credits as JSON.")
@pass_options
def incidents_credits(
    opts: Options,
    incident_id: str,
    accounts: Path | None,
    csv_out: Path | None,
    ladder: str | None,
    month: str | None,
    maintenance: tuple[str, ...],
    currency: str | None,
    as_json: bool,
) -> None:
    """Service credits from measured uptime, per account and month, with the calculation."""
    from datetime import UTC, datetime

    from stratus_commander import credits as cr

    inc = _open_incidents(opts, readonly=accounts is None)
    iid = _incident_id(incident_id)
    incident = run_domain(inc.get, iid)
    if accounts is None:
        if ladder or month or maintenance or currency:
            fail("--ladder, --month, --maintenance and --currency need --accounts")
        credits = cr.stored_credits(inc.store, iid)
        if credits is None:
            fail(f"INC-{iid} has no credits yet; calculate them with --accounts FILE.csv")
        _write_credits_csv(csv_out, credits)
    else:
        rb = _load_runbook(opts)
        steps = run_domain(cr.parse_ladder, ladder) if ladder else rb.sla.ladder
        month_start = None
        if month:
            try:
                month_start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
            except ValueError:
                fail(f"--month: {month!r} is not YYYY-MM")
        windows = []
        for spec in maintenance:
            start, sep, end = spec.partition("/")
            if not sep:
                fail(f"--maintenance: {spec!r} is not START/END")
            windows.append(
                run_domain(
                    cr.maintenance_window,
                    _time(start, "--maintenance"),
                    _time(end, "--maintenance"),
                    where=f"--maintenance {spec}",
                )
            )
        rows = run_domain(cr.read_accounts, accounts, currency)
        computed = run_domain(
            cr.compute_incident_credits,
            inc.store,
            incident,
            rows,
            steps,
            inc.clock.now(),
            month=month_start,
            maintenance=windows,
            source=accounts.name,
        )
        # Everything given is checked above and nothing written yet; from here one transaction:
        # a refusal below (an open incident, a CSV that cannot be written) leaves no maintenance
        # window or credit behind.
        with inc.store.write():
            run_domain(cr.record_credits, inc, computed, windows)
            # The incident's credits now: these months and any other month stored before.
            credits = cr.stored_credits(inc.store, iid) or computed
            _write_credits_csv(csv_out, credits)
    if as_json:
        say_json(credits.as_json())
        return
    for report in credits.reports:
        click.echo(f"INC-{iid} service credits, {report.month_label} (UTC)")
        for uptime in report.month_uptime.values():
            say(f"  {uptime.describe()}")
            if uptime.thinly_observed:
                click.echo(
                    "  WARNING: the probes saw under half of the month; unobserved minutes count "
                    "as up, so this uptime may be too high and the credits too low."
                )
        for credit in report.accounts:
            amount = f"{credit.account.currency} {credit.amount}"
            say(f"{credit.account.account_id:<16} {amount:>14}  {credit.explanation}")
    say("Total: " + credits.summary())


def _write_credits_csv(path: Path | None, credits: Any) -> None:
    if path is None:
        return
    from stratus_commander import credits as cr
    from stratus_commander.fileio import atomic_write_text

    run_domain(atomic_write_text, path, cr.credits_csv(credits))
    say(f"Wrote {path}", err=True)


@incidents.command("review")
@click.argument("incident_id", metavar="ID")
@click.option("--affected-users", type=click.IntRange(min=0), help="Number of affected users.")
@click.option("--financial-impact", help="Financial impact, in words and figures.")
@click.option("--reputation", help="Reputation impact.")
@click.option("--meeting", help="Review meeting time, ISO-8601 with zone.")
@click.option(
    "--answer",
    "answers",
    multiple=True,
    metavar="ITEM=TEXT",
    help="Answer a root-cause question of the review (what-happened, why, prevention).",
)
@click.option(
    "--action",
    metavar="CATEGORY=TEXT",
    help="Add an action item (immediate-fixes, process-improvements, monitoring-improvements, "
    "documentation-updates); with --owner and --deadline.",
)
@click.option("--owner", default="", help="Owner of the added action item.")
@click.option("--deadline", help="Deadline of the added action item, ISO-8601 with zone.")
@click.option(
    "--done",
    "done",
    multiple=True,
    type=click.IntRange(1, 2**63 - 1),  # a SQLite integer
    metavar="N",
    help="Mark item #N done.",
)
@click.option(
    "--lesson",
    "lessons",
    multiple=True,
    metavar="STEP=TEXT",
    help="Attach a lesson to a runbook step. Repeatable.",
)
@click.option("--complete", is_flag=True, help="Mark the review complete (checks it is).")
@click.option("--json", "as_json", is_flag=True, help="Print the review as JSON.")
@pass_options
def incidents_review(
    opts: Options,
    incident_id: str,
    affected_users: int | None,
    financial_impact: str | None,
    reputation: str | None,
    meeting: str | None,
    answers: tuple[str, ...],
    action: str | None,
    owner: str,
    deadline: str | None,
    done: tuple[int, ...],
    lessons: tuple[str, ...],
    complete: bool,
    as_json: bool,
) -> None:
    """Show (and update) the post-incident review; works offline from the database alone."""
    import contextlib

    from stratus_commander import review as rv
    from stratus_commander.learnings import add_learning

    changing = (affected_users, financial_impact, reputation, meeting, action)
    writes_asked = any(v is not None for v in changing) or bool(
        answers or done or lessons or complete
    )
    inc = _open_incidents(opts, readonly=not writes_asked)
    rb = _load_runbook(opts)
    iid = _incident_id(incident_id)
    run_domain(inc.get, iid)
    changes: dict[str, Any] = {}
    if affected_users is not None:
        changes["affected_users"] = affected_users
    if financial_impact is not None:
        changes["financial_impact"] = financial_impact
    if reputation is not None:
        changes["reputation"] = reputation
    if meeting is not None:
        changes["meeting_at"] = _time(meeting, "--meeting")
    if answers:
        changes["answers"] = dict(_pairs(answers, "--answer"))
    if action is None and (owner or deadline):
        fail("--owner and --deadline describe an --action")
    added = _pairs((action,), "--action") if action is not None else []
    due = _time(deadline, "--deadline")
    steps = _pairs(lessons, "--lesson")
    # The options are checked above; the domain checks the rest as it writes, all in one
    # transaction, so a refusal of any part (an unknown item, step or category, a review that
    # cannot be completed yet) leaves none of the others behind. Only showing it takes no lock.
    writes = bool(changes or added or done or steps or complete)
    with inc.store.write() if writes else contextlib.nullcontext():
        if changes:
            run_domain(rv.update_review, inc, rb, iid, **changes)
        for category, text in added:
            run_domain(rv.add_action_item, inc, rb, iid, category, text, owner, due)
        for item_id in done:
            run_domain(rv.update_action_item, inc, item_id, status="done")
        for step, text in steps:
            run_domain(add_learning, inc, rb, iid, step, text)
        if complete:
            run_domain(rv.complete_review, inc, rb, iid)
    review = rv.build_review(inc, rb, iid)
    if as_json:
        out = {"incident": review.incident.as_json(), **review.as_json()}
        say_json(out)
        return
    say(_review_text(review), multiline=True)


def _review_text(review: Any) -> str:
    from stratus_commander.clock import to_iso
    from stratus_commander.timefmt import human_duration

    i = review.incident
    lines = [f"{i.label}  {i.title}  ({i.status}, {i.impact})"]
    due = to_iso(review.deadline) if review.deadline else "-"
    lines.append(f"Review due {due}: {review.deadline_state.upper()}")
    lines.append("Durations")
    for d in review.durations:
        target = f"target {human_duration(d.target)}" if d.target else ""
        verdict = {True: "met", False: "MISSED", None: ""}[d.met]
        flag = "IMPOSSIBLE" if d.impossible else verdict
        lines.append(f"  {d.label:<21} {human_duration(d.value):>10}  {target:<18} {flag}")
        lines.append(f"      {d.definition}")
    for p in review.order_problems:
        lines.append(f"IMPOSSIBLE ORDER: {p.message}")
    impact = review.impact
    users = "-" if impact.affected_users is None else str(impact.affected_users)
    lines += [
        "Impact",
        f"  affected users {users}; financial {impact.financial_impact or '-'}; "
        f"reputation {impact.reputation or '-'}",
        f"  credits issued: {review.credits_issued}",
        "Uptime",
    ]
    for scope in (review.window_uptime, *review.monthly_uptime.values()):
        lines += [f"  {u.describe()}" for u in scope.values()]
    lines.append("Root cause")
    for _, question, answer in review.rca:
        lines.append(f"  {question} {answer or '-'}")
    lines.append("Action items")
    for item in review.action_items:
        due_at = to_iso(item.deadline) if item.deadline else "no deadline"
        late = "  OVERDUE" if item.overdue(review.now) else ""
        lines.append(
            f"  #{item.id} [{item.category}] {item.text} — {item.owner or 'unassigned'}, "
            f"{due_at}, {item.status}{late}"
        )
    if not review.action_items:
        lines.append("  none")
    follow = review.follow_up
    meeting = to_iso(follow.meeting_at) if follow.meeting_at else "not scheduled"
    lines.append(f"Follow-up: meeting {meeting}; {follow.done}/{follow.total} items done")
    chain = review.chain
    lines.append(
        f"Integrity: hash chain {'verified' if chain.ok else 'BROKEN: ' + chain.reason} "
        f"({chain.checked} events)"
        + ("; " + "; ".join(review.record_problems) if review.record_problems else "")
    )
    return "\n".join(lines)


@runbook.command("learnings")
@click.option("--step", help="Only this step and its sub-steps (e.g. triage.database).")
@click.option("--steps", "list_steps", is_flag=True, help="List the step ids lessons attach to.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@pass_options
def runbook_learnings(opts: Options, step: str | None, list_steps: bool, as_json: bool) -> None:
    """Lessons learned across incidents, by runbook step, to update the runbook with."""
    from stratus_commander.learnings import format_learnings, list_learnings, runbook_steps

    rb = _load_runbook(opts)
    if list_steps:
        for key, text in runbook_steps(rb).items():
            say(f"{key:<55} {text}")
        return
    inc = _open_incidents(opts, readonly=True)
    items = list_learnings(inc.store, step)
    if as_json:
        say_json([x.as_json() for x in items])
        return
    say(format_learnings(items, rb), multiline=True, nl=False)


# --- drill -------------------------------------------------------------------------------------


@main.command()
@click.argument("scenario", required=False, default="payment-processing-down")
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Scenario time per real second (the runbook clocks keep real time).",
)
@pass_options
def drill(opts: Options, scenario: str, speed: float) -> None:
    """Rehearse: the simulator and the cockpit wired to it (GUI).

    SCENARIO is a bundled drill (default: payment-processing-down) or a scenario .toml file; an
    unknown name lists the bundled ones. Nothing is declared for you: the DECLARE clock runs from
    the first failing probe. Incidents you declare are recorded as drills in --db.
    """
    from stratus_commander.qt.app import run_drill

    sys.exit(run_domain(run_drill, opts.db_path(), opts.runbook, scenario, speed))
