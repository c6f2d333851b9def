"""The strict duration parser: ``"30s"``, ``"5m"``, ``"1h30m"``, ``"2d"`` and nothing looser.

What it reads, :func:`stratus_commander.timefmt.duration_notation` writes back.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_positive_duration"]

_DURATION = re.compile(
    r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?", re.ASCII
)


def parse_positive_duration(value: object) -> timedelta:
    """``"30s"``, ``"5m"``, ``"1h30m"``, ``"2d"`` → timedelta; refuses zero, negative, loose."""
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ValueError(f"must be a positive duration (got {value})")
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a duration string such as '30s', '5m', '1h' (got {value!r})")
    match = _DURATION.fullmatch(value.removeprefix("-"))
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"not a duration: {value!r} (write e.g. '30s', '5m', '1h', '48h')")
    n = {unit: int(count) for unit, count in match.groupdict(default="0").items()}
    duration = timedelta(days=n["d"], hours=n["h"], minutes=n["m"], seconds=n["s"])
    if value.startswith("-") or not duration:
        raise ValueError(f"must be a positive duration (got {value!r})")
    return duration
