"""Closed candles of one contract and timeframe, with the indicators the loaded strategies read, kept as values.

A strategy reads a candle field or an indicator `lookback` closes back; the series keeps just enough of both
(the deepest lookback asked for, plus one for crossings). An indicator asked for after candles were seen is
warmed up on the candles kept (up to WARM_CANDLES), so a strategy loaded mid-session, or after a restart on
the candles restored from the store, starts from the same history.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from core_server.model.market_data import Candle
from core_server.strategies.definition import IndicatorOperand
from core_server.strategies.indicators import Bar, Indicator, make_indicator

WARM_CANDLES = 512
VALUES_KEPT = 202  # an indicator's values kept: the deepest lookback a definition may ask for (200), plus crossings
IndicatorKey = tuple[str, int, Decimal]


class _Tracked:
    __slots__ = ("indicator", "values")

    def __init__(self, indicator: Indicator, depth: int) -> None:
        self.indicator = indicator
        self.values: deque[Decimal | None] = deque(maxlen=depth)


class Series:
    def __init__(self, tick_size: Decimal) -> None:
        self.tick_size = tick_size
        self.bars: deque[Bar] = deque(maxlen=WARM_CANDLES)
        self.last_start = -1
        self._tracked: dict[IndicatorKey, _Tracked] = {}

    def require(self, operand: IndicatorOperand) -> deque[Decimal | None]:
        """Track the operand's indicator (warmed up on the candles kept); its values, newest last. The deque is the
        same object for the series' life, so compiled conditions may hold it."""
        tracked = self._tracked.get(operand.key)
        if tracked is None:
            tracked = self._tracked[operand.key] = _Tracked(
                make_indicator(operand.name, operand.period, operand.stddev), VALUES_KEPT
            )
            for bar in self.bars:
                tracked.values.append(tracked.indicator.update(bar))
        return tracked.values

    def push(self, candle: Candle) -> bool:
        """Add a closed candle (False: not newer than the last one, ignored)."""
        if candle.start_ns <= self.last_start:
            return False
        self.last_start = candle.start_ns
        bar = Bar(candle, self.tick_size)
        self.bars.append(bar)
        for tracked in self._tracked.values():
            tracked.values.append(tracked.indicator.update(bar))
        return True

    def field(self, name: str, lookback: int) -> Decimal | None:
        if lookback >= len(self.bars):
            return None
        bar = self.bars[-1 - lookback]
        value: Decimal = getattr(bar, name)
        return value

    def indicator(self, key: IndicatorKey, lookback: int) -> Decimal | None:
        tracked = self._tracked.get(key)
        if tracked is None or lookback >= len(tracked.values):
            return None
        return tracked.values[-1 - lookback]
