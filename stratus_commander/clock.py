"""Time, injected: every deadline and timestamp reads a clock object, never the wall directly.

All times are timezone-aware UTC datetimes with millisecond precision. Stored and exported as
ISO-8601 text ``2026-11-27T10:51:44.123Z`` (sorts lexically, reads at a glance).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return truncate_ms(datetime.now(UTC))


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = truncate_ms(ensure_utc(start))

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        self._now = truncate_ms(self._now + timedelta(seconds=seconds, **kw))
        return self._now

    def set(self, when: datetime) -> None:
        self._now = truncate_ms(ensure_utc(when))


def truncate_ms(dt: datetime) -> datetime:
    return dt.replace(microsecond=dt.microsecond - dt.microsecond % 1000)


def ensure_utc(dt: datetime) -> datetime:
    """Naive datetimes are refused: an ambiguous incident time is worse than an error."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} (give a timezone, e.g. Z)")
    return dt.astimezone(UTC)


def to_iso(dt: datetime) -> str:
    dt = ensure_utc(dt)
    # The year by hand: strftime("%Y") writes years below 1000 unpadded ("1-01-01"), which
    # fromisoformat cannot read back.
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def from_iso(text: str) -> datetime:
    """Parse ISO-8601 with a zone (``Z`` or ``+01:00``); raises ValueError otherwise."""
    if len(text) == 24 and text[-1] == "Z" and text[19] == ".":
        # What to_iso writes (UTC, milliseconds): nothing to convert or truncate. The fast path
        # matters where thousands are read at once (the incident library).
        return datetime.fromisoformat(text)
    dt = datetime.fromisoformat(text.strip())
    return truncate_ms(ensure_utc(dt))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(dt: datetime) -> int:
    """Milliseconds since the Unix epoch (exact integer arithmetic, no float rounding)."""
    return (ensure_utc(dt) - EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)
