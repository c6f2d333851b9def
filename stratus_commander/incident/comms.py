"""Stakeholder messages: the runbook's templates rendered from an incident, in three formats.

A template is plain text (the runbook's own words) rendered by a sandboxed Jinja2 with every
variable of :data:`~stratus_commander.runbook.TEMPLATE_VARIABLES` supplied as a display string.
Markdown and Slack versions are derived from the plain text by :func:`convert`, so a message the
commander edited by hand converts exactly like a generated one:

- ``Label: value`` lines become bold labels (a Markdown bullet list, so the lines stay lines);
- Markdown escapes the characters that would change the text's meaning;
- Slack mrkdwn bolds with ``*x*``, has no tables, and escapes ``&``, ``<`` and ``>``.

Times are shown in the commander's local time with its zone, and in UTC. Values not known yet (a
root cause before the review) are ``[Placeholders]`` for the commander to fill in, in the runbook's
placeholder convention. Secrets are redacted from every rendered text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from stratus_commander.errors import InputError
from stratus_commander.incident import Incident
from stratus_commander.runbook import TEMPLATE_NAMES, TEMPLATE_VARIABLES, Item, Runbook
from stratus_commander.secrets import redact
from stratus_commander.text import spoken_list

if TYPE_CHECKING:  # Jinja2 loads with the first message written, not with the cockpit
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "FORMATS",
    "FORMAT_LABELS",
    "TEMPLATE_LABELS",
    "Format",
    "audience",
    "convert",
    "default_template",
    "format_time",
    "md_escape",
    "next_update_at",
    "render",
    "status_page_steps",
    "template_values",
    "zone_name",
]

Format = Literal["plain", "markdown", "slack"]
FORMATS: tuple[Format, ...] = ("plain", "markdown", "slack")
FORMAT_LABELS: dict[Format, str] = {"plain": "Plain text", "markdown": "Markdown", "slack": "Slack"}
TEMPLATE_LABELS = {
    "investigating": "Investigating (first update)",
    "update": "Update",
    "resolved": "Resolved",
    "close": "Close (root cause, credits)",
}

# Month names spelled out here: strftime's %b follows the C locale, which Qt sets from the desktop,
# and a message to English-speaking stakeholders must not say "nov." on a French laptop.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone_name(dt: datetime, tz: tzinfo | None = None) -> str:
    """The commander's zone at ``dt`` as shown beside times: ``CET``, ``UTC``, ``UTC+04:00``."""
    return _zone_name(dt.astimezone(tz) if tz is not None else dt.astimezone())


def _zone_name(local: datetime) -> str:
    name = local.tzname() or ""
    if not name or name[0] in "+-":
        offset = local.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
        return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return name


def _date(dt: datetime) -> str:
    return f"{dt.day} {_MONTHS[dt.month - 1]} {dt.year}"


def format_time(
    dt: datetime,
    tz: tzinfo | None = None,
    *,
    seconds: bool = False,
    date: bool = True,
    utc: bool = True,
    zone: bool = True,
) -> str:
    """``27 Nov 2026 14:30 CET (13:30 UTC)``: local time with its zone, then (``utc``) UTC.

    Without ``zone`` and ``utc`` it is the bare local time, for a column whose header names the
    zone.

    ``tz`` is the commander's zone (``None``: the system's). When local time is UTC it is said
    once; the UTC date is repeated only when it differs from the local one.
    """
    local = dt.astimezone(tz) if tz is not None else dt.astimezone()
    in_utc = dt.astimezone(UTC)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    local_text = local.strftime(clock) + (" " + _zone_name(local) if zone else "")
    if date:
        local_text = f"{_date(local)} {local_text}"
    if not utc or (local.utcoffset() == timedelta(0) and _zone_name(local) in ("UTC", "UTC+00:00")):
        return local_text
    utc_text = in_utc.strftime(clock) + " UTC"
    if date and in_utc.date() != local.date():
        utc_text = f"{_date(in_utc)} {utc_text}"
    return f"{local_text} ({utc_text})"


def next_update_at(incident: Incident, runbook: Runbook, now: datetime) -> datetime | None:
    """When the next status update is due: last update + cadence, or now + cadence before the
    first one (the message promising it goes out now); ``None`` once resolved."""
    if not incident.is_open:
        return None
    return (incident.last_update_at or now) + runbook.comms.update_every


def template_values(
    incident: Incident,
    runbook: Runbook,
    now: datetime,
    tz: tzinfo | None = None,
    details: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every template variable as display text; ``details`` overrides any of them (e.g. the root
    cause written at close)."""
    upcoming = next_update_at(incident, runbook, now)
    values = {
        "services": spoken_list(incident.scope or incident.affected_services) or "[Service]",
        "affected_services": ", ".join(incident.affected_services or incident.scope)
        or "[List of affected services]",
        "impact": incident.impact,
        "started": format_time(incident.detected_at, tz),
        "next_update": format_time(upcoming, tz) if upcoming else "No further scheduled updates",
        "resolved_at": format_time(incident.resolved_at, tz)
        if incident.resolved_at
        else "[Resolution time]",
        "root_cause": "[Root cause]",
        "fix_applied": "[Fix applied]",
        "service_credits": "[Service credits calculation]",
    }
    for key, value in (details or {}).items():
        if key not in TEMPLATE_VARIABLES:
            known = ", ".join(sorted(TEMPLATE_VARIABLES))
            raise InputError(f"unknown template variable {key!r} (known: {known})", where=key)
        if value.strip():
            values[key] = value.strip()
    assert values.keys() == TEMPLATE_VARIABLES  # the runbook validates templates against these
    return values


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=32)
def _compiled(source: str) -> Template:
    return _env().from_string(source)


def render(
    runbook: Runbook,
    name: str,
    incident: Incident,
    now: datetime,
    tz: tzinfo | None = None,
    details: Mapping[str, str] | None = None,
) -> str:
    """The runbook's template ``name`` filled in from ``incident``, as plain text."""
    source = runbook.comms.templates.get(name)
    if source is None:
        raise InputError(
            f"no template {name!r} (have {', '.join(runbook.comms.templates)})",
            where="comms.templates",
        )
    from jinja2 import TemplateError

    values = template_values(incident, runbook, now, tz, details)
    try:
        text = _compiled(source).render(values)
    except TemplateError as exc:  # SecurityError and UndefinedError are TemplateErrors
        raise InputError(str(exc), where=f"comms.templates.{name}") from None
    return redact(text.strip())


def default_template(incident: Incident) -> str:
    """The template a commander most likely needs next, from the incident's state."""
    if incident.status == "closed":
        return "close"
    if incident.status == "resolved":
        return "resolved"
    return "update" if incident.first_update_at else "investigating"


def audience(runbook: Runbook, impact: str) -> str:
    """Who is told for this impact (the runbook's stakeholder notification)."""
    return runbook.comms.audience[impact]


def status_page_steps(runbook: Runbook) -> list[Item]:
    return list(runbook.comms.status_page_steps)


# ---------------------------------------------------------------- formats

_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z /&()'-]{0,40}):[ \t]+(?P<value>\S.*)$")
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
# Line starts that Markdown would read as a heading, a list or (``=``, ``-``) the underline of a
# heading ("<" and ">" are escaped anyway).
_MD_BLOCK = re.compile(r"^(\s*)([#+=-])")
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")


def _md_inline(text: str) -> str:
    text = _MD_ENTITY.sub("&amp;", text)
    return _MD_INLINE.sub(r"\\\1", text)


def md_escape(text: str) -> str:
    """``text`` shown literally in Markdown: no emphasis, HTML, links, table cells or code, and
    no line of it read as a heading or a list item. The one escaping rule of every Markdown we
    write (messages here, exports in export/markdown.py)."""
    return "\n".join(
        _MD_NUMBERED.sub(r"\1\\\2", _MD_BLOCK.sub(r"\1\\\2", _md_inline(line)))
        for line in text.split("\n")
    )


def _md_line(line: str) -> str:
    match = _LABEL.match(line)
    if match:
        return f"- **{_md_inline(match['label'])}:** {_md_inline(match['value'])}"
    return md_escape(line)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(line: str) -> str:
    match = _LABEL.match(line)
    if match:
        return f"*{_slack_escape(match['label'])}:* {_slack_escape(match['value'])}"
    return _slack_escape(line)


def convert(text: str, fmt: Format) -> str:
    """Plain text (generated or edited) in ``fmt``; secrets redacted."""
    text = redact(text.strip())
    if fmt == "plain":
        return text
    if fmt == "markdown":
        line_of = _md_line
    elif fmt == "slack":
        line_of = _slack_line
    else:
        raise InputError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})", where="format")
    return "\n".join(line_of(line.rstrip()) for line in text.splitlines())


assert set(TEMPLATE_LABELS) == set(TEMPLATE_NAMES)
