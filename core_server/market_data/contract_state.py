"""What the live market-data shell keeps per contract beside the kernel's market: recent ticks and bus topics."""

from __future__ import annotations

from collections import deque

from core_server.candles.aggregator import CandleAggregator
from core_server.kernel.market import ContractMarket
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import ALL_TIMEFRAMES, Quote, Tick, Timeframe, Trade

RECENT_TICKS = 10_000


class ContractState:
    """Recent ticks and topics of one contract; prices and candles are read from the kernel's ContractMarket."""

    __slots__ = ("candle_topics", "contract", "dirty", "feed_name", "id", "market", "quote_topic", "recent", "spec",
                 "trade_topic")  # fmt: skip

    def __init__(self, market: ContractMarket, *, feed_name: str) -> None:
        self.market = market
        self.contract: Contract = market.contract
        self.id = market.id
        self.spec: InstrumentSpec = market.spec
        self.feed_name = feed_name
        self.recent: deque[Tick] = deque(maxlen=RECENT_TICKS)
        self.quote_topic = f"quotes.{self.id}"
        self.trade_topic = f"trades.{self.id}"
        self.candle_topics: dict[Timeframe, str] = {tf: f"candles.{self.id}.{tf.label}" for tf in ALL_TIMEFRAMES}
        self.dirty = False

    @property
    def last_quote(self) -> Quote | None:
        return self.market.last_quote

    @property
    def last_trade(self) -> Trade | None:
        return self.market.last_trade

    @property
    def aggregator(self) -> CandleAggregator:
        return self.market.aggregator

    @property
    def anomalies(self) -> int:
        return self.market.anomalies

    def day_volume(self) -> int:
        day = self.market.aggregator.forming_for(Timeframe.D1)
        return day.volume if day is not None else 0
