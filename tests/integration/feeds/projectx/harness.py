"""Shared pieces for the ProjectX adapter tests: scripts, fast timers, a recording sink, candles."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from core_server.candles.aggregator import CandleAggregator
from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.fakes.projectx import FakeProjectX
from core_server.feeds.projectx import ProjectXConfig, ProjectXFeed
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import FeedGap, Quote, Tick, Timeframe, Trade
from tests.kit.eventually import eventually
from tests.kit.time import utc

NQ = Contract("NQ", 2026, 12)
ES = Contract("ES", 2026, 12)
CONTRACTS = (NQ, ES)
START = utc(2026, 11, 17, 14, 30, 17)  # a Tuesday, 08:30 CT: the market is open
TIMEFRAMES = (Timeframe.M1, Timeframe.M5, Timeframe.H1)


def make_script(seed: int = 5, duration_s: float = 240.0, rate: float = 20.0) -> MarketScript:
    return MarketScript.generate(CONTRACTS, seed=seed, start_ns=START, duration_s=duration_s, rate=rate)


def fast_fake(script: MarketScript, **options: Any) -> FakeProjectX:
    settings: dict[str, Any] = {"ping_interval_s": 0.1, "client_timeout_s": 2.0, "records_per_frame": 3}
    return FakeProjectX(script, **(settings | options))


def fast_config(fake: FakeProjectX, **overrides: Any) -> ProjectXConfig:
    """Protocol timers shrunk so drops, stalls and token expiries happen within a second."""
    env = {
        "PROJECTX_USERNAME": fake.username,
        "PROJECTX_API_KEY": fake.api_key,
        "PROJECTX_API_URL": fake.base_url,
        "PROJECTX_MARKET_HUB_URL": fake.market_hub_url,
    }
    timers: dict[str, Any] = {
        "ping_interval_s": 0.1,
        "idle_timeout_s": 0.5,
        "handshake_timeout_s": 2.0,
        "subscribe_timeout_s": 2.0,
        "rest_timeout_s": 5.0,
        "token_refresh_min_s": 0.05,
        "auth_retry_s": 30.0,
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
        "backfill_settle_s": 2.0,
    }
    return dataclasses.replace(ProjectXConfig.from_env(env), **(timers | overrides))


class RecordingSink:
    """A FeedSink that keeps everything it is given."""

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

    def trades(self, contract_id: str | None = None) -> list[Trade]:
        return [t for t in self.ticks if type(t) is Trade and contract_id in (None, t.contract_id)]

    def quotes(self) -> list[Quote]:
        return [t for t in self.ticks if type(t) is Quote]


@contextlib.asynccontextmanager
async def running(feed: ProjectXFeed, sink: RecordingSink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(feed.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def serving(fake: FakeProjectX) -> AsyncIterator[FakeProjectX]:
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def new_feed(fake: FakeProjectX, **overrides: Any) -> ProjectXFeed:
    return ProjectXFeed(fast_config(fake, **overrides), CONTRACTS, LiveClock())


async def subscribed(fake: FakeProjectX) -> None:
    await eventually(lambda: all(fake.subscribed(c) for c in CONTRACTS))


async def delivered_through_cursor(fake: FakeProjectX, sink: RecordingSink) -> None:
    """Wait until every trade the fake has played has reached the sink (by last trade stamp)."""
    played = fake.script.events[: fake.cursor]
    for contract in CONTRACTS:
        stamps = [e.ts_ns for e in played if e.is_trade and e.contract_id == contract.id]
        if stamps:
            last = stamps[-1]
            await eventually(lambda cid=contract.id, last=last: any(t.ts_event >= last for t in sink.trades(cid)[-50:]))


def script_trades(script: MarketScript, contract_id: str) -> list[tuple[int, int, int, int]]:
    return [(e.ts_ns, e.price, e.size, e.side) for e in script.trades(contract_id)]


def candles(trades: Iterable[Trade], contract_id: str, gaps: Iterable[FeedGap] = ()) -> list[tuple[object, ...]]:
    """OHLCV and completeness of every candle built from the trades (tick counts left out: bars
    do not carry them)."""
    aggregator = CandleAggregator(contract_id, TIMEFRAMES, complete_from_ns=START - START % (3600 * NS_PER_SECOND))
    for gap in gaps:
        if not gap.filled and gap.contract_id in ("", contract_id):
            aggregator.mark_gap(gap.start_ns, gap.end_ns)
    built = []
    for trade in trades:
        if trade.contract_id == contract_id:
            built += aggregator.update(trade.ts_event, trade.price, trade.size)
    built += aggregator.forming()
    return sorted((c.timeframe.label, c.start_ns, c.open, c.high, c.low, c.close, c.volume, c.complete) for c in built)
