"""Everything the market-data engine keeps in memory for one contract."""

from __future__ import annotations

from collections import deque

from core_server.candles.aggregator import CandleAggregator
from core_server.candles.anomaly import AnomalyFilter, threshold_ticks_for
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import ALL_TIMEFRAMES, Quote, Tick, Timeframe, Trade

RECENT_TICKS = 10_000


class ContractState:
    """Latest quote and trade, recent ticks, candles and the anomaly filter of one contract."""

    __slots__ = (
        "aggregator",
        "anomalies",
        "anomaly_filter",
        "candle_topics",
        "contract",
        "dirty",
        "feed_name",
        "id",
        "last_quote",
        "last_trade",
        "quote_only",
        "quote_topic",
        "recent",
        "spec",
        "trade_topic",
    )

    def __init__(self, contract: Contract, *, complete_from_ns: int, feed_name: str, quote_only: bool) -> None:
        self.contract = contract
        self.id = contract.id
        self.spec: InstrumentSpec = contract.spec
        self.feed_name = feed_name
        self.quote_only = quote_only
        self.aggregator = CandleAggregator(contract.id, ALL_TIMEFRAMES, complete_from_ns=complete_from_ns)
        self.anomaly_filter: AnomalyFilter[Tick] = AnomalyFilter(threshold_ticks_for(contract.spec))
        self.anomalies = 0
        self.last_quote: Quote | None = None
        self.last_trade: Trade | None = None
        self.recent: deque[Tick] = deque(maxlen=RECENT_TICKS)
        self.quote_topic = f"quotes.{contract.id}"
        self.trade_topic = f"trades.{contract.id}"
        self.candle_topics: dict[Timeframe, str] = {tf: f"candles.{contract.id}.{tf.label}" for tf in ALL_TIMEFRAMES}
        self.dirty = False

    def day_volume(self) -> int:
        day = self.aggregator.forming_for(Timeframe.D1)
        return day.volume if day is not None else 0
