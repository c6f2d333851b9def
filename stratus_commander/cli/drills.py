"""``simulator`` (the loopback platform and its providers, alone) and ``drill`` (the simulator
with the cockpit wired to it)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stratus_commander.cli.options import Options, pass_options
from stratus_commander.cli.output import fail, run_domain, say
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

    sys.exit(run_domain(run_drill, opts.db_path(), opts.runbook, scenario, speed, opts.person()))
