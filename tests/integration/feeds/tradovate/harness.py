"""Shared pieces for the Tradovate adapter tests: scripts, fast timers, a recording sink, candles."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

from core_server.candles.aggregator import CandleAggregator
from core_server.feeds.fakes.tradovate import FakeTradovate
from core_server.feeds.fakes.tradovate_script import TickScript
from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.model.clock import NS_PER_MS
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, FeedGap, Quote, Tick, Timeframe, Trade
from tests.kit.eventually import eventually
from tests.kit.time import utc

NQ = Contract("NQ", 2026, 12)
ES = Contract("ES", 2026, 12)
NQ_ID = 3570918
START_MS = utc(2026, 11, 17, 14, 30) // NS_PER_MS  # a Tuesday, 08:30 CT: the market is open


def nq_script(count: int = 3000, seed: int = 11) -> TickScript:
    start = NQ.spec.ticks_from_price("25329.25")
    return TickScript.random_walk(
        "NQZ6", NQ_ID, NQ.spec.tick_size, seed=seed, count=count, start_ms=START_MS, start_price=start
    )


def fast_config(fake: FakeTradovate, **overrides: Any) -> TradovateConfig:
    """Protocol timers shrunk about 25x so drops, stalls and renewals happen within a second."""
    timers: dict[str, Any] = {
        "heartbeat_interval_s": 0.1,
        "idle_timeout_s": 0.6,
        "close_timeout_s": 0.2,
        "request_timeout_s": 3.0,
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
        "auth_backoff_initial_s": 0.2,
        "auth_backoff_max_s": 0.8,
        "renew_min_interval_s": 0.05,
        "history_timeout_s": 3.0,
    }
    return dataclasses.replace(TradovateConfig.from_env(fake.env()), **(timers | overrides))


def fast_fake(scripts: Sequence[TickScript], **options: Any) -> FakeTradovate:
    settings: dict[str, Any] = {"rate": 3000.0, "heartbeat_s": 0.1, "client_timeout_s": 1.0}
    return FakeTradovate(scripts, **(settings | options))


class RecordingSink:
    """A FeedSink that keeps everything it is given."""

    def __init__(self) -> None:
        self.ticks: list[Tick] = []
        self.states: list[tuple[FeedState, str]] = []
        self.gaps: list[FeedGap] = []
        self.events: list[Tick | FeedGap] = []  # ticks and gaps in delivery order

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        self.ticks.extend(ticks)
        self.events.extend(ticks)

    def on_gap(self, gap: FeedGap) -> None:
        self.gaps.append(gap)
        self.events.append(gap)

    def on_state(self, state: FeedState, detail: str) -> None:
        self.states.append((state, detail))

    @property
    def trades(self) -> list[Trade]:
        return [tick for tick in self.ticks if type(tick) is Trade]

    @property
    def quotes(self) -> list[Quote]:
        return [tick for tick in self.ticks if type(tick) is Quote]

    def volume(self) -> int:
        return sum(trade.size for trade in self.trades)

    def saw(self, state: FeedState) -> bool:
        return any(seen is state for seen, _ in self.states)

    def streaming_count(self) -> int:
        return sum(1 for seen, _ in self.states if seen is FeedState.STREAMING)


class RecordingSleep:
    """An injectable sleep that records each requested delay and waits only a bounded real time."""

    def __init__(self, cap_s: float = 0.05) -> None:
        self.cap_s = cap_s
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(min(delay, self.cap_s))


@contextlib.asynccontextmanager
async def serving(fake: FakeTradovate) -> AsyncIterator[FakeTradovate]:
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@contextlib.asynccontextmanager
async def running(feed: TradovateFeed, sink: RecordingSink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(feed.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until_streaming(sink: RecordingSink, times: int = 1, timeout: float = 10.0) -> None:
    await eventually(lambda: sink.streaming_count() >= times, timeout=timeout)


def script_volume(script: TickScript) -> int:
    return script.prints[-1].volume - script.opening.volume


async def until_all_played(fake: FakeTradovate, sink: RecordingSink, script: TickScript) -> None:
    """Wait until the fake played the whole script and the sink received its last print."""
    await eventually(lambda: fake.finished, timeout=20.0)
    last_ns = script.prints[-1].ts_ms * NS_PER_MS
    await eventually(lambda: any(t.ts_event == last_ns for t in sink.trades[-20:]), timeout=10.0)


def one_minute_candles(events: Sequence[Tick | FeedGap]) -> list[Candle]:
    """The 1m candles an engine would build from what the sink received: trades update them, unfilled
    gaps mark them incomplete. Closed candles in order, then the forming one."""
    aggregator = CandleAggregator(NQ.id, [Timeframe.M1], complete_from_ns=START_MS * NS_PER_MS)
    by_start: dict[int, Candle] = {}
    for event in events:
        if type(event) is Trade:
            changed: Sequence[Candle] = aggregator.update(event.ts_event, event.price, event.size)
        elif type(event) is FeedGap and not event.filled:
            changed = aggregator.mark_gap(event.start_ns, event.end_ns)
        else:
            continue
        by_start.update((candle.start_ns, candle) for candle in changed)
    return [by_start[start] for start in sorted(by_start)] + aggregator.forming()
