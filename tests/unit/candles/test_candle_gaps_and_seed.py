"""CandleAggregator feed gaps (forming, closed and later candles) and seeding from the store."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core_server.candles.aggregator import CandleAggregator
from core_server.model.clock import NS_PER_MINUTE, NS_PER_SECOND, ns_from_datetime
from core_server.model.market_data import Candle, Timeframe

CT = ZoneInfo("America/Chicago")
NQ = "NQZ2026"
S = NS_PER_SECOND
M = NS_PER_MINUTE
T0 = ns_from_datetime(datetime(2026, 3, 3, 8, 30, tzinfo=CT))
M1_M5 = (Timeframe.M1, Timeframe.M5)


def minute_candle(start: int, o: int, h: int, lo: int, c: int, v: int, n: int, *, complete: bool = True) -> Candle:
    return Candle(NQ, Timeframe.M1, start, start + M, o, h, lo, c, v, n, False, complete)


def forming(agg: CandleAggregator, timeframe: Timeframe) -> Candle:
    candle = agg.forming_for(timeframe)
    assert candle is not None
    return candle


def test_gap_marks_the_forming_candles_it_overlaps_incomplete() -> None:
    agg = CandleAggregator(NQ, M1_M5, complete_from_ns=T0)
    agg.update(T0 + 3 * M, 100, 1)
    assert agg.mark_gap(T0 + 3 * M + 10 * S, T0 + 3 * M + 20 * S) == []  # nothing closed changed
    assert [c.complete for c in agg.forming()] == [False, False]


def test_gap_returns_the_closed_candles_whose_completeness_changed() -> None:
    agg = CandleAggregator(NQ, M1_M5, complete_from_ns=T0)
    for k in range(4):
        agg.update(T0 + k * M, 100 + k, 1)
    changed = agg.mark_gap(T0 + M + 30 * S, T0 + 2 * M + 30 * S)
    assert [(c.timeframe, c.start_ns, c.closed, c.complete) for c in changed] == [
        (Timeframe.M1, T0 + M, True, False),
        (Timeframe.M1, T0 + 2 * M, True, False),
    ]
    assert forming(agg, Timeframe.M1).complete is True
    assert forming(agg, Timeframe.M5).complete is False
    assert agg.mark_gap(T0 + M + 30 * S, T0 + 2 * M + 30 * S) == []  # already marked
    # the forming 5m candle overlapped the gap, so it closes incomplete
    closed = agg.update(T0 + 5 * M, 104, 1)
    assert [(c.timeframe, c.complete) for c in closed] == [(Timeframe.M1, True), (Timeframe.M5, False)]


def test_gap_marks_a_candle_formed_later_over_its_range() -> None:
    agg = CandleAggregator(NQ, M1_M5, complete_from_ns=T0)
    agg.update(T0, 100, 1)
    agg.mark_gap(T0 + 30 * S, T0 + 2 * M + 10 * S)  # reported while the feed is down
    closed = agg.update(T0 + 2 * M + 5 * S, 101, 1)
    assert [(c.timeframe, c.complete) for c in closed] == [(Timeframe.M1, False)]
    assert forming(agg, Timeframe.M1).complete is False
    agg.update(T0 + 3 * M, 102, 1)
    assert forming(agg, Timeframe.M1).complete is True


def test_gap_touching_a_bucket_only_at_its_end_leaves_it_complete() -> None:
    agg = CandleAggregator(NQ, (Timeframe.M1,), complete_from_ns=T0)
    agg.update(T0, 100, 1)
    agg.mark_gap(T0 + M, T0 + 2 * M)
    assert forming(agg, Timeframe.M1).complete is True
    assert agg.mark_gap(T0 + M, T0 + M) == []  # empty range: no gap


def test_seed_restores_a_forming_candle_and_later_ticks_merge_into_it() -> None:
    agg = CandleAggregator(NQ, M1_M5, complete_from_ns=T0 + 40 * S)
    assert agg.seed(minute_candle(T0, 100, 108, 95, 104, 9, 5)) is True
    assert agg.forming_for(Timeframe.M5) is None
    agg.update(T0 + 40 * S, 110, 2)
    agg.update(T0 + 50 * S, 90, 1)
    closed = agg.update(T0 + M, 101, 1)
    assert closed[0] == Candle(NQ, Timeframe.M1, T0, T0 + M, 100, 110, 90, 90, 12, 7, True, True)


def test_seed_keeps_the_stored_incompleteness_and_later_gaps() -> None:
    agg = CandleAggregator(NQ, M1_M5, complete_from_ns=T0)
    agg.seed(minute_candle(T0, 100, 100, 100, 100, 1, 1, complete=False))
    assert forming(agg, Timeframe.M1).complete is False
    other = CandleAggregator(NQ, M1_M5, complete_from_ns=T0)
    other.mark_gap(T0 + 10 * S, T0 + 20 * S)
    other.seed(minute_candle(T0, 100, 100, 100, 100, 1, 1))
    assert forming(other, Timeframe.M1).complete is False


def test_seed_merges_as_the_earlier_part_of_a_bucket_already_forming() -> None:
    agg = CandleAggregator(NQ, M1_M5, complete_from_ns=T0 + 30 * S)
    agg.update(T0 + 30 * S, 103, 2)
    assert agg.seed(minute_candle(T0, 100, 101, 99, 100, 4, 3)) is True
    candle = agg.forming_for(Timeframe.M1)
    assert candle is not None
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume, candle.tick_count) == (
        100,
        103,
        99,
        103,
        6,
        4,
    )
    assert candle.complete is False  # the aggregator's own part started mid-bucket


def test_seed_is_refused_when_not_the_current_bucket_or_not_ours() -> None:
    agg = CandleAggregator(NQ, M1_M5, complete_from_ns=T0)
    agg.update(T0 + 2 * M, 100, 1)
    assert agg.seed(minute_candle(T0, 100, 100, 100, 100, 1, 1)) is False  # behind the forming bucket
    assert agg.seed(minute_candle(T0 + 3 * M, 100, 100, 100, 100, 1, 1)) is False  # ahead of it
    fresh = CandleAggregator(NQ, M1_M5, complete_from_ns=T0)
    assert fresh.seed(minute_candle(T0 + 10 * S, 100, 100, 100, 100, 1, 1)) is False  # misaligned
    assert fresh.seed(minute_candle(T0, 1, 1, 1, 1, 1, 1)._replace(contract_id="ESZ2026")) is False
    assert fresh.seed(minute_candle(T0, 1, 1, 1, 1, 1, 1)._replace(closed=True)) is False
    assert fresh.seed(minute_candle(T0, 1, 1, 1, 1, 1, 1)._replace(timeframe=Timeframe.H1)) is False
    fresh.update(T0 + 2 * M, 100, 1)
    fresh.close_due(T0 + 3 * M)
    assert fresh.seed(minute_candle(T0 + 2 * M, 100, 100, 100, 100, 1, 1)) is False  # already closed


def test_seed_of_an_ended_bucket_is_closed_by_close_due() -> None:
    agg = CandleAggregator(NQ, (Timeframe.M1,), complete_from_ns=T0 + 10 * M)
    agg.seed(minute_candle(T0, 100, 100, 100, 100, 1, 1))
    closed = agg.close_due(T0 + 10 * M)
    assert [(c.start_ns, c.closed, c.complete) for c in closed] == [(T0, True, True)]
