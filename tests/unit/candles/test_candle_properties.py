"""Property: every longer timeframe's candles equal the 1m candles of its buckets aggregated."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from core_server.candles.aggregator import CandleAggregator
from core_server.candles.buckets import bucket_of
from core_server.model.clock import NS_PER_DAY, NS_PER_HOUR, NS_PER_MINUTE, ns_from_datetime
from core_server.model.market_data import Candle, Timeframe

# a few hours before the end of an ordinary trading day and of the 23 h and 25 h DST days
ORIGINS = [
    ns_from_datetime(datetime(2026, 3, 3, 18, tzinfo=UTC)),
    ns_from_datetime(datetime(2026, 3, 8, 17, tzinfo=UTC)),
    ns_from_datetime(datetime(2026, 11, 1, 18, tzinfo=UTC)),
]

steps = st.one_of(
    st.integers(0, 5 * 10**9),  # bursts within seconds, equal timestamps allowed
    st.integers(0, 3 * NS_PER_MINUTE),
    st.integers(0, 5 * NS_PER_HOUR),  # crosses 4h buckets and trading days
)
ticks = st.lists(st.tuples(steps, st.integers(-40, 40), st.integers(0, 9)), min_size=1, max_size=300)


def aggregate(parts: list[Candle]) -> tuple[int, int, int, int, int, int]:
    return (
        parts[0].open,
        max(c.high for c in parts),
        min(c.low for c in parts),
        parts[-1].close,
        sum(c.volume for c in parts),
        sum(c.tick_count for c in parts),
    )


@settings(max_examples=150, deadline=None)
@given(origin=st.sampled_from(ORIGINS), offset=st.integers(0, 6 * NS_PER_HOUR), stream=ticks)
def test_longer_candles_equal_the_aggregated_minute_candles(
    origin: int, offset: int, stream: list[tuple[int, int, int]]
) -> None:
    ts = origin + offset
    agg = CandleAggregator("NQZ2026", complete_from_ns=ts)
    price = 80_000
    candles: list[Candle] = []
    for step, move, size in stream:
        ts += step
        price += move
        candles.extend(agg.update(ts, price, size))
    candles.extend(agg.close_due(ts + 2 * NS_PER_DAY))
    assert agg.forming() == [] and agg.late_ticks == 0
    by_tf: dict[Timeframe, list[Candle]] = defaultdict(list)
    for candle in candles:
        by_tf[candle.timeframe].append(candle)
    minutes = by_tf[Timeframe.M1]
    assert sum(c.tick_count for c in minutes) == len(stream)
    for tf in (Timeframe.M5, Timeframe.M15, Timeframe.H1, Timeframe.H4, Timeframe.D1):
        grouped: dict[tuple[int, int], list[Candle]] = defaultdict(list)
        for minute in minutes:
            grouped[bucket_of(tf, minute.start_ns)].append(minute)
        assert [(c.start_ns, c.end_ns) for c in by_tf[tf]] == list(grouped)
        assert [aggregate([c]) for c in by_tf[tf]] == [aggregate(parts) for parts in grouped.values()]


jittered = st.lists(st.tuples(st.integers(-90 * 10**9, 60 * 10**9), st.integers(-40, 40)), min_size=1, max_size=300)


@settings(max_examples=100, deadline=None)
@given(origin=st.sampled_from(ORIGINS), stream=jittered)
def test_out_of_order_ticks_never_corrupt_candles(origin: int, stream: list[tuple[int, int]]) -> None:
    agg = CandleAggregator("NQZ2026", complete_from_ns=origin)
    ts, price, newest = origin, 80_000, origin
    candles: list[Candle] = []
    for step, move in stream:
        ts = max(origin, ts + step)
        newest = max(newest, ts)
        price += move
        candles.extend(agg.update(ts, price, 1))
    candles.extend(agg.close_due(newest + 2 * NS_PER_DAY))
    for tf in Timeframe:
        mine = [c for c in candles if c.timeframe is tf]
        assert all(c.low <= min(c.open, c.close) and max(c.open, c.close) <= c.high for c in mine)
        assert all((c.start_ns, c.end_ns) == bucket_of(tf, c.start_ns) for c in mine)
        assert all(a.end_ns <= b.start_ns for a, b in pairwise(mine))
    minute_ticks = sum(c.tick_count for c in candles if c.timeframe is Timeframe.M1)
    assert minute_ticks <= len(stream) and (minute_ticks == len(stream)) == (agg.late_ticks == 0)
