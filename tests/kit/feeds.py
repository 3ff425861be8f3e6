"""Test kit: a scripted feed and tick builders with readable prices."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core_server.feeds.stats import FeedStats
from core_server.model.clock import Clock, TestClock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.ports import FeedSink

NQ = Contract("NQ", 2026, 12)
ES = Contract("ES", 2026, 12)


def px(contract: Contract, price: str) -> int:
    return contract.spec.ticks_from_price(Decimal(price))


def trade(contract: Contract, ts: int, price: str, size: int = 1, aggressor: Aggressor = Aggressor.BUY) -> Trade:
    return Trade(contract.id, ts, ts, px(contract, price), size, aggressor)


def quote(contract: Contract, ts: int, bid: str, ask: str, bid_size: int = 5, ask_size: int = 5) -> Quote:
    return Quote(contract.id, ts, ts, px(contract, bid), px(contract, ask), bid_size, ask_size)


class ScriptedFeed:
    """Delivers a fixed list of ticks when run, then waits; for engine and server tests."""

    kind = "scripted"
    is_realtime = True

    def __init__(self, contracts: Sequence[Contract], ticks: Sequence[Tick] = (), clock: Clock | None = None) -> None:
        self.name = "scripted"
        self._contracts = tuple(c.id for c in contracts)
        self._ticks = list(ticks)
        self.stats = FeedStats(clock or TestClock(), self.name, self.kind)
        self.sink: FeedSink | None = None

    @property
    def contracts(self) -> tuple[str, ...]:
        return self._contracts

    async def run(self, sink: FeedSink) -> None:
        self.sink = sink
        sink.on_state(FeedState.STREAMING, "")
        if self._ticks:
            sink.on_ticks(self._ticks)
            self.stats.record_ticks(len(self._ticks))

    def status(self) -> FeedStatus:
        return self.stats.snapshot(self._contracts)
