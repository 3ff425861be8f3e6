"""CandleAggregator: OHLC values, closing, completeness from the start instant, late ticks, close_due."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core_server.candles.aggregator import CandleAggregator
from core_server.model.clock import NS_PER_MINUTE, NS_PER_SECOND, ns_from_datetime
from core_server.model.market_data import ALL_TIMEFRAMES, Candle, Timeframe

CT = ZoneInfo("America/Chicago")
NQ = "NQZ2026"


def ct(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=CT))


T0 = ct(2026, 3, 3, 8, 30)  # Tuesday 08:30 CT: a 1m, 5m, 15m and 30m boundary; inside 1h/4h/1d buckets
S = NS_PER_SECOND


def ohlcv(c: Candle | None) -> tuple[int, int, int, int, int, int]:
    assert c is not None
    return c.open, c.high, c.low, c.close, c.volume, c.tick_count


def test_update_when_ticks_stay_in_bucket_then_returns_the_shared_empty_result() -> None:
    agg = CandleAggregator(NQ, complete_from_ns=T0)
    first = agg.update(T0, 100, 1)
    second = agg.update(T0 + S, 101, 1)
    assert first == () and second is first


def test_forming_candle_holds_exact_open_high_low_close_volume_and_tick_count() -> None:
    agg = CandleAggregator(NQ, complete_from_ns=T0)
    for offset, price, size in [(0, 100, 2), (10, 105, 1), (20, 98, 3), (30, 101, 0)]:
        agg.update(T0 + offset * S, price, size)
    for tf in ALL_TIMEFRAMES:
        assert ohlcv(agg.forming_for(tf)) == (100, 105, 98, 101, 6, 4)
    minute = agg.forming_for(Timeframe.M1)
    assert minute is not None
    assert (minute.contract_id, minute.start_ns, minute.end_ns) == (NQ, T0, T0 + NS_PER_MINUTE)
    assert minute.closed is False
    assert [c.timeframe for c in agg.forming()] == list(ALL_TIMEFRAMES)


def test_tick_leaving_a_bucket_closes_it_and_starts_the_next_with_its_price() -> None:
    agg = CandleAggregator(NQ, (Timeframe.M5, Timeframe.M1), complete_from_ns=T0)
    assert agg.timeframes == (Timeframe.M1, Timeframe.M5)
    agg.update(T0, 100, 1)
    agg.update(T0 + 59 * S, 103, 2)
    closed = agg.update(T0 + NS_PER_MINUTE, 99, 4)
    assert closed == [Candle(NQ, Timeframe.M1, T0, T0 + NS_PER_MINUTE, 100, 103, 100, 103, 3, 2, True, True)]
    assert ohlcv(agg.forming_for(Timeframe.M1)) == (99, 99, 99, 99, 4, 1)
    assert ohlcv(agg.forming_for(Timeframe.M5)) == (100, 103, 99, 99, 7, 3)
    closed = agg.update(T0 + 7 * NS_PER_MINUTE, 110, 1)  # skips empty minutes: no synthetic candles
    assert [(c.timeframe, c.start_ns) for c in closed] == [
        (Timeframe.M1, T0 + NS_PER_MINUTE),
        (Timeframe.M5, T0),
    ]
    assert ohlcv(closed[1]) == (100, 103, 99, 99, 7, 3)
    assert agg.last_closed(Timeframe.M5) == closed[1]


def test_first_candles_are_incomplete_when_started_mid_bucket() -> None:
    agg = CandleAggregator(NQ, complete_from_ns=T0 + 30 * S)
    agg.update(T0 + 30 * S, 100, 1)
    assert [c.complete for c in agg.forming()] == [False] * 6
    closed = agg.update(T0 + NS_PER_MINUTE, 101, 1)
    assert closed[0].complete is False and closed[0].closed is True
    minute = agg.forming_for(Timeframe.M1)
    assert minute is not None and minute.complete is True
    five = agg.forming_for(Timeframe.M5)
    assert five is not None and five.complete is False


def test_first_candle_is_complete_when_started_at_its_bucket_start() -> None:
    agg = CandleAggregator(NQ, complete_from_ns=T0)
    agg.update(T0 + 5 * S, 100, 1)
    complete = {c.timeframe: c.complete for c in agg.forming()}
    # 08:30 starts the 1m, 5m and 15m buckets; the 1h, 4h and 1d buckets began earlier
    assert complete == {
        Timeframe.M1: True,
        Timeframe.M5: True,
        Timeframe.M15: True,
        Timeframe.H1: False,
        Timeframe.H4: False,
        Timeframe.D1: False,
    }


def test_late_tick_is_ignored_by_timeframes_it_is_older_than_and_counted() -> None:
    agg = CandleAggregator(NQ, (Timeframe.M1, Timeframe.M5), complete_from_ns=T0)
    agg.update(T0 + 70 * S, 100, 1)
    assert agg.update(T0 + 50 * S, 90, 5) == ()  # before the 1m bucket, inside the 5m bucket
    assert agg.late_ticks == 1
    assert ohlcv(agg.forming_for(Timeframe.M1)) == (100, 100, 100, 100, 1, 1)
    assert ohlcv(agg.forming_for(Timeframe.M5)) == (100, 100, 90, 90, 6, 2)
    agg.update(T0 - S, 80, 1)  # older than every bucket
    assert agg.late_ticks == 2
    assert ohlcv(agg.forming_for(Timeframe.M5)) == (100, 100, 90, 90, 6, 2)


def test_close_due_closes_candles_whose_end_has_passed_without_a_next_tick() -> None:
    agg = CandleAggregator(NQ, (Timeframe.M1, Timeframe.M5), complete_from_ns=T0)
    agg.update(T0 + S, 100, 1)
    assert agg.close_due(T0 + NS_PER_MINUTE - 1) == ()
    closed = agg.close_due(T0 + NS_PER_MINUTE)
    assert [(c.timeframe, c.closed) for c in closed] == [(Timeframe.M1, True)]
    assert agg.forming_for(Timeframe.M1) is None
    assert agg.close_due(T0 + NS_PER_MINUTE) == ()  # closes once
    assert [c.timeframe for c in agg.forming()] == [Timeframe.M5]


def test_after_close_due_an_older_tick_is_late_and_a_newer_one_opens_a_bucket() -> None:
    agg = CandleAggregator(NQ, (Timeframe.M1,), complete_from_ns=T0)
    agg.update(T0 + S, 100, 1)
    agg.close_due(T0 + 2 * NS_PER_MINUTE)
    assert agg.update(T0 + 59 * S, 101, 1) == ()
    assert agg.late_ticks == 1 and agg.forming_for(Timeframe.M1) is None
    assert agg.update(T0 + 2 * NS_PER_MINUTE + S, 102, 1) == ()  # nothing forming, so nothing closes
    minute = agg.forming_for(Timeframe.M1)
    assert minute is not None
    assert (minute.start_ns, minute.open, minute.complete) == (T0 + 2 * NS_PER_MINUTE, 102, True)


def test_quote_derived_prices_with_zero_size_count_ticks_but_no_volume() -> None:
    agg = CandleAggregator(NQ, (Timeframe.M1,), complete_from_ns=T0)
    agg.update(T0, 100, 0)
    agg.update(T0 + S, 101, 0)
    assert ohlcv(agg.forming_for(Timeframe.M1)) == (100, 101, 100, 101, 0, 2)
