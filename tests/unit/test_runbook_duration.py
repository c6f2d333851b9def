"""The strict duration parser: what it reads, what it refuses, what it writes back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stratus_commander.runbook import parse_positive_duration
from stratus_commander.timefmt import duration_notation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("48h", timedelta(hours=48)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
    ],
)
def test_durations_parse_and_format_back(text: str, expected: timedelta) -> None:
    assert parse_positive_duration(text) == expected
    assert parse_positive_duration(duration_notation(expected)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5m", "must be a positive duration"),
        ("0m", "must be a positive duration"),
        ("", "not a duration"),
        ("5", "not a duration"),
        ("5 m", "not a duration"),
        ("1.5h", "not a duration"),
        ("5M", "not a duration"),
        ("m", "not a duration"),
        (5, "must be a duration string"),
    ],
)
def test_durations_are_strict(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_positive_duration(value)
