"""MarketMemory: the validator's MarketView and CandleHistory, answered from memory.

Latest prices and the forming candle come straight from the market-data engine's contract state; closed
candles from a window per (contract, timeframe) that the signal engine fills from the bus and warms from the
store. The bus is read asynchronously, so the window may lag the aggregator by a few candles; `forming` then
answers None rather than a candle that is not the one right after the newest closed candle seen here (the
entry is taken from the next closed candle instead).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from core_server.market_data.engine import MarketDataEngine
from core_server.model.market_data import Candle, Quote, Timeframe, Trade

Series = tuple[str, Timeframe]

WINDOW_CANDLES = 512  # per series; the history a late or restored signal can catch up on


class MarketMemory:
    """Implements signals.ports.MarketView and CandleHistory over the engine's state and a candle window."""

    def __init__(self, market: MarketDataEngine, window: int = WINDOW_CANDLES) -> None:
        if window < 1:
            raise ValueError("window must be positive")
        self._market = market
        self._window = window
        self._starts: dict[Series, list[int]] = {}  # sorted start_ns, parallel to _candles
        self._candles: dict[Series, list[Candle]] = {}
        self._opened: dict[Series, int] = {}  # start of the newest forming candle seen per series

    # -- filling ------------------------------------------------------------------------------------------

    def add_closed(self, candle: Candle) -> None:
        """Keep a closed candle; a candle with the same start replaces the earlier copy (e.g. a gap marking)."""
        series = (candle.contract_id, candle.timeframe)
        starts = self._starts.setdefault(series, [])
        candles = self._candles.setdefault(series, [])
        i = bisect.bisect_left(starts, candle.start_ns)
        if i < len(starts) and starts[i] == candle.start_ns:
            candles[i] = candle
            return
        starts.insert(i, candle.start_ns)
        candles.insert(i, candle)
        if len(starts) > self._window:
            del starts[0], candles[0]

    def seed(self, candles: Iterable[Candle]) -> None:
        """Warm the window with stored candles (closed ones only; any order)."""
        for candle in candles:
            if candle.closed:
                self.add_closed(candle)

    def first_open(self, candle: Candle) -> bool:
        """True for the first forming update of a bucket newer than any seen before in its series."""
        series = (candle.contract_id, candle.timeframe)
        if candle.start_ns <= self._opened.get(series, -1):
            return False
        self._opened[series] = candle.start_ns
        newest = self.newest_closed(*series)
        return newest is None or candle.start_ns > newest.start_ns

    def newest_closed(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        candles = self._candles.get((contract_id, timeframe))
        return candles[-1] if candles else None

    # -- MarketView ---------------------------------------------------------------------------------------

    def last_trade(self, contract_id: str) -> Trade | None:
        state = self._market.state(contract_id)
        return None if state is None else state.last_trade

    def last_quote(self, contract_id: str) -> Quote | None:
        state = self._market.state(contract_id)
        return None if state is None else state.last_quote

    # -- CandleHistory ------------------------------------------------------------------------------------

    def closed_candles(
        self, contract_id: str, timeframe: Timeframe, start_from_ns: int, start_to_ns: int
    ) -> Sequence[Candle]:
        series = (contract_id, timeframe)
        starts = self._starts.get(series)
        if not starts:
            return []
        lo = bisect.bisect_left(starts, start_from_ns)
        hi = bisect.bisect_left(starts, start_to_ns)
        return self._candles[series][lo:hi]

    def closed_before(self, contract_id: str, timeframe: Timeframe, start_ns: int) -> Candle | None:
        series = (contract_id, timeframe)
        starts = self._starts.get(series)
        if not starts:
            return None
        i = bisect.bisect_left(starts, start_ns)
        return self._candles[series][i - 1] if i > 0 else None

    def forming(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        state = self._market.state(contract_id)
        if state is None:
            return None
        aggregator = state.aggregator
        last_closed = aggregator.last_closed(timeframe)
        newest = self.newest_closed(contract_id, timeframe)
        if last_closed is not None and (newest is None or last_closed.start_ns > newest.start_ns):
            return None  # the bus has closes this window has not seen yet: the forming candle is further on
        return aggregator.forming_for(timeframe)
