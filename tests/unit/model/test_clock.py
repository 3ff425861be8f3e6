from datetime import UTC, datetime, timedelta, timezone

import pytest

from core_server.model.clock import TestClock, datetime_from_ns, ns_from_datetime


def test_test_clock_moves_only_when_told_and_never_backwards() -> None:
    clock = TestClock(1_000)
    assert clock.now_ns() == 1_000
    clock.advance_ns(500)
    assert clock.now_ns() == 1_500
    with pytest.raises(ValueError):
        clock.set_ns(10)


def test_datetime_conversions_round_trip_at_microsecond_precision() -> None:
    moment = datetime(2025, 11, 27, 18, 0, 0, 123456, tzinfo=UTC)
    ns = ns_from_datetime(moment)
    assert ns == 1764266400_123456000
    assert datetime_from_ns(ns) == moment
    assert ns_from_datetime(moment.astimezone(timezone(timedelta(hours=-6)))) == ns


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        ns_from_datetime(datetime(2025, 1, 1))
