"""Every duration the app shows, written one way per need (Qt-free: the cockpit uses it too).

    countdown(timedelta(minutes=4, seconds=59))   "04:59"      a clock's digits
    countdown(-timedelta(minutes=1, seconds=5))   "+01:05"     overdue by that much
    human_duration(timedelta(minutes=90))         "1 h 30 min" prose, labels, tables
    duration_notation(timedelta(minutes=90))      "1h30m"      as runbook and scenario files say it

``human_duration`` joins each number to its unit with a no-break space, so "5 min" never wraps
into "5" and "min" (a label, an HTML export, a terminal).
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["countdown", "duration_notation", "human_duration"]

_NBSP = "\u00a0"
# Up to two days a duration reads in hours (the review is due within "48 h"); beyond, nobody
# counts 722 hours.
_HOURS_UP_TO = timedelta(days=2)


def countdown(delta: timedelta | None) -> str:
    """``mm:ss`` (``h:mm:ss`` from an hour), ``+`` before it once negative (overdue), ``--:--``
    for none; whole seconds."""
    if delta is None:
        return "--:--"
    h, rest = divmod(int(abs(delta).total_seconds()), 3600)
    m, s = divmod(rest, 60)
    body = f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
    return ("+" if delta < timedelta(0) else "") + body


def human_duration(delta: timedelta | None) -> str:
    """The two largest units, a zero second one left out: ``45 s``, ``4 min 5 s``, ``5 min``,
    ``1 h 30 min``, ``48 h``, ``30 d 2 h``; ``-`` before a negative one, ``—`` for none."""
    if delta is None:
        return "—"
    secs = int(abs(delta).total_seconds())
    if abs(delta) > _HOURS_UP_TO:
        units = [(secs // 86400, "d"), (secs % 86400 // 3600, "h")]
    elif secs >= 3600:
        units = [(secs // 3600, "h"), (secs % 3600 // 60, "min")]
    elif secs >= 60:
        units = [(secs // 60, "min"), (secs % 60, "s")]
    else:
        units = [(secs, "s")]
    text = " ".join(f"{n}{_NBSP}{unit}" for i, (n, unit) in enumerate(units) if n or i == 0)
    return ("-" if secs and delta < timedelta(0) else "") + text


def duration_notation(delta: timedelta) -> str:
    """``45s``, ``5m``, ``1h30m``, ``48h`` (zero units left out; ``0s`` for none): what both the
    runbook's and the scenario's parsers read back. Whole seconds."""
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = ((hours, "h"), (minutes, "m"), (seconds, "s"))
    return "".join(f"{count}{unit}" for count, unit in parts if count) or "0s"
