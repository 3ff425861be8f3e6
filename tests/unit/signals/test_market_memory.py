"""MarketMemory: the validator's view of prices and candles, from the market-data engine and a candle window."""

from __future__ import annotations

from core_server.bus import Bus
from core_server.market_data.engine import MarketDataEngine
from core_server.model.clock import NS_PER_MINUTE, NS_PER_SECOND, TestClock
from core_server.model.market_data import Candle, Timeframe
from core_server.signals.market_memory import MarketMemory
from tests.kit.feeds import NQ, ScriptedFeed, px, quote, trade
from tests.kit.time import utc

M1 = Timeframe.M1
T0 = utc(2026, 11, 19, 15, 30)


def candle(i: int, close: str = "25340.00") -> Candle:
    start = T0 + i * NS_PER_MINUTE
    price = px(NQ, close)
    return Candle(NQ.id, M1, start, start + NS_PER_MINUTE, price, price, price, price, 1, 1, True, True)


def memory_over_engine(window: int = 512) -> tuple[MarketMemory, MarketDataEngine]:
    market = MarketDataEngine(TestClock(T0), Bus())
    market.attach(ScriptedFeed([NQ]), [NQ], realtime=False, quote_only=False)
    return MarketMemory(market, window), market


def test_closed_candles_are_kept_in_start_order_and_a_repeat_replaces_the_earlier_copy() -> None:
    memory, _ = memory_over_engine()
    memory.seed([candle(3), candle(1), candle(2)._replace(closed=False)])
    memory.add_closed(candle(2))
    memory.add_closed(candle(2, "25341.00"))
    assert [c.start_ns for c in memory.closed_candles(NQ.id, M1, 0, T0 + 10 * NS_PER_MINUTE)] == [
        candle(1).start_ns,
        candle(2).start_ns,
        candle(3).start_ns,
    ]
    assert memory.closed_candles(NQ.id, M1, candle(2).start_ns, candle(3).start_ns) == [candle(2, "25341.00")]
    assert memory.closed_before(NQ.id, M1, candle(2).start_ns) == candle(1)
    assert memory.closed_before(NQ.id, M1, candle(1).start_ns) is None
    assert memory.closed_candles(NQ.id, Timeframe.M5, 0, T0 * 2) == []
    assert memory.newest_closed(NQ.id, M1) == candle(3)


def test_the_window_keeps_the_newest_candles() -> None:
    memory, _ = memory_over_engine(window=3)
    for i in range(5):
        memory.add_closed(candle(i))
    assert [c.start_ns for c in memory.closed_candles(NQ.id, M1, 0, T0 * 2)] == [
        candle(2).start_ns,
        candle(3).start_ns,
        candle(4).start_ns,
    ]


def test_latest_prices_come_from_the_market_data_engine() -> None:
    memory, market = memory_over_engine()
    assert memory.last_trade(NQ.id) is None and memory.last_quote("ESZ2026") is None
    binding = market.bindings[0]
    binding.on_ticks([quote(NQ, T0 + 1, "25340.00", "25340.25"), trade(NQ, T0 + 2, "25340.25")])
    last = memory.last_trade(NQ.id)
    assert last is not None and last.price == px(NQ, "25340.25")
    assert memory.last_quote(NQ.id) is not None


def test_forming_is_withheld_while_the_window_lags_the_aggregator() -> None:
    memory, market = memory_over_engine()
    binding = market.bindings[0]
    binding.on_ticks([trade(NQ, T0 + NS_PER_SECOND, "25340.00")])
    forming = memory.forming(NQ.id, M1)
    assert forming is not None and forming.start_ns == T0  # nothing closed yet: caught up
    binding.on_ticks([trade(NQ, T0 + NS_PER_MINUTE + 1, "25341.00"), trade(NQ, T0 + 2 * NS_PER_MINUTE, "25342.00")])
    assert memory.forming(NQ.id, M1) is None  # the bus has two closes this window has not taken yet
    memory.add_closed(candle(0))
    assert memory.forming(NQ.id, M1) is None
    memory.add_closed(candle(1))
    forming = memory.forming(NQ.id, M1)
    assert forming is not None and forming.start_ns == T0 + 2 * NS_PER_MINUTE
    assert memory.forming("ESZ2026", M1) is None


def test_first_open_is_true_once_per_new_bucket() -> None:
    memory, _ = memory_over_engine()
    memory.add_closed(candle(0))
    assert not memory.first_open(candle(0)._replace(closed=False))  # already closed here
    assert memory.first_open(candle(1)._replace(closed=False))
    assert not memory.first_open(candle(1)._replace(closed=False, close=px(NQ, "25345.00")))
    assert memory.first_open(candle(2)._replace(closed=False))
