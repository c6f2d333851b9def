"""``incidents declare|note|status|resolve|close``: the commands that record to the timeline.

Each opens the database to record (created when missing; a read-only or damaged file is
refused before anything is written) and calls the domain function the cockpit calls. Those
that take ``--at`` record what happened at that time, checked by the rules of
``incident/times.py`` (a refusal names the rule, exit 2, nothing written).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from stratus_commander.cli.completion import incident_argument
from stratus_commander.cli.options import (
    Options,
    open_session,
    pairs,
    parse_id,
    pass_options,
    split,
    when,
)
from stratus_commander.cli.output import fail, run_domain, say, say_event, shown_time
from stratus_commander.cli.root import incidents

if TYPE_CHECKING:
    from stratus_commander.incident import DrillRun

#: runbook.IMPACTS, written out: the runbook (pydantic) loads only for a command that uses it.
IMPACT_CHOICES = ("Minor", "Major", "Critical")
STATUS_CHOICES = ("investigating", "identified", "monitoring", "resolved")


def at_option(what: str = "When it happened") -> Any:
    return click.option(
        "--at",
        "at",
        metavar="TIME",
        help=f"{what}, ISO-8601 with a zone, e.g. 2026-11-27T14:40+01:00 (default: now).",
    )


json_option = click.option("--json", "as_json", is_flag=True, help="Print the event as JSON.")


@incidents.command("declare")
@click.option("--title", required=True, help="Clear, descriptive incident title.")
@click.option(
    "--impact",
    required=True,
    type=click.Choice(IMPACT_CHOICES, case_sensitive=False),
    help="Minor, Major or Critical, in any case.",
)
@click.option(
    "--services", multiple=True, help="Scope: API, Web, Webhooks, Database (comma-separated)."
)
@click.option("--affected", multiple=True, help="Affected services, free text (comma-separated).")
@click.option(
    "--detected-at",
    metavar="TIME",
    help="When it began, ISO-8601 with a zone (default: the declaration time).",
)
@at_option("When it was declared")
@click.option(
    "--drill",
    "drill_scenario",
    metavar="SCENARIO",
    help="Record a drill of this scenario (a bundled name or a .toml file) for its debrief.",
)
@click.option(
    "--drill-started-at",
    metavar="TIME",
    help="When the drill's scenario started, ISO-8601 with a zone (required with --drill).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the incident as JSON.")
@pass_options
def incidents_declare(
    opts: Options,
    title: str,
    impact: str,
    services: tuple[str, ...],
    affected: tuple[str, ...],
    detected_at: str | None,
    at: str | None,
    drill_scenario: str | None,
    drill_started_at: str | None,
    as_json: bool,
) -> None:
    """Declare an incident (starts every runbook clock), now or at --at.

    With --drill and --drill-started-at it is a drill of that scenario, scored by
    `incidents debrief` against the scenario's expectations in scenario time.
    """
    from stratus_commander.clock import SystemClock
    from stratus_commander.incident.times import declaration_times

    detected, declared = when(detected_at, "--detected-at"), when(at, "--at")
    drill_run = _drill_run(drill_scenario, when(drill_started_at, "--drill-started-at"))
    # The times alone decide these refusals: before the database is created or opened.
    run_domain(declaration_times, detected, declared, SystemClock().now())
    inc = open_session(opts, readonly=False).incidents
    incident = run_domain(
        inc.declare,
        title=title,
        impact=impact,
        scope=split(services),
        affected_services=split(affected),
        detected_at=detected,
        declared_at=declared,
        drill_run=drill_run,
    )
    if as_json:
        click.echo(json.dumps(incident.as_json(), indent=2))
    else:
        say(
            f"Declared {incident.label} at {shown_time(incident.declared_at)} (detected "
            f"{shown_time(incident.detected_at)}): {incident.title} ({incident.impact})"
        )


def _drill_run(scenario: str | None, started_at: datetime | None) -> DrillRun | None:
    """The drill run --drill and --drill-started-at name (both or neither); the scenario is
    loaded now, so a typo is refused before anything is written."""
    if scenario is None and started_at is None:
        return None
    if scenario is None:
        fail("--drill-started-at: given without --drill SCENARIO")
    if started_at is None:
        fail("--drill: needs --drill-started-at TIME (when the scenario started)")
    from stratus_commander.drill.scenario import load_scenario
    from stratus_commander.incident import DrillRun

    loaded = run_domain(load_scenario, scenario)
    bundled = not (scenario.endswith(".toml") or Path(scenario).name != scenario)
    name = scenario if bundled else str(Path(scenario).resolve())
    return DrillRun(name, started_at, source=loaded.source)


@incidents.command("note")
@incident_argument
@click.argument("text")
@at_option()
@json_option
@pass_options
def incidents_note(
    opts: Options, incident_id: str, text: str, at: str | None, as_json: bool
) -> None:
    """Add a note to the timeline."""
    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    say_event(run_domain(inc.note, iid, text, at=moment), as_json)


@incidents.command("status")
@incident_argument
@click.argument("status", type=click.Choice(STATUS_CHOICES, case_sensitive=False))
@click.option("--text", default="", help="What changed, for the timeline.")
@at_option()
@json_option
@pass_options
def incidents_status(
    opts: Options, incident_id: str, status: str, text: str, at: str | None, as_json: bool
) -> None:
    """Move the incident to another status (monitoring: the fix is in, watching)."""
    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    say_event(run_domain(inc.set_status, iid, status, text, at=moment), as_json)


@incidents.command("resolve")
@incident_argument
@click.option("--text", default="", help="What resolved it, for the timeline.")
@at_option()
@json_option
@pass_options
def incidents_resolve(
    opts: Options, incident_id: str, text: str, at: str | None, as_json: bool
) -> None:
    """Mark the incident resolved (starts the post-incident review clock)."""
    iid, moment = parse_id(incident_id), when(at, "--at")
    inc = open_session(opts, readonly=False).incidents
    say_event(run_domain(inc.resolve, iid, text, at=moment), as_json)


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
@incident_argument
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
@at_option("When it was closed")
@pass_options
def incidents_close(
    opts: Options,
    incident_id: str,
    file_: Path | None,
    sets: tuple[str, ...],
    fix_applied: str,
    learnings: tuple[str, ...],
    draft: bool,
    at: str | None,
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

    if draft and at is not None:
        fail("--at is when it was closed: a --draft closes nothing")
    moment = when(at, "--at")
    session = open_session(opts, readonly=False)
    inc = session.incidents
    rb = session.runbook
    iid = parse_id(incident_id)
    run_domain(inc.get, iid)
    record = stored_close(inc.store, iid) or CloseRecord()
    if file_ is not None:
        record = record.merged(
            run_domain(close_record_from_mapping, rb, _close_file(file_), str(file_))
        )
    given: dict[str, dict[str, str]] = {}
    for key, value in pairs(sets, "--set"):
        section, dot, item = key.partition(".")
        if not dot:
            fail(f"--set: {key!r} is not SECTION.ITEM")
        given.setdefault(section, {})[item] = value
    lessons = [{"step": s, "text": t} for s, t in pairs(learnings, "--learning")]
    extra: dict[str, Any] = {**given, "learnings": lessons}
    if fix_applied:
        extra["fix_applied"] = fix_applied
    record = record.merged(run_domain(close_record_from_mapping, rb, extra, "options"))
    if draft:
        run_domain(save_close_draft, inc, rb, iid, record)
        click.echo(f"INC-{iid}: close record saved (not closed)")
        return
    closed = run_domain(close_incident, inc, rb, iid, record, at=moment)
    click.echo(f"INC-{iid} closed. Close message:\n", err=True)
    say(closed.message, multiline=True, nl=False)
