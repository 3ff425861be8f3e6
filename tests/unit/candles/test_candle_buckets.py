"""Bucket edges per timeframe: trading-day alignment, 4h session blocks, the 1d roll and DST days."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core_server.candles.aggregator import CandleAggregator
from core_server.candles.buckets import bucket_of
from core_server.model.clock import NS_PER_HOUR, NS_PER_MINUTE, ns_from_datetime
from core_server.model.market_data import Timeframe

CT = ZoneInfo("America/Chicago")
UTC = ZoneInfo("UTC")


def ct(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=CT))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


def test_intraday_bucket_edges_when_tick_on_boundary_then_it_opens_the_next_bucket() -> None:
    at = ct(2026, 3, 3, 8, 35)  # Tuesday, on a 1m/5m boundary, inside 15m/1h/4h buckets
    assert bucket_of(Timeframe.M1, at) == (at, at + NS_PER_MINUTE)
    assert bucket_of(Timeframe.M1, at - 1) == (at - NS_PER_MINUTE, at)
    assert bucket_of(Timeframe.M5, at) == (at, ct(2026, 3, 3, 8, 40))
    assert bucket_of(Timeframe.M5, at - 1) == (ct(2026, 3, 3, 8, 30), at)
    assert bucket_of(Timeframe.M15, at) == (ct(2026, 3, 3, 8, 30), ct(2026, 3, 3, 8, 45))
    assert bucket_of(Timeframe.M15, ct(2026, 3, 3, 8, 45)) == (ct(2026, 3, 3, 8, 45), ct(2026, 3, 3, 9, 0))
    assert bucket_of(Timeframe.H1, at) == (ct(2026, 3, 3, 8), ct(2026, 3, 3, 9))
    assert bucket_of(Timeframe.H1, ct(2026, 3, 3, 9)) == (ct(2026, 3, 3, 9), ct(2026, 3, 3, 10))


def test_four_hour_buckets_start_at_17_21_01_05_09_13_central() -> None:
    day_start = ct(2026, 3, 2, 17)  # Monday 17:00 opens Tuesday's trading day
    starts = [bucket_of(Timeframe.H4, day_start + k * 4 * NS_PER_HOUR + 1)[0] for k in range(6)]
    assert starts == [
        ct(2026, 3, 2, 17),
        ct(2026, 3, 2, 21),
        ct(2026, 3, 3, 1),
        ct(2026, 3, 3, 5),
        ct(2026, 3, 3, 9),
        ct(2026, 3, 3, 13),
    ]
    assert bucket_of(Timeframe.H4, ct(2026, 3, 3, 16, 59, 59)) == (ct(2026, 3, 3, 13), ct(2026, 3, 3, 17))
    assert bucket_of(Timeframe.H4, ct(2026, 3, 3, 17)) == (ct(2026, 3, 3, 17), ct(2026, 3, 3, 21))


def test_daily_bucket_is_the_trading_day_and_sunday_evening_belongs_to_monday() -> None:
    monday = (ct(2026, 3, 1, 17), ct(2026, 3, 2, 17))
    assert bucket_of(Timeframe.D1, ct(2026, 3, 1, 17)) == monday  # Sunday 17:00 open
    assert bucket_of(Timeframe.D1, ct(2026, 3, 2, 16, 59, 59)) == monday
    assert bucket_of(Timeframe.D1, ct(2026, 3, 2, 17)) == (ct(2026, 3, 2, 17), ct(2026, 3, 3, 17))
    assert bucket_of(Timeframe.D1, ct(2026, 3, 1, 16, 59)) == (ct(2026, 2, 28, 17), ct(2026, 3, 1, 17))


def test_spring_forward_day_is_23_hours_and_its_last_4h_bucket_is_cut_at_the_day_end() -> None:
    # 2026-03-08: Saturday 17:00 CST (23:00 UTC) to Sunday 17:00 CDT (22:00 UTC)
    day = bucket_of(Timeframe.D1, utc(2026, 3, 8, 12))
    assert day == (utc(2026, 3, 7, 23), utc(2026, 3, 8, 22))
    assert day[1] - day[0] == 23 * NS_PER_HOUR
    starts = [utc(2026, 3, 7, 23), utc(2026, 3, 8, 3), utc(2026, 3, 8, 7), utc(2026, 3, 8, 11), utc(2026, 3, 8, 15)]
    assert [bucket_of(Timeframe.H4, s)[0] for s in starts] == starts
    assert bucket_of(Timeframe.H4, utc(2026, 3, 8, 21, 59)) == (utc(2026, 3, 8, 19), utc(2026, 3, 8, 22))
    hours = {bucket_of(Timeframe.H1, day[0] + k * NS_PER_MINUTE * 30) for k in range(46)}
    assert len(hours) == 23
    # Monday's day starts Sunday 17:00 CDT = 22:00 UTC, so its 4h grid moves an hour earlier in UTC
    assert bucket_of(Timeframe.H4, utc(2026, 3, 9, 1)) == (utc(2026, 3, 8, 22), utc(2026, 3, 9, 2))
    assert bucket_of(Timeframe.H4, utc(2026, 3, 9, 2)) == (utc(2026, 3, 9, 2), utc(2026, 3, 9, 6))


def test_fall_back_day_is_25_hours_and_ends_with_a_one_hour_4h_bucket() -> None:
    # 2026-11-01: Saturday 17:00 CDT (22:00 UTC) to Sunday 17:00 CST (23:00 UTC)
    day = bucket_of(Timeframe.D1, utc(2026, 11, 1, 12))
    assert day == (utc(2026, 10, 31, 22), utc(2026, 11, 1, 23))
    assert day[1] - day[0] == 25 * NS_PER_HOUR
    assert bucket_of(Timeframe.H4, utc(2026, 11, 1, 18, 30)) == (utc(2026, 11, 1, 18), utc(2026, 11, 1, 22))
    assert bucket_of(Timeframe.H4, utc(2026, 11, 1, 22, 30)) == (utc(2026, 11, 1, 22), utc(2026, 11, 1, 23))
    assert bucket_of(Timeframe.H1, utc(2026, 11, 1, 22, 59)) == (utc(2026, 11, 1, 22), utc(2026, 11, 1, 23))
    hours = {bucket_of(Timeframe.H1, day[0] + k * NS_PER_MINUTE * 30) for k in range(50)}
    assert len(hours) == 25
    # Monday's day starts Sunday 17:00 CST = 23:00 UTC
    assert bucket_of(Timeframe.H4, utc(2026, 11, 1, 23)) == (utc(2026, 11, 1, 23), utc(2026, 11, 2, 3))


def test_aggregator_closes_each_timeframe_exactly_at_its_bucket_end() -> None:
    start = ct(2026, 3, 1, 17)  # Sunday 17:00 opens Monday's trading day: a start for every timeframe
    agg = CandleAggregator("NQZ2026", complete_from_ns=start)
    assert agg.update(start, 100, 1) == ()
    expected_closes = [
        (start + NS_PER_MINUTE, [Timeframe.M1]),
        (start + 5 * NS_PER_MINUTE, [Timeframe.M1, Timeframe.M5]),
        (start + 15 * NS_PER_MINUTE, [Timeframe.M1, Timeframe.M5, Timeframe.M15]),
        (start + NS_PER_HOUR, [Timeframe.M1, Timeframe.M5, Timeframe.M15, Timeframe.H1]),
        (start + 4 * NS_PER_HOUR, [Timeframe.M1, Timeframe.M5, Timeframe.M15, Timeframe.H1, Timeframe.H4]),
        (ct(2026, 3, 2, 17), list(Timeframe)),
    ]
    for at, timeframes in expected_closes:
        just_before = agg.update(at - 1, 100, 1)  # the last nanosecond still belongs to the bucket
        assert timeframes[-1] not in [c.timeframe for c in just_before]
        closed = agg.update(at, 100, 1)
        assert [c.timeframe for c in closed] == timeframes
        assert all(c.end_ns == at and c.closed and c.complete for c in closed)
    daily = closed[-1]
    assert (daily.start_ns, daily.end_ns) == (ct(2026, 3, 1, 17), ct(2026, 3, 2, 17))


def test_aggregator_cuts_the_last_bucket_of_a_fall_back_day() -> None:
    agg = CandleAggregator("NQZ2026", (Timeframe.H4, Timeframe.D1), complete_from_ns=0)
    agg.update(utc(2026, 11, 1, 22, 10), 100, 1)
    closed = agg.update(utc(2026, 11, 1, 23), 101, 1)
    assert [(c.timeframe, c.start_ns, c.end_ns) for c in closed] == [
        (Timeframe.H4, utc(2026, 11, 1, 22), utc(2026, 11, 1, 23)),
        (Timeframe.D1, utc(2026, 10, 31, 22), utc(2026, 11, 1, 23)),
    ]
    forming = agg.forming_for(Timeframe.H4)
    assert forming is not None
    assert (forming.start_ns, forming.end_ns) == (utc(2026, 11, 1, 23), utc(2026, 11, 2, 3))
