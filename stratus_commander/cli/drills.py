"""``simulator`` (the loopback platform and its providers, alone) and ``drill`` (the simulator
with the cockpit wired to it)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stratus_commander.cli.options import Options, pass_options
from stratus_commander.cli.output import fail, run_domain, say, say_json
from stratus_commander.cli.root import main
from stratus_commander.errors import InputError


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


class _DrillGroup(click.Group):
    """``drill [SCENARIO]`` rehearses; ``drill check PATH...`` validates: a first word that is not
    a subcommand is the scenario of the hidden ``run`` command."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)


_speed_option = click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Scenario time per real second (the runbook clocks keep real time) [default: 1].",
)


@main.group(
    cls=_DrillGroup, invoke_without_command=True, subcommand_metavar="[SCENARIO] | check PATH..."
)
@_speed_option
@click.pass_context
def drill(ctx: click.Context, speed: float | None) -> None:
    """Rehearse: `drill [SCENARIO] [--speed X]` runs the simulator and the cockpit wired to it
    (GUI); `drill check PATH...` validates scenario files.

    SCENARIO is a bundled drill (default: payment-processing-down) or a scenario .toml file; an
    unknown name lists the bundled ones. Nothing is declared for you: the DECLARE clock runs from
    the first failing probe. Incidents you declare are recorded as drills in --db, with their
    scenario, for `incidents debrief`.
    """
    ctx.meta["drill.speed"] = speed
    if ctx.invoked_subcommand is None:
        ctx.invoke(drill_run, scenario="payment-processing-down", speed=speed)


@drill.command("run", hidden=True)
@click.argument("scenario", required=False, default="payment-processing-down")
@_speed_option
@pass_options
def drill_run(opts: Options, scenario: str, speed: float | None) -> None:
    """Rehearse SCENARIO (the same as `drill SCENARIO`)."""
    from stratus_commander.qt.app import run_drill

    speed = speed or click.get_current_context().meta.get("drill.speed") or 1.0
    sys.exit(run_domain(run_drill, opts.db_path(), opts.runbook, scenario, speed, opts.person()))


@drill.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
def drill_check(paths: tuple[Path, ...], as_json: bool) -> None:
    """Validate drill scenario files: each problem as `file: key.path: message` (exit 2).

    A valid file gets its summary: steps, expectations, and whether the debrief can judge a
    triage decision against it.
    """
    from stratus_commander.drill.checking import check_scenario_file

    bad = False
    for path in paths:
        report = check_scenario_file(path)
        bad = bad or not report.ok
        if as_json:
            say_json(report.as_json())
        elif report.ok:
            say(report.summary(), multiline=True)
        else:
            say(f"Error: {report.problem}", err=True)
    if bad:
        sys.exit(2)
