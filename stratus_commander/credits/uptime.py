"""Uptime measured from the stored samples: periods, maintenance windows, the per-minute count.

Uptime is measured per probe check group (api, webhooks, database, external) from the stored
samples, by the minute (the ``sample_minutes`` rollup the store keeps beside the samples):

* a minute is **unavailable** when the worst sample of the group's probes in it is ``down``;
* ``degraded`` counts as available (slow is not down);
* a minute with no sample, or only ``unknown`` ones (the probe could not run), is **unobserved**:
  it counts as available — a credit is owed for downtime we measured, not for a laptop that was
  off — and the figure says how many minutes were unobserved, so a reader can judge it;
* a minute that overlaps a maintenance window is excluded from both sides.

``uptime % = 100 − 100 × unavailable / (period − maintenance)`` (DESIGN.md: 100 % minus the share
of minutes unavailable, maintenance excluded), kept exact as a fraction. Periods are UTC: an
incident's window (detection to resolution) and the calendar months it overlaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from stratus_commander.clock import from_iso, from_ms, to_iso, to_ms
from stratus_commander.errors import InputError
from stratus_commander.incident import Incident
from stratus_commander.store import Store
from stratus_commander.text import one_line, spoken_list

__all__ = [
    "MaintenanceWindow",
    "Period",
    "Uptime",
    "add_maintenance",
    "incident_period",
    "maintenance_window",
    "maintenance_windows",
    "measure_uptime",
    "month_period",
    "months_between",
    "overlaps",
    "uptime_by_group",
    "uptime_from_json",
]

_MINUTE_MS = 60_000


# ---------------------------------------------------------------- periods and maintenance


@dataclass(frozen=True, slots=True)
class Period:
    """A measured span ``[start, end)``; ``label`` is what people call it."""

    start: datetime
    end: datetime
    label: str

    @property
    def minutes(self) -> range:
        """The minute numbers (ms // 60000) that overlap the period."""
        return range(to_ms(self.start) // _MINUTE_MS, -(-to_ms(self.end) // _MINUTE_MS))


def month_period(when: datetime) -> Period:
    """The calendar month (UTC) containing ``when``."""
    when = when.astimezone(UTC)
    start = datetime(when.year, when.month, 1, tzinfo=UTC)
    end = datetime(when.year + (when.month == 12), when.month % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end, start.strftime("%B %Y"))


def months_between(start: datetime, end: datetime) -> list[Period]:
    """The calendar months (UTC) that ``[start, end)`` overlaps, oldest first."""
    months = [month_period(start)]
    while months[-1].end < end:
        months.append(month_period(months[-1].end))
    return months


def incident_period(incident: Incident, now: datetime) -> Period:
    """Detection to resolution (or ``now`` while unresolved)."""
    end = incident.resolved_at or now
    end = max(end, incident.detected_at + timedelta(milliseconds=1))
    return Period(incident.detected_at, end, f"{incident.label} window")


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    start: datetime
    end: datetime
    reason: str = ""

    def as_json(self) -> dict[str, str]:
        return {"start": to_iso(self.start), "end": to_iso(self.end), "reason": self.reason}


def maintenance_window(
    start: datetime, end: datetime, reason: str = "", where: str = "maintenance"
) -> MaintenanceWindow:
    """A checked window (stored by :func:`add_maintenance` or ``record_credits``)."""
    one_line(reason, f"{where} reason")
    if end <= start:
        raise InputError(f"ends {to_iso(end)}, not after its start {to_iso(start)}", where)
    return MaintenanceWindow(start, end, reason)


def overlaps(window: MaintenanceWindow, period: Period) -> bool:
    return window.end > period.start and window.start < period.end


def add_maintenance(
    store: Store, start: datetime, end: datetime, reason: str, now: datetime
) -> MaintenanceWindow:
    """Record a service-wide maintenance window (idempotent for the same start and end)."""
    maintenance_window(start, end, reason)
    store.save_maintenance(to_ms(start), to_ms(end), reason, to_iso(now))
    return MaintenanceWindow(start, end, reason)


def maintenance_windows(store: Store, period: Period | None = None) -> list[MaintenanceWindow]:
    """Stored windows, those overlapping ``period`` when given, oldest first."""
    lo, hi = (to_ms(period.start), to_ms(period.end)) if period else (0, 2**62)
    rows = store.maintenance_rows(lo, hi)
    return [
        MaintenanceWindow(from_ms(r["start_ms"]), from_ms(r["end_ms"]), r["reason"]) for r in rows
    ]


# ---------------------------------------------------------------- uptime


def _percent_text(value: Fraction, places: int = 4) -> str:
    """Truncated, never rounded up: 99.89999 % must not read as 99.9000 %."""
    scaled = value.numerator * 10**places // value.denominator
    return f"{Decimal(scaled).scaleb(-places):.{places}f}"


@dataclass(frozen=True, slots=True)
class Uptime:
    """Measured availability of a set of check groups over a period."""

    groups: tuple[str, ...]
    period: Period
    period_minutes: int
    maintenance_minutes: int
    counted_minutes: int  # minutes with a known sample (observed); not the denominator
    down_minutes: int

    @property
    def unobserved_minutes(self) -> int:
        return self.period_minutes - self.maintenance_minutes - self.counted_minutes

    @property
    def thinly_observed(self) -> bool:
        """Probes saw under half of the period: its unobserved minutes, counted as up, may hide
        downtime, so the uptime may be too high and a credit too low (say it loudly)."""
        return 2 * self.counted_minutes < self.period_minutes - self.maintenance_minutes

    @property
    def percent(self) -> Fraction | None:
        """Exact uptime percent; ``None`` when no minute was observed at all."""
        minutes = self.period_minutes - self.maintenance_minutes
        if not self.counted_minutes or minutes <= 0:
            return None
        return Fraction(100 * (minutes - self.down_minutes), minutes)

    @property
    def percent_text(self) -> str:
        value = self.percent
        return "n/a" if value is None else _percent_text(value)

    def describe(self) -> str:
        """The measurement in words."""
        groups = spoken_list(self.groups) or "no groups"
        if self.percent is None:
            return f"{groups}: no observed minutes in {self.period.label}, uptime not measurable"
        text = (
            f"{groups} in {self.period.label}: {self.down_minutes:,} of "
            f"{self.period_minutes - self.maintenance_minutes:,} minutes unavailable = "
            f"{self.percent_text} %"
        )
        extra = []
        if self.maintenance_minutes:
            extra.append(f"{self.maintenance_minutes:,} maintenance minutes excluded")
        if self.unobserved_minutes:
            extra.append(
                f"{self.unobserved_minutes:,} minutes without samples counted as available"
            )
        return text + (f" ({'; '.join(extra)})" if extra else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "period": {
                "start": to_iso(self.period.start),
                "end": to_iso(self.period.end),
                "label": self.period.label,
            },
            "period_minutes": self.period_minutes,
            "maintenance_minutes": self.maintenance_minutes,
            "counted_minutes": self.counted_minutes,
            "down_minutes": self.down_minutes,
            "unobserved_minutes": self.unobserved_minutes,
            "uptime_percent": None if self.percent is None else self.percent_text,
        }


def uptime_from_json(data: Mapping[str, Any]) -> Uptime:
    """An :class:`Uptime` read back from its :meth:`Uptime.as_json`."""
    p = data["period"]
    return Uptime(
        groups=tuple(data["groups"]),
        period=Period(from_iso(p["start"]), from_iso(p["end"]), p["label"]),
        period_minutes=data["period_minutes"],
        maintenance_minutes=data["maintenance_minutes"],
        counted_minutes=data["counted_minutes"],
        down_minutes=data["down_minutes"],
    )


def _maintenance_minutes(period: Period, windows: Iterable[MaintenanceWindow]) -> list[list[int]]:
    """Each window as the minute range [lo, hi) it touches, clipped to the period."""
    minutes = period.minutes
    out = []
    for w in windows:
        lo = max(to_ms(w.start) // _MINUTE_MS, minutes.start)
        hi = min(-(-to_ms(w.end) // _MINUTE_MS), minutes.stop)
        if hi > lo:
            out.append([lo, hi])
    return out


def _covered(ranges: list[list[int]]) -> int:
    total, reach = 0, None
    for lo, hi in sorted(ranges):
        if reach is not None and lo < reach:
            lo = reach
        if hi > lo:
            total += hi - lo
            reach = hi
    return total


def measure_uptime(
    store: Store,
    groups: Sequence[str],
    period: Period,
    maintenance: Iterable[MaintenanceWindow] = (),
) -> Uptime:
    """Uptime of ``groups`` together (a minute is down when any of them is) over ``period``."""
    store.refresh_rollup()
    minutes = period.minutes
    maint = _maintenance_minutes(period, maintenance)
    counted, down = store.uptime_minutes(groups, minutes.start, minutes.stop, maint)
    return Uptime(
        groups=tuple(groups),
        period=period,
        period_minutes=len(minutes),
        maintenance_minutes=_covered(maint),
        counted_minutes=counted,
        down_minutes=down,
    )


def uptime_by_group(
    store: Store, period: Period, maintenance: Iterable[MaintenanceWindow] = ()
) -> dict[str, Uptime]:
    """One :class:`Uptime` per check group that has probes."""
    windows = list(maintenance)
    return {g: measure_uptime(store, (g,), period, windows) for g in store.check_groups()}
