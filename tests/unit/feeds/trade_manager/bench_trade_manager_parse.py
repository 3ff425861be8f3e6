"""Prints how many Trade Manager price messages per second one core turns into quotes (not a test).

Run: .venv/bin/python -m tests.unit.feeds.trade_manager.bench_trade_manager_parse
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.fakes.trade_manager import FakeTradeManager
from core_server.feeds.trade_manager import TradeManagerConfig, TradeManagerFeed
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import FeedGap, Tick

NQ, ES = Contract("NQ", 2026, 12), Contract("ES", 2026, 12)


class NullSink:
    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        pass

    def on_gap(self, gap: FeedGap) -> None:
        pass

    def on_state(self, state: FeedState, detail: str) -> None:
        pass


def main() -> None:
    script = MarketScript.generate([NQ, ES], seed=1, start_ns=1_795_000_000 * NS_PER_SECOND, duration_s=4000, rate=50)
    fake = FakeTradeManager(script)
    data = [fake.data_message(e) for e in script.events if not e.is_trade][:200_000]
    feed = TradeManagerFeed(TradeManagerConfig("ws://bench/"), [NQ, ES], LiveClock())
    feed._sink = NullSink()
    for _ in range(2):
        started = time.perf_counter()
        for frame in data:
            feed._on_frame(frame)
        elapsed = time.perf_counter() - started
        print(f"trade_manager: {len(data) / elapsed:,.0f} messages/s ({elapsed / len(data) * 1e6:.2f} us each)")
    print(f"  ticks {feed._stats.total_ticks:,}, malformed {feed._stats.malformed_frames}")


if __name__ == "__main__":
    main()
