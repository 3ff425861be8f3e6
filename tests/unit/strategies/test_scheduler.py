"""Scheduler: exchange-time timers across a weekend, holidays, an early close and both DST changes."""

from __future__ import annotations

from datetime import time

from core_server.strategies.scheduler import in_clock_range, minutes_before_next_open, next_daily, next_flat_by
from tests.kit.strategies import CALENDAR
from tests.kit.time import et, utc

AT_1030 = time(10, 30)


def test_a_daily_time_skips_the_weekend() -> None:
    friday_after = et(2026, 11, 20, 11, 0)
    assert next_daily(CALENDAR, friday_after, AT_1030) == et(2026, 11, 23, 10, 30)


def test_a_daily_time_is_strictly_after() -> None:
    assert next_daily(CALENDAR, et(2026, 11, 18, 10, 30), AT_1030) == et(2026, 11, 19, 10, 30)
    assert next_daily(CALENDAR, et(2026, 11, 18, 10, 29), AT_1030) == et(2026, 11, 18, 10, 30)


def test_holidays_have_no_trading_day() -> None:
    # Christmas 2025 is closed; Thanksgiving 2025-11-27 is folded into the next trade date.
    assert next_daily(CALENDAR, et(2025, 12, 24, 11, 0), AT_1030) == et(2025, 12, 26, 10, 30)
    assert next_daily(CALENDAR, et(2025, 11, 26, 11, 0), AT_1030) == et(2025, 11, 28, 10, 30)


def test_flat_by_pulls_in_to_an_early_close() -> None:
    # Black Friday 2025 closes at 12:15 CT = 13:15 ET: flat one minute before.
    assert next_flat_by(CALENDAR, et(2025, 11, 28, 9, 0), time(15, 55)) == et(2025, 11, 28, 13, 14)
    # A regular day keeps its time.
    assert next_flat_by(CALENDAR, et(2025, 12, 1, 9, 0), time(15, 55)) == et(2025, 12, 1, 15, 55)


def test_dst_in_march_moves_the_utc_instant() -> None:
    # US DST starts Sunday 2026-03-08: 10:30 ET is 15:30 UTC on Friday and 14:30 UTC on Monday.
    friday = next_daily(CALENDAR, et(2026, 3, 6, 9, 0), AT_1030)
    monday = next_daily(CALENDAR, friday, AT_1030)
    assert friday == utc(2026, 3, 6, 15, 30)
    assert monday == utc(2026, 3, 9, 14, 30)


def test_dst_in_november_moves_the_utc_instant() -> None:
    # DST ends Sunday 2026-11-01: 10:30 ET is 14:30 UTC on Friday and 15:30 UTC on Monday.
    friday = next_daily(CALENDAR, et(2026, 10, 30, 9, 0), AT_1030)
    monday = next_daily(CALENDAR, friday, AT_1030)
    assert friday == utc(2026, 10, 30, 14, 30)
    assert monday == utc(2026, 11, 2, 15, 30)


def test_five_minutes_before_the_next_open() -> None:
    assert minutes_before_next_open(CALENDAR, et(2025, 10, 8, 10, 30), 5) == et(2025, 10, 9, 9, 25)
    assert minutes_before_next_open(CALENDAR, et(2026, 11, 20, 10, 30), 5) == et(2026, 11, 23, 9, 25)
    assert minutes_before_next_open(CALENDAR, et(2025, 12, 24, 10, 30), 5) == et(2025, 12, 26, 9, 25)
    # Across the March change the wall-clock time holds.
    assert minutes_before_next_open(CALENDAR, et(2026, 3, 6, 10, 30), 5) == utc(2026, 3, 9, 13, 25)


def test_clock_ranges_wrap_midnight() -> None:
    from core_server.model.instruments import EASTERN_TZ

    assert in_clock_range(et(2026, 11, 18, 23, 0), time(18, 0), time(3, 0), EASTERN_TZ)
    assert in_clock_range(et(2026, 11, 18, 2, 59), time(18, 0), time(3, 0), EASTERN_TZ)
    assert not in_clock_range(et(2026, 11, 18, 3, 0), time(18, 0), time(3, 0), EASTERN_TZ)
    assert in_clock_range(et(2026, 11, 18, 9, 30), time(9, 30), time(10, 30), EASTERN_TZ)
    assert not in_clock_range(et(2026, 11, 18, 10, 30), time(9, 30), time(10, 30), EASTERN_TZ)
