"""What the signal validator reads the market through: the latest prices and the candle history.

Both are called synchronously from inside the validator, so the shell serves them from memory (the
market-data engine's latest quote/trade and a window of recent closed candles warmed from the store).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core_server.model.market_data import Candle, Quote, Timeframe, Trade


class MarketView(Protocol):
    """The latest market of each contract (after the anomaly filter)."""

    def last_trade(self, contract_id: str) -> Trade | None: ...

    def last_quote(self, contract_id: str) -> Quote | None: ...


class CandleHistory(Protocol):
    """Candles of one contract and timeframe. Missing buckets (no trades) simply have no candle."""

    def closed_candles(
        self, contract_id: str, timeframe: Timeframe, start_from_ns: int, start_to_ns: int
    ) -> Sequence[Candle]:
        """Closed candles whose start lies in [start_from_ns, start_to_ns), oldest first."""
        ...

    def closed_before(self, contract_id: str, timeframe: Timeframe, start_ns: int) -> Candle | None:
        """The latest closed candle starting before `start_ns` (across halts and weekends), or None."""
        ...

    def forming(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        """The candle forming now, if it has had a price; its open is a known entry price."""
        ...
