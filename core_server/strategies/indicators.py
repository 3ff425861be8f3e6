"""Indicators over closed candles, updated once per close (O(1) each), exact in Decimal (default context).

Textbook definitions (each has a test against a hand computation on fixed data):
- SMA(n): mean of the last n closes. volume_avg(n): mean of the last n volumes.
- EMA(n): seeded with the SMA of the first n closes, then EMA = EMA' + (close - EMA') x 2 / (n + 1).
- RSI(n), Wilder: first average gain/loss = mean of the first n close-to-close changes, then
  avg = (avg' x (n - 1) + current) / n; RSI = 100 - 100 / (1 + gain / loss), 100 when there is no loss.
- ATR(n), Wilder: true range = max(high - low, |high - close'|, |low - close'|) (high - low for the first
  candle); first ATR = mean of the first n true ranges, then ATR = (ATR' x (n - 1) + TR) / n.
- Bollinger(n, k): middle = SMA(n), upper/lower = middle +/- k x the population standard deviation of the
  last n closes.
- VWAP: sum(typical price x volume) / sum(volume) over the CME trading day so far, typical = (h + l + c) / 3;
  it restarts with each trading day (17:00 CT); undefined until the day has volume.
An indicator is None until it has seen enough candles (then every condition using it is false).
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from core_server.calendar.trading_day import trading_day_of
from core_server.model.market_data import Candle

ZERO = Decimal(0)
HUNDRED = Decimal(100)
THREE = Decimal(3)


class Bar:
    """A closed candle's fields in price units."""

    __slots__ = ("candle", "close", "high", "low", "open", "volume")

    def __init__(self, candle: Candle, tick_size: Decimal) -> None:
        self.candle = candle
        self.open = candle.open * tick_size
        self.high = candle.high * tick_size
        self.low = candle.low * tick_size
        self.close = candle.close * tick_size
        self.volume = Decimal(candle.volume)


class Indicator:
    def update(self, bar: Bar) -> Decimal | None:
        raise NotImplementedError


class Mean(Indicator):
    """SMA of closes (or of volumes)."""

    def __init__(self, period: int, volume: bool = False) -> None:
        self.period = period
        self.volume = volume
        self.values: deque[Decimal] = deque(maxlen=period)
        self.total = ZERO

    def update(self, bar: Bar) -> Decimal | None:
        value = bar.volume if self.volume else bar.close
        if len(self.values) == self.period:
            self.total -= self.values[0]
        self.values.append(value)
        self.total += value
        return self.total / self.period if len(self.values) == self.period else None


class Ema(Indicator):
    def __init__(self, period: int) -> None:
        self.period = period
        self.alpha = Decimal(2) / (period + 1)
        self.seed: list[Decimal] = []
        self.value: Decimal | None = None

    def update(self, bar: Bar) -> Decimal | None:
        if self.value is None:
            self.seed.append(bar.close)
            if len(self.seed) == self.period:
                self.value = sum(self.seed, ZERO) / self.period
            return self.value
        self.value = self.value + (bar.close - self.value) * self.alpha
        return self.value


class Rsi(Indicator):
    def __init__(self, period: int) -> None:
        self.period = period
        self.previous: Decimal | None = None
        self.gains: list[Decimal] = []
        self.losses: list[Decimal] = []
        self.gain: Decimal | None = None
        self.loss = ZERO

    def update(self, bar: Bar) -> Decimal | None:
        previous, self.previous = self.previous, bar.close
        if previous is None:
            return None
        change = bar.close - previous
        gain, loss = max(change, ZERO), max(-change, ZERO)
        n = self.period
        if self.gain is None:
            self.gains.append(gain)
            self.losses.append(loss)
            if len(self.gains) < n:
                return None
            self.gain, self.loss = sum(self.gains, ZERO) / n, sum(self.losses, ZERO) / n
        else:
            self.gain = (self.gain * (n - 1) + gain) / n
            self.loss = (self.loss * (n - 1) + loss) / n
        if self.loss == 0:
            return HUNDRED
        return HUNDRED - HUNDRED / (1 + self.gain / self.loss)


class Atr(Indicator):
    def __init__(self, period: int) -> None:
        self.period = period
        self.previous_close: Decimal | None = None
        self.ranges: list[Decimal] = []
        self.value: Decimal | None = None

    def update(self, bar: Bar) -> Decimal | None:
        previous, self.previous_close = self.previous_close, bar.close
        true_range = bar.high - bar.low
        if previous is not None:
            true_range = max(true_range, abs(bar.high - previous), abs(bar.low - previous))
        n = self.period
        if self.value is None:
            self.ranges.append(true_range)
            if len(self.ranges) == n:
                self.value = sum(self.ranges, ZERO) / n
            return self.value
        self.value = (self.value * (n - 1) + true_range) / n
        return self.value


class Bollinger(Indicator):
    """Running sums of the closes and their squares (exact: prices have few places), so an update is O(1):
    variance = (sum of squares - sum^2 / n) / n."""

    def __init__(self, period: int, stddev: Decimal, band: int) -> None:
        self.period = period
        self.k = stddev
        self.band = band  # +1 upper, 0 middle, -1 lower
        self.values: deque[Decimal] = deque()
        self.total = ZERO
        self.squares = ZERO

    def update(self, bar: Bar) -> Decimal | None:
        close = bar.close
        values = self.values
        values.append(close)
        self.total += close
        self.squares += close * close
        n = self.period
        if len(values) > n:
            old = values.popleft()
            self.total -= old
            self.squares -= old * old
        if len(values) < n:
            return None
        mean = self.total / n
        if self.band == 0:
            return mean
        variance = (self.squares - self.total * self.total / n) / n
        return mean + self.band * self.k * max(variance, ZERO).sqrt()


class Vwap(Indicator):
    def __init__(self) -> None:
        self.day: object = None
        self.amount = ZERO
        self.volume = ZERO

    def update(self, bar: Bar) -> Decimal | None:
        day = trading_day_of(bar.candle.start_ns)
        if day != self.day:
            self.day, self.amount, self.volume = day, ZERO, ZERO
        self.amount += (bar.high + bar.low + bar.close) / THREE * bar.volume
        self.volume += bar.volume
        return self.amount / self.volume if self.volume else None


def make_indicator(name: str, period: int, stddev: Decimal) -> Indicator:
    if name == "sma":
        return Mean(period)
    if name == "volume_avg":
        return Mean(period, volume=True)
    if name == "ema":
        return Ema(period)
    if name == "rsi":
        return Rsi(period)
    if name == "atr":
        return Atr(period)
    if name == "bb_upper":
        return Bollinger(period, stddev, 1)
    if name == "bb_middle":
        return Bollinger(period, stddev, 0)
    if name == "bb_lower":
        return Bollinger(period, stddev, -1)
    if name == "vwap":
        return Vwap()
    raise ValueError(f"unknown indicator {name!r}")
