"""Shared pieces for the Trade Manager adapter tests: a stepped fake market on a TestClock, candles."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from core_server.candles.aggregator import CandleAggregator
from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.fakes.trade_manager import FakeTradeManager
from core_server.feeds.trade_manager import TradeManagerConfig, TradeManagerFeed
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import FeedGap, Quote, Tick, Timeframe
from tests.kit.eventually import eventually
from tests.kit.time import utc

NQ = Contract("NQ", 2026, 12)
ES = Contract("ES", 2026, 12)
CONTRACTS = (NQ, ES)
START = utc(2026, 11, 17, 14, 30, 17)
TIMEFRAMES = (Timeframe.M1, Timeframe.M5)


def make_script(seed: int = 3, duration_s: float = 150.0, rate: float = 3.0) -> MarketScript:
    return MarketScript.generate(CONTRACTS, seed=seed, start_ns=START, duration_s=duration_s, rate=rate)


def fast_config(fake: FakeTradeManager, **overrides: Any) -> TradeManagerConfig:
    env = {"TRADE_MANAGER_URL": fake.url}
    timers: dict[str, Any] = {
        "open_timeout_s": 2.0,
        "ping_interval_s": 0.2,
        "ping_timeout_s": 0.4,
        "stale_after_s": 0.2,
        "idle_timeout_s": 0.5,
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
        "auth_retry_s": 30.0,
    }
    return dataclasses.replace(TradeManagerConfig.from_env(env), **(timers | overrides))


class RecordingSink:
    def __init__(self) -> None:
        self.ticks: list[Tick] = []
        self.states: list[tuple[FeedState, str]] = []
        self.gaps: list[FeedGap] = []

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        self.ticks.extend(ticks)

    def on_gap(self, gap: FeedGap) -> None:
        self.gaps.append(gap)

    def on_state(self, state: FeedState, detail: str) -> None:
        self.states.append((state, detail))

    @property
    def state(self) -> FeedState | None:
        return self.states[-1][0] if self.states else None

    def quotes(self, contract_id: str | None = None) -> list[Quote]:
        return [t for t in self.ticks if type(t) is Quote and contract_id in (None, t.contract_id)]


@contextlib.asynccontextmanager
async def serving(fake: FakeTradeManager) -> AsyncIterator[FakeTradeManager]:
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@contextlib.asynccontextmanager
async def running(feed: TradeManagerFeed, sink: RecordingSink) -> AsyncIterator[None]:
    task = asyncio.create_task(feed.run(sink))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def new_feed(fake: FakeTradeManager, clock: TestClock, **overrides: Any) -> TradeManagerFeed:
    return TradeManagerFeed(fast_config(fake, **overrides), CONTRACTS, clock)


async def step_until(
    fake: FakeTradeManager, clock: TestClock, sink: RecordingSink, until_ns: int, *, listening: bool
) -> int:
    """Play events one at a time with the clock at each event's stamp, so arrival stamps equal script
    stamps; when `listening`, wait for each quote to arrive before the next. Returns quotes sent."""
    sent = 0
    events = fake.script.events
    while fake.cursor < len(events) and events[fake.cursor].ts_ns <= until_ns:
        clock.set_ns(max(clock.now_ns(), events[fake.cursor].ts_ns))
        quotes = await fake.play(1)
        sent += len(quotes)
        if quotes and listening:
            expected = len(sink.quotes()) + 1
            await eventually(lambda expected=expected: len(sink.quotes()) >= expected, interval=0.001)
    return sent


def quote_candles(
    quotes: Iterable[tuple[int, int]], contract_id: str, gaps: Iterable[FeedGap] = ()
) -> list[tuple[object, ...]]:
    """Candles from (ts, bid) pairs, as the engine builds them for a quote-only feed priced at the bid."""
    aggregator = CandleAggregator(contract_id, TIMEFRAMES, complete_from_ns=START - START % (60 * NS_PER_SECOND))
    for gap in gaps:
        if not gap.filled and gap.contract_id in ("", contract_id):
            aggregator.mark_gap(gap.start_ns, gap.end_ns)
    built = []
    for ts, price in quotes:
        built += aggregator.update(ts, price, 0)
    built += aggregator.forming()
    return sorted(
        (c.timeframe.label, c.start_ns, c.open, c.high, c.low, c.close, c.tick_count, c.complete) for c in built
    )
