from datetime import UTC, datetime, timedelta, timezone

import pytest

from stratus_commander.clock import FakeClock, from_iso, from_ms, to_iso, to_ms


def test_iso_round_trip_keeps_milliseconds_in_utc() -> None:
    dt = from_iso("2026-11-27T11:51:44.123456+01:00")
    assert to_iso(dt) == "2026-11-27T10:51:44.123Z"
    assert from_iso(to_iso(dt)) == dt


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        from_iso("2026-11-27T10:51:44")


def test_ms_conversion_is_exact() -> None:
    dt = datetime(2026, 11, 27, 10, 51, 44, 999000, tzinfo=UTC)
    assert from_ms(to_ms(dt)) == dt
    assert to_ms(datetime(1970, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == -3_600_000


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(minutes=5)
    assert clock.now() == datetime(2026, 1, 1, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize("year", [1, 9, 99, 999, 1000, 1999, 2026, 9999])
def test_stored_times_round_trip_for_every_year(year: int) -> None:
    when = datetime(year, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    text = to_iso(when)
    assert text == f"{year:04d}-01-02T03:04:05.678Z"
    assert from_iso(text) == when
