"""Each indicator against a hand computation on fixed candles (ES prices, textbook definitions)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core_server.model.clock import NS_PER_MINUTE
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, Timeframe
from core_server.strategies.definition import IndicatorOperand
from core_server.strategies.series import Series
from tests.kit.time import et

ES = Contract("ES", 2026, 12)
T = et(2026, 11, 18, 10, 0)
# (open, high, low, close, volume) in points
BARS = [
    (100, 101, 99, 100, 1),
    (100, 102, 100, 101, 3),
    (101, 103, 101, 102, 2),
    (102, 102, 100, 101, 4),
    (101, 106, 101, 103, 1),
    (103, 104, 103, 104, 5),
]


def candle(i: int, o: int, h: int, low: int, c: int, v: int) -> Candle:
    start = T + i * NS_PER_MINUTE
    return Candle(ES.id, Timeframe.M1, start, start + NS_PER_MINUTE, o * 4, h * 4, low * 4, c * 4, v, v, True, True)


def series_with(name: str, period: int = 0, stddev: Decimal = Decimal(2)) -> tuple[Series, list[Decimal | None]]:
    series = Series(ES.spec.tick_size)
    operand = IndicatorOperand(name, Timeframe.M1, period, 0, stddev)
    series.require(operand)
    values = []
    for i, bar in enumerate(BARS):
        series.push(candle(i, *bar))
        values.append(series.indicator(operand.key, 0))
    return series, values


def close_to(value: Decimal | None, exact: Fraction | float) -> bool:
    assert value is not None
    return abs(Fraction(value) - Fraction(exact)) < Fraction(1, 10**20)


def test_sma() -> None:
    _, values = series_with("sma", 3)
    assert values[:2] == [None, None]
    assert values[2] == 101
    assert close_to(values[5], Fraction(308, 3))


def test_ema_is_seeded_with_the_sma() -> None:
    _, values = series_with("ema", 3)  # alpha = 2 / 4
    assert values[:2] == [None, None]
    assert values[2:] == [101, 101, 102, 103]


def test_rsi_wilder() -> None:
    _, values = series_with("rsi", 3)  # changes +1 +1 -1 +2 +1
    assert values[:3] == [None, None, None]
    assert close_to(values[3], Fraction(200, 3))  # gain 2/3, loss 1/3: RS 2
    assert close_to(values[4], Fraction(250, 3))  # gain 10/9, loss 2/9: RS 5
    assert close_to(values[5], 100 - Fraction(100) / (1 + Fraction(29, 4)))  # gain 29/27, loss 4/27


def test_rsi_without_losses_is_100() -> None:
    series = Series(ES.spec.tick_size)
    operand = IndicatorOperand("rsi", Timeframe.M1, 2)
    series.require(operand)
    for i, c in enumerate((100, 101, 102)):
        series.push(candle(i, c, c, c, c, 1))
    assert series.indicator(operand.key, 0) == 100


def test_atr_wilder() -> None:
    _, values = series_with("atr", 3)  # true ranges 2 2 2 2 5 1
    assert values[:2] == [None, None]
    assert values[2:5] == [2, 2, 3]
    assert close_to(values[5], Fraction(7, 3))


def test_bollinger_bands_use_the_population_deviation() -> None:
    _, upper = series_with("bb_upper", 3)
    _, middle = series_with("bb_middle", 3)
    _, lower = series_with("bb_lower", 3, Decimal(1))
    # closes 101 103 104: mean 308/3, variance 14/9, deviation sqrt(14)/3
    deviation = Decimal(14).sqrt() / 3
    assert close_to(middle[5], Fraction(308, 3))
    assert close_to(upper[5], Fraction(Decimal(308) / 3 + 2 * deviation))
    assert close_to(lower[5], Fraction(Decimal(308) / 3 - deviation))


def test_vwap_over_the_trading_day() -> None:
    _, values = series_with("vwap")
    assert values[0] == 100  # typical (101 + 99 + 100) / 3
    assert close_to(values[1], Fraction(403, 4))  # (100 x 1 + 101 x 3) / 4


def test_vwap_restarts_with_the_trading_day() -> None:
    series = Series(ES.spec.tick_size)
    operand = IndicatorOperand("vwap", Timeframe.M1)
    series.require(operand)
    series.push(candle(0, 100, 100, 100, 100, 5))
    later = T + 24 * 60 * NS_PER_MINUTE  # the next trading day
    series.push(Candle(ES.id, Timeframe.M1, later, later + NS_PER_MINUTE, 1600, 1600, 1600, 1600, 1, 1, True, True))
    assert series.indicator(operand.key, 0) == 400  # not (100 x 5 + 400) / 6


def test_volume_average() -> None:
    _, values = series_with("volume_avg", 2)
    assert values == [None, 2, Decimal("2.5"), 3, Decimal("2.5"), 3]


def test_indicators_asked_for_late_are_warmed_on_the_kept_candles() -> None:
    series = Series(ES.spec.tick_size)
    for i, bar in enumerate(BARS):
        series.push(candle(i, *bar))
    operand = IndicatorOperand("ema", Timeframe.M1, 3, lookback=1)
    series.require(operand)
    assert series.indicator(operand.key, 0) == 103
    assert series.indicator(operand.key, 1) == 102


def test_a_candle_not_newer_is_ignored() -> None:
    series = Series(ES.spec.tick_size)
    assert series.push(candle(1, *BARS[0]))
    assert not series.push(candle(1, *BARS[1]))
    assert not series.push(candle(0, *BARS[1]))
    assert series.field("close", 0) == 100
    assert series.field("close", 1) is None
