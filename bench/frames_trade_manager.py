"""Trade Manager price messages per second on one core, through the adapter's receive path after the websocket."""

from __future__ import annotations

import time
from functools import cache

from bench.null_sink import NullSink
from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.fakes.trade_manager import FakeTradeManager
from core_server.feeds.trade_manager import TradeManagerConfig, TradeManagerFeed
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.model.instruments import Contract

NQ, ES = Contract("NQ", 2026, 12), Contract("ES", 2026, 12)
MESSAGES = 100_000


@cache
def frames(count: int = MESSAGES) -> tuple[str, ...]:
    """DATA messages exactly as the fake Trade Manager sends them, NQ and ES interleaved."""
    duration_s = count / 40 * 1.1  # two contracts at 50 events/s, 40% of them quotes (Trade Manager sends no trades)
    start_ns = 1_795_000_000 * NS_PER_SECOND
    script = MarketScript.generate([NQ, ES], seed=1, start_ns=start_ns, duration_s=duration_s, rate=50)
    fake = FakeTradeManager(script)
    return tuple(fake.data_message(e) for e in script.events if not e.is_trade)[:count]


def measure(count: int = MESSAGES) -> tuple[int, float]:
    """(messages, seconds) for one pass of `count` messages through a fresh feed."""
    data = frames(count)
    feed = TradeManagerFeed(TradeManagerConfig("ws://bench/"), [NQ, ES], LiveClock())
    feed._sink = NullSink()
    on_frame = feed._on_frame
    started = time.perf_counter()
    for frame in data:
        on_frame(frame)
    elapsed = time.perf_counter() - started
    if feed._stats.malformed_frames or not feed._stats.total_ticks:
        raise RuntimeError(f"trade manager bench frames were not understood: {feed._stats.malformed_frames} malformed")
    return len(data), elapsed
