"""``incidents list|show|verify|export|review|credits``: reading incidents, and the review.

These open the database read-only: nothing is created or written, a read-only file works. The
review and the credits record only when asked to change something (then they open it to record).
"""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from stratus_commander.cli.completion import incident_argument
from stratus_commander.cli.options import Options, open_session, pairs, parse_id, pass_options, when
from stratus_commander.cli.output import (
    fail,
    run_domain,
    say,
    say_json,
    shown_clock,
    shown_time,
    shown_zone,
)
from stratus_commander.cli.record import at_option
from stratus_commander.cli.root import incidents
from stratus_commander.clock import from_iso
from stratus_commander.text import for_terminal, one_line


@incidents.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only incidents not yet resolved.")
@click.option("--search", "search", help="Full-text search in titles, notes and timelines.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@pass_options
def incidents_list(opts: Options, open_only: bool, search: str | None, as_json: bool) -> None:
    """List incidents, newest first."""
    inc = open_session(opts, readonly=True).incidents
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
    click.echo(f"{'ID':<8} {'STATUS':<13} {'IMPACT':<8} {'DECLARED':<25}  TITLE")
    for r in rows:
        drill = " [drill]" if r.drill else ""
        when_ = shown_time(r.declared_at)
        say(f"{r.label:<8} {r.status:<13} {r.impact:<8} {when_:<25}  {r.title}{drill}")


@incidents.command("show")
@incident_argument
@click.option("--json", "as_json", is_flag=True, help="Incident, clocks and timeline as JSON.")
@pass_options
def incidents_show(opts: Options, incident_id: str, as_json: bool) -> None:
    """Show an incident with its clocks and timeline."""
    from stratus_commander.clock import to_iso
    from stratus_commander.incident.cadence import update_cadence
    from stratus_commander.incident.deadlines import clocks
    from stratus_commander.timefmt import countdown

    session = open_session(opts, readonly=True)
    inc = session.incidents
    runbook_ = session.runbook
    incident = run_domain(inc.get, parse_id(incident_id))
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
                "late_s": r.late_by.total_seconds() if r.late_by is not None else None,
            }
            for r in readings
        ]
        out["cadence"] = update_cadence(incident, evs, runbook_, inc.clock.now()).as_json()
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
        f"  detected {shown_time(incident.detected_at)}, "
        f"declared {shown_time(incident.declared_at)}"
    )
    click.echo("Clocks:")
    for r in readings:
        due = shown_time(r.due_at) if r.due_at else "-"
        extra = f" met {shown_time(r.met_at)}" if r.met_at else ""
        if r.late_by is not None:
            extra += f", {countdown(r.late_by)} LATE"
        click.echo(f"  {r.label:<22} {r.state.value:<10} {r.countdown():>9}  due {due}{extra}")
    cadence = update_cadence(incident, evs, runbook_, inc.clock.now())
    said = cadence.summary(lambda dt: shown_clock(dt)[:5])
    click.echo(f"Update cadence: {said} ({shown_zone()})")
    click.echo("Timeline:")
    for e in evs:
        text = for_terminal(e.text, multiline=True).replace("\n", "\n" + " " * 6)
        entered = _entered(e.data.get("entered_at"))
        click.echo(
            f"  {shown_time(e.at)}  {for_terminal(e.kind):<15} {for_terminal(e.actor)}: "
            f"{text}{entered}"
        )


def _entered(value: object) -> str:
    """`` (entered <time>)`` for an event recorded after the fact."""
    try:
        return f" (entered {shown_time(from_iso(str(value)))})" if value else ""
    except ValueError:
        return ""


@incidents.command("verify")
@incident_argument
@click.option("--json", "as_json", is_flag=True, help="Print the verification as JSON.")
@pass_options
def incidents_verify(opts: Options, incident_id: str, as_json: bool) -> None:
    """Check the timeline's hash chain; exit 1 at the first broken link."""
    inc = open_session(opts, readonly=True).incidents
    iid = parse_id(incident_id)
    result = run_domain(inc.verify, iid)
    mismatched = inc.verify_projection(iid) if result.ok else []
    if as_json:
        say_json(
            {
                "incident": f"INC-{iid}",
                "ok": result.ok and not mismatched,
                "events_checked": result.checked,
                "chain_intact": result.ok,
                "broken_at": result.broken_at,
                "reason": result.reason or None,
                "record_disagrees_on": mismatched,
            }
        )
        if not result.ok or mismatched:
            sys.exit(1)
        return
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
@incident_argument
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

    session = open_session(opts, readonly=True)
    inc = session.incidents
    graphs = _html_graphs(session.db_path) if fmt == "html" else None
    text = run_domain(render, inc, session.runbook, parse_id(incident_id), fmt, graphs)
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text)


def _html_graphs(db_path: Path | str) -> Any:
    """The HTML export's graphs are drawn with Qt (offscreen); without PySide6 the export keeps
    its uptime tables only."""
    try:
        from stratus_commander.qt.review.export_graphs import render_graphs
    except ImportError:
        return None
    return render_graphs(db_path)


def _write(path: Path, text: str) -> None:
    from stratus_commander.fileio import atomic_write_text

    run_domain(atomic_write_text, path, text)
    say(f"Wrote {path}", err=True)


@incidents.command("credits")
@incident_argument
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
    from stratus_commander import credits as cr

    session = open_session(opts, readonly=accounts is None)
    inc = session.incidents
    iid = parse_id(incident_id)
    incident = run_domain(inc.get, iid)
    if accounts is None:
        if ladder or month or maintenance or currency:
            fail("--ladder, --month, --maintenance and --currency need --accounts")
        credits = cr.stored_credits(inc.store, iid)
        if credits is None:
            fail(f"INC-{iid} has no credits yet; calculate them with --accounts FILE.csv")
        _write_credits_csv(csv_out, credits)
    else:
        rb = session.runbook
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
                    when(start, "--maintenance"),
                    when(end, "--maintenance"),
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
    if path is not None:
        from stratus_commander.credits import credits_csv

        _write(path, credits_csv(credits))


@incidents.command("review")
@incident_argument
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
@at_option("With --complete: when the review was completed")
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
    at: str | None,
    as_json: bool,
) -> None:
    """Show (and update) the post-incident review; works offline from the database alone."""
    from stratus_commander import review as rv
    from stratus_commander.export import review_text

    changing = (affected_users, financial_impact, reputation, meeting, action)
    writes_asked = any(v is not None for v in changing) or bool(
        answers or done or lessons or complete
    )
    session = open_session(opts, readonly=not writes_asked)
    inc = session.incidents
    rb = session.runbook
    iid = parse_id(incident_id)
    run_domain(inc.get, iid)
    changes: dict[str, Any] = {}
    if affected_users is not None:
        changes["affected_users"] = affected_users
    if financial_impact is not None:
        changes["financial_impact"] = financial_impact
    if reputation is not None:
        changes["reputation"] = reputation
    if meeting is not None:
        changes["meeting_at"] = when(meeting, "--meeting")
    if answers:
        changes["answers"] = dict(pairs(answers, "--answer"))
    if action is None and (owner or deadline):
        fail("--owner and --deadline describe an --action")
    if at is not None and not complete:
        fail("--at is when the review was completed: give it with --complete")
    completed_at = when(at, "--at")
    added = pairs((action,), "--action") if action is not None else []
    due = when(deadline, "--deadline")
    steps = pairs(lessons, "--lesson")
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
            run_domain(rv.add_learning, inc, rb, iid, step, text)
        if complete:
            run_domain(rv.complete_review, inc, rb, iid, at=completed_at)
    review = rv.build_review(inc, rb, iid)
    if as_json:
        say_json({"incident": review.incident.as_json(), **review.as_json()})
        return
    say(review_text(review, lambda iso: shown_time(from_iso(iso))), multiline=True)
