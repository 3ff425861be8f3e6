"""The simulator feed: paces a seeded SimulatedMarket in real time and delivers its ticks to a sink."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Literal, Protocol

import structlog

from core_server.feeds.simulated_market import MAX_RATE, SimulatedMarket
from core_server.feeds.stats import FeedStats
from core_server.model.clock import NS_PER_SECOND, Clock
from core_server.model.errors import InvalidArgument, VigilError
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.ports import FeedSink

__all__ = ["ExchangeHours", "SimulatedFeed", "SimulatedMarket"]

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
MAX_CATCH_UP_NS = NS_PER_SECOND  # after a stalled loop, simulate at most this much of the missed time


class ExchangeHours(Protocol):
    """Whether the exchange is open at an instant (the TradingCalendar provides this)."""

    def is_open(self, ts_ns: int) -> bool: ...


class SimulatedFeed:
    """A MarketDataFeed that simulates the market at `rate` ticks per second on average.

    Every `interval_s` it asks the market how many ticks are due for the elapsed time (bursts run
    faster), spreads their ts_event evenly over that time and delivers them in one `on_ticks` call.
    With `hours="exchange"` it is silent while `calendar.is_open` says the exchange is closed.
    `sleep` is injectable so tests can drive it with a TestClock and no real waiting.
    """

    kind = "simulator"
    is_realtime = True

    def __init__(
        self,
        contracts: Sequence[Contract],
        clock: Clock,
        *,
        seed: int = 7,
        rate: float = 2000.0,
        interval_s: float = 0.01,
        hours: Literal["always", "exchange"] = "always",
        calendar: ExchangeHours | None = None,
        name: str = "simulator",
        start_prices: Mapping[str, Decimal] | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not (0.0 < rate <= MAX_RATE):
            raise InvalidArgument("rate", f"must be above 0 and at most {MAX_RATE:g} ticks per second")
        if not (0.0 < interval_s <= 1.0):
            raise InvalidArgument("interval_s", "must be above 0 and at most 1 second")
        if hours not in ("always", "exchange"):
            raise InvalidArgument("hours", f"use 'always' or 'exchange', not {hours!r}")
        if hours == "exchange" and calendar is None:
            raise InvalidArgument("calendar", "a calendar is required when hours='exchange'")
        self.name = name
        self.seed = seed
        self.rate = rate
        self._contracts = tuple(dict.fromkeys(contracts))
        self._market = SimulatedMarket(self._contracts, seed, start_prices, rate=rate)
        self._clock = clock
        self._interval_s = interval_s
        self._calendar = calendar if hours == "exchange" else None
        self._sleep = sleep
        self._stats = FeedStats(clock, name, self.kind)
        self._carry = 0.0  # fraction of a tick due but not yet emitted
        self._calendar_error: str | None = None

    @property
    def contracts(self) -> tuple[str, ...]:
        return self._market.contracts

    def add_contract(self, contract: Contract) -> None:
        """Simulate `contract` too (the front month rolled). The market is rebuilt over the larger set from a seed
        drawn from its own random stream (deterministic), every book continuing from its current price and a new
        expiry starting at the price of its root's latest expiry (no roll spread)."""
        if contract.id in self.contracts:
            return
        prices = self._market.prices(self._contracts)
        for earlier in reversed(self._contracts):
            if earlier.root == contract.root and earlier.id in prices:
                prices.setdefault(contract.id, prices[earlier.id])
                break
        self._contracts += (contract,)
        known = {c.id for c in self._contracts}
        self._market = SimulatedMarket(
            self._contracts,
            self._market.fork_seed(),
            {key: price for key, price in prices.items() if key in known},
            rate=self.rate,
        )
        log.info("feed.contract_added", feed=self.name, contract=contract.id)

    def status(self) -> FeedStatus:
        snapshot = self._stats.snapshot(self.contracts)
        extra = {
            "seed": str(self.seed),
            "rate": f"{self.rate:g}",
            "regime": "burst" if self._market.in_burst else "calm",
        }
        return dataclasses.replace(snapshot, extra=extra)

    async def run(self, sink: FeedSink) -> None:
        prev = self._clock.now_ns()
        is_open = self._is_open(prev)
        self._report(sink, FeedState.STREAMING, self._detail(is_open))
        log.info("feed.started", feed=self.name, contracts=self.contracts, rate=self.rate, seed=self.seed)
        try:
            while True:
                await self._sleep(self._interval_s)
                now = self._clock.now_ns()
                was_open, is_open = is_open, self._is_open(now)
                if is_open != was_open:
                    self._report(sink, FeedState.STREAMING, self._detail(is_open))
                    self._carry = 0.0
                elif is_open:
                    # Both ends of (prev, now] were open, so every tick in it lies in open hours.
                    self._emit(sink, prev, now)
                prev = now
        except asyncio.CancelledError:
            self._report(sink, FeedState.STOPPED, "cancelled")
            log.info("feed.stopped", feed=self.name, total_ticks=self._stats.total_ticks)
            raise
        except Exception as exc:  # a failing sink is a bug upstream; say so before dying
            self._report(sink, FeedState.STOPPED, f"simulator failed: {exc}")
            log.exception("feed.failed", feed=self.name, error=str(exc))
            raise

    def _emit(self, sink: FeedSink, prev: int, now: int) -> None:
        elapsed = min(now - prev, MAX_CATCH_UP_NS)
        if elapsed <= 0:
            return
        due = self._carry + self._market.tick_rate * elapsed / NS_PER_SECOND
        n = int(due)
        self._carry = due - n
        if n == 0:
            return
        ticks = self._market.next_ticks(n, now - elapsed, now, ts_init=now)
        sink.on_ticks(ticks)
        self._stats.record_message()
        self._stats.record_ticks(n, ticks[-1].ts_event)

    def _is_open(self, ts_ns: int) -> bool:
        if self._calendar is None:
            return True
        try:
            is_open = self._calendar.is_open(ts_ns)
        except VigilError as exc:
            # E.g. past the end of the session table: go quiet and say why rather than die.
            if self._calendar_error is None:
                log.warning("feed.calendar_unavailable", feed=self.name, error=str(exc))
            self._calendar_error = str(exc)
            return False
        self._calendar_error = None
        return is_open

    def _detail(self, is_open: bool) -> str:
        if is_open:
            return f"simulating at {self.rate:g} ticks/s"
        if self._calendar_error is not None:
            return f"exchange hours unknown, not simulating: {self._calendar_error}"
        return "exchange closed; waiting for the open"

    def _report(self, sink: FeedSink, state: FeedState, detail: str) -> None:
        self._stats.set_state(state, detail)
        sink.on_state(state, detail)
