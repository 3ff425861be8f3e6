"""CandleHistory: a bounded window of recent closed candles per (contract, timeframe), answered in order.

The kernel fills it synchronously as candles close (and warms it from the store at start), so the signal
validator and strategies read exactly the candles the aggregator closed, with no lag behind it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from core_server.model.market_data import Candle, Timeframe

Series = tuple[str, Timeframe]

WINDOW_CANDLES = 512  # per series: the history a late or restored signal, or an indicator, can look back on


class CandleWindow:
    """Closed candles of every series, oldest first, at most `window` per series."""

    def __init__(self, window: int = WINDOW_CANDLES) -> None:
        if window < 1:
            raise ValueError("window must be positive")
        self._window = window
        self._starts: dict[Series, list[int]] = {}  # sorted start_ns, parallel to _candles
        self._candles: dict[Series, list[Candle]] = {}

    def add(self, candle: Candle) -> None:
        """Keep a closed candle; a candle with the same start replaces the earlier copy (e.g. a gap marking)."""
        series = (candle.contract_id, candle.timeframe)
        starts = self._starts.get(series)
        if starts is None:
            starts = self._starts[series] = []
            self._candles[series] = []
        candles = self._candles[series]
        if not starts or candle.start_ns > starts[-1]:  # the usual case: the newest candle
            starts.append(candle.start_ns)
            candles.append(candle)
        else:
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
                self.add(candle)

    def newest(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        candles = self._candles.get((contract_id, timeframe))
        return candles[-1] if candles else None

    def last(self, contract_id: str, timeframe: Timeframe, count: int) -> Sequence[Candle]:
        """The newest `count` closed candles, oldest first (fewer when fewer are known)."""
        candles = self._candles.get((contract_id, timeframe))
        if not candles or count <= 0:
            return ()
        return candles[-count:]

    def closed_candles(
        self, contract_id: str, timeframe: Timeframe, start_from_ns: int, start_to_ns: int
    ) -> Sequence[Candle]:
        """Closed candles whose start lies in [start_from_ns, start_to_ns), oldest first."""
        series = (contract_id, timeframe)
        starts = self._starts.get(series)
        if not starts:
            return []
        lo = bisect.bisect_left(starts, start_from_ns)
        hi = bisect.bisect_left(starts, start_to_ns)
        return self._candles[series][lo:hi]

    def closed_before(self, contract_id: str, timeframe: Timeframe, start_ns: int) -> Candle | None:
        """The latest closed candle starting before `start_ns`, or None."""
        series = (contract_id, timeframe)
        starts = self._starts.get(series)
        if not starts:
            return None
        i = bisect.bisect_left(starts, start_ns)
        return self._candles[series][i - 1] if i > 0 else None
