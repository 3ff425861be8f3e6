"""Every operator by hand, crossings on equal values, lookbacks at the start of the data, groups."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.model.clock import NS_PER_MINUTE
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, Timeframe
from core_server.strategies.conditions import group_holds, holds
from core_server.strategies.definition import Condition, FieldOperand, Group, NumberOperand, Op, Operand
from core_server.strategies.series import Series
from tests.kit.time import et

ES = Contract("ES", 2026, 12)
T = et(2026, 11, 18, 10, 0)
CLOSE = FieldOperand("close", Timeframe.M1)
OPEN = FieldOperand("open", Timeframe.M1)


def series_of_closes(*closes: int, opens: tuple[int, ...] = ()) -> Series:
    series = Series(ES.spec.tick_size)
    for i, c in enumerate(closes):
        o = opens[i] if opens else c
        start = T + i * NS_PER_MINUTE
        series.push(Candle(ES.id, Timeframe.M1, start, start + NS_PER_MINUTE, o * 4, max(o, c) * 4,
                           min(o, c) * 4, c * 4, 1, 1, True, True))  # fmt: skip
    return series


def check(series: Series, left: Operand, op: Op, right: Operand) -> bool:
    return holds(Condition(left, op, right, "c"), lambda tf: series if tf is Timeframe.M1 else None)


def n(value: int) -> NumberOperand:
    return NumberOperand(Decimal(value))


@pytest.mark.parametrize(
    ("op", "close", "expected"),
    [
        (Op.GT, 101, True), (Op.GT, 100, False), (Op.GE, 100, True), (Op.GE, 99, False),
        (Op.LT, 99, True), (Op.LT, 100, False), (Op.LE, 100, True), (Op.LE, 101, False),
    ],
)  # fmt: skip
def test_comparisons_against_a_number(op: Op, close: int, expected: bool) -> None:
    assert check(series_of_closes(close), CLOSE, op, n(100)) is expected


def test_crosses_above_on_equal_values() -> None:
    # closes 99, 100, 100, 101 against 100: equal now is not a cross; equal before and above now is.
    s = series_of_closes(99, 100)
    assert not check(s, CLOSE, Op.CROSSES_ABOVE, n(100))
    s = series_of_closes(99, 100, 100)
    assert not check(s, CLOSE, Op.CROSSES_ABOVE, n(100))
    s = series_of_closes(99, 100, 100, 101)
    assert check(s, CLOSE, Op.CROSSES_ABOVE, n(100))
    s = series_of_closes(99, 101)
    assert check(s, CLOSE, Op.CROSSES_ABOVE, n(100))
    s = series_of_closes(101, 102)
    assert not check(s, CLOSE, Op.CROSSES_ABOVE, n(100))


def test_crosses_below_on_equal_values() -> None:
    assert not check(series_of_closes(101, 100), CLOSE, Op.CROSSES_BELOW, n(100))
    assert check(series_of_closes(101, 100, 99), CLOSE, Op.CROSSES_BELOW, n(100))
    assert check(series_of_closes(101, 99), CLOSE, Op.CROSSES_BELOW, n(100))
    assert not check(series_of_closes(99, 98), CLOSE, Op.CROSSES_BELOW, n(100))


def test_crossing_of_two_fields() -> None:
    # close against open: close <= open before, close > open now
    s = series_of_closes(100, 102, opens=(100, 101))
    assert check(s, CLOSE, Op.CROSSES_ABOVE, OPEN)


def test_a_crossing_needs_a_previous_candle() -> None:
    assert not check(series_of_closes(101), CLOSE, Op.CROSSES_ABOVE, n(100))


def test_lookbacks_at_the_start_of_the_data_are_false() -> None:
    s = series_of_closes(100)
    previous = FieldOperand("close", Timeframe.M1, lookback=1)
    assert not check(s, previous, Op.GT, n(0))
    assert not check(s, previous, Op.LT, n(1_000_000))
    s = series_of_closes(100, 105)
    assert check(s, previous, Op.LT, CLOSE)  # 100 < 105


def test_another_timeframe_without_candles_is_false() -> None:
    assert not check(series_of_closes(100), FieldOperand("close", Timeframe.M5), Op.GT, n(0))


def test_groups() -> None:
    s = series_of_closes(100)
    yes = Condition(CLOSE, Op.GT, n(99), "a")
    no = Condition(CLOSE, Op.GT, n(101), "b")

    def series_of(tf: Timeframe) -> Series:
        return s

    assert group_holds(Group("all", (yes, yes), "g"), series_of)
    assert not group_holds(Group("all", (yes, no), "g"), series_of)
    assert group_holds(Group("any", (no, yes), "g"), series_of)
    assert not group_holds(Group("any", (no, no), "g"), series_of)
    assert group_holds(Group("all", (yes, Group("any", (no, yes), "h")), "g"), series_of)
