"""Durations read the same everywhere: the clocks' digits, prose and tables, and file notation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from stratus_commander.timefmt import countdown, duration_notation, human_duration

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (
            timedelta(minutes=4, seconds=59, milliseconds=900),
            "04:59",
        ),  # whole seconds, no rounding up
        (timedelta(0), "00:00"),
        (timedelta(hours=1), "1:00:00"),
        (timedelta(hours=12, minutes=3, seconds=7), "12:03:07"),
        (-timedelta(minutes=1, seconds=5), "+01:05"),  # overdue counts up
        (-timedelta(hours=1), "+1:00:00"),
        (None, "--:--"),
    ],
)
def test_countdown(delta: timedelta | None, text: str) -> None:
    assert countdown(delta) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=4, seconds=5), "4 min 5 s"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(hours=1, seconds=59), "1 h"),  # two units at most: seconds go once hours come
        (timedelta(hours=48), "48 h"),  # the review deadline as the runbook says it
        (timedelta(hours=49), "2 d 1 h"),
        (timedelta(days=30, hours=2, minutes=59), "30 d 2 h"),
        (timedelta(days=3), "3 d"),
        (-timedelta(minutes=3), "-3 min"),  # an impossible order, shown as it is
        (None, "—"),
    ],
)
def test_human_duration(delta: timedelta | None, text: str) -> None:
    # A number and its unit never part at a line end (a no-break space); the parts may.
    assert human_duration(delta) == re.sub(r"(\d) ", rf"\1{NBSP}", text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=5), "5m"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=1, seconds=5), "1h5s"),
        (timedelta(hours=48), "48h"),
    ],
)
def test_duration_notation(delta: timedelta, text: str) -> None:
    assert duration_notation(delta) == text
