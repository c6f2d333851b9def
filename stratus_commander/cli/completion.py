"""Shell completion of the values click cannot know: incident ids from the database, check ids
from the runbook. Click completes commands and options itself (``_STRATUS_COMMANDER_COMPLETE``,
see the root command's help).

A completion runs inside the user's shell at every Tab: it reads what the command line names
(``--db``, ``--runbook``, their environment variables) without the root command having run,
and whatever goes wrong it offers nothing rather than printing into the prompt.
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from stratus_commander.cli.options import Options

__all__ = ["check_ids", "incident_argument", "incident_ids"]


def _options(ctx: click.Context) -> Options:
    params = ctx.find_root().params
    return Options(db=params.get("db"), config=params.get("config"), runbook=params.get("runbook"))


def incident_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Every incident of the database, newest first (``INC-7``, or ``7`` once a digit is typed),
    its title as the description; nothing when the database cannot be read."""
    try:
        from stratus_commander.session import Access, Session

        with Session(_options(ctx).db_path(), access=Access.READ) as session:
            rows = session.incidents.list()
    except Exception:  # a missing or locked file, a bad path: complete nothing, say nothing
        return []
    bare = incomplete[:1].isdigit()
    out = []
    for row in rows:
        value = str(row.id) if bare else row.label
        if value.lower().startswith(incomplete.lower()):
            out.append(CompletionItem(value, help=f"{row.status}: {row.title}"))
    return out


def check_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The runbook's check ids (``runbook check --json``) starting with what is typed."""
    try:
        from stratus_commander.incident.checklists import runbook_checks
        from stratus_commander.runbook import load_runbook

        checks = runbook_checks(load_runbook(_options(ctx).runbook))
    except Exception:  # an invalid runbook: `runbook check` says why; Tab says nothing
        return []
    return [
        CompletionItem(check.id, help=check.item.text)
        for check in checks.values()
        if check.id.startswith(incomplete)
    ]


#: The ``ID`` argument of every incident command.
incident_argument = click.argument("incident_id", metavar="ID", shell_complete=incident_ids)
