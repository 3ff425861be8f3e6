"""The kernel's market stage: per contract, the anomaly filter, candles of all six timeframes and the latest prices.

It is also the MarketView and CandleHistory that the signal validator and strategies read: the latest good quote
and trade, the forming candles, and a window of closed candles filled as they close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core_server.candles.aggregator import CandleAggregator
from core_server.candles.anomaly import AnomalyFilter, threshold_ticks_for
from core_server.candles.history import CandleWindow
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import ALL_TIMEFRAMES, Candle, Quote, Tick, Timeframe, Trade

QUOTE_PRICES = ("mid", "bid", "ask")


def quote_price(quote: Quote, mode: str) -> int:
    """The price a quote-only feed builds candles from; mid is floored to the tick grid."""
    if mode == "bid":
        return quote.bid
    if mode == "ask":
        return quote.ask
    return (quote.bid + quote.ask) // 2


class ContractMarket:
    """One contract's market as the kernel keeps it."""

    __slots__ = (
        "aggregator",
        "anomalies",
        "anomaly_filter",
        "close_by_time",
        "contract",
        "id",
        "last_quote",
        "last_trade",
        "opened",
        "quote_only",
        "spec",
    )

    def __init__(self, contract: Contract, *, complete_from_ns: int, quote_only: bool) -> None:
        self.contract = contract
        self.id = contract.id
        self.spec: InstrumentSpec = contract.spec
        self.quote_only = quote_only
        self.aggregator = CandleAggregator(contract.id, ALL_TIMEFRAMES, complete_from_ns=complete_from_ns)
        self.anomaly_filter: AnomalyFilter[Tick] = AnomalyFilter(threshold_ticks_for(contract.spec))
        self.anomalies = 0
        self.last_quote: Quote | None = None
        self.last_trade: Trade | None = None
        self.close_by_time = True  # off while a realtime feed reconnects: a backfill may still fill the bucket
        self.opened: dict[Timeframe, int] = {}  # start of the newest forming bucket announced per timeframe


class MarketStage:
    """Every contract's market; implements signals.ports.MarketView and CandleHistory."""

    def __init__(self, *, quote_price_mode: str = "mid", window: CandleWindow | None = None) -> None:
        if quote_price_mode not in QUOTE_PRICES:
            raise ValueError(f"quote price mode {quote_price_mode!r} is not one of {QUOTE_PRICES}")
        self.quote_price_mode = quote_price_mode
        self.window = window or CandleWindow()
        self.contracts: dict[str, ContractMarket] = {}

    def add_contract(self, contract: Contract, *, complete_from_ns: int, quote_only: bool = False) -> ContractMarket:
        market = self.contracts.get(contract.id)
        if market is None:
            market = self.contracts[contract.id] = ContractMarket(
                contract, complete_from_ns=complete_from_ns, quote_only=quote_only
            )
        return market

    def get(self, contract_id: str) -> ContractMarket | None:
        return self.contracts.get(contract_id)

    def seed_forming(self, candles: Iterable[Candle]) -> None:
        """Continue forming candles stored before a restart (they stay incomplete: ticks were missed)."""
        for candle in candles:
            market = self.contracts.get(candle.contract_id)
            if market is not None and not candle.closed:
                market.aggregator.seed(candle)

    def forming_candles(self) -> list[Candle]:
        return [c for m in self.contracts.values() for c in m.aggregator.forming()]

    # -- MarketView ---------------------------------------------------------------------------------------

    def last_trade(self, contract_id: str) -> Trade | None:
        market = self.contracts.get(contract_id)
        return None if market is None else market.last_trade

    def last_quote(self, contract_id: str) -> Quote | None:
        market = self.contracts.get(contract_id)
        return None if market is None else market.last_quote

    # -- CandleHistory ------------------------------------------------------------------------------------

    def closed_candles(
        self, contract_id: str, timeframe: Timeframe, start_from_ns: int, start_to_ns: int
    ) -> Sequence[Candle]:
        return self.window.closed_candles(contract_id, timeframe, start_from_ns, start_to_ns)

    def closed_before(self, contract_id: str, timeframe: Timeframe, start_ns: int) -> Candle | None:
        return self.window.closed_before(contract_id, timeframe, start_ns)

    def forming(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        market = self.contracts.get(contract_id)
        return None if market is None else market.aggregator.forming_for(timeframe)

    def recent(self, contract_id: str, timeframe: Timeframe, count: int) -> Sequence[Candle]:
        """The newest `count` closed candles of a series, oldest first."""
        return self.window.last(contract_id, timeframe, count)
