"""Evaluating conditions and groups against the series of one contract.

`a crosses_above b`: a was at or below b on the previous close and is above it now (a equal to b now is not a
cross; equal before and above now is). `crosses_below` mirrors it. A value that does not exist yet (a lookback
beyond the first candle, an indicator still warming up) makes its condition false.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from operator import attrgetter

from core_server.model.market_data import Timeframe
from core_server.strategies.definition import Condition, FieldOperand, Group, IndicatorOperand, Op, Operand
from core_server.strategies.series import Series

SeriesOf = Callable[[Timeframe], Series | None]


def value_of(operand: Operand, series_of: SeriesOf, back: int = 0) -> Decimal | None:
    if isinstance(operand, FieldOperand):
        series = series_of(operand.timeframe)
        return None if series is None else series.field(operand.name, operand.lookback + back)
    if isinstance(operand, IndicatorOperand):
        series = series_of(operand.timeframe)
        return None if series is None else series.indicator(operand.key, operand.lookback + back)
    return operand.value


def holds(condition: Condition, series_of: SeriesOf) -> bool:
    left = value_of(condition.left, series_of)
    right = value_of(condition.right, series_of)
    if left is None or right is None:
        return False
    op = condition.op
    if op is Op.GT:
        return left > right
    if op is Op.GE:
        return left >= right
    if op is Op.LT:
        return left < right
    if op is Op.LE:
        return left <= right
    before_left = value_of(condition.left, series_of, 1)
    before_right = value_of(condition.right, series_of, 1)
    if before_left is None or before_right is None:
        return False
    if op is Op.CROSSES_ABOVE:
        return before_left <= before_right and left > right
    return before_left >= before_right and left < right


def group_holds(group: Group, series_of: SeriesOf) -> bool:
    return compile_group(group, series_of)()


# -- compiled: closures bound to the series once, for evaluation on every close ------------------------------

Getter = Callable[[int], Decimal | None]  # the value `back` closes before the operand's own lookback
Check = Callable[[], bool]
_NONE: Getter = lambda back: None  # noqa: E731


def getter(operand: Operand, series_of: SeriesOf) -> Getter:
    if isinstance(operand, FieldOperand):
        series = series_of(operand.timeframe)
        if series is None:
            return _NONE
        bars, read, lookback = series.bars, attrgetter(operand.name), operand.lookback

        def field(back: int) -> Decimal | None:
            i = lookback + back
            return read(bars[-1 - i]) if i < len(bars) else None

        return field
    if isinstance(operand, IndicatorOperand):
        series = series_of(operand.timeframe)
        if series is None:
            return _NONE
        values, lookback = series.require(operand), operand.lookback

        def indicator(back: int) -> Decimal | None:
            i = lookback + back
            return values[-1 - i] if i < len(values) else None

        return indicator
    value = operand.value
    return lambda back: value


def compile_condition(condition: Condition, series_of: SeriesOf) -> Check:
    left, right, op = getter(condition.left, series_of), getter(condition.right, series_of), condition.op
    compare = _COMPARE.get(op)
    if compare is not None:

        def check() -> bool:
            a, b = left(0), right(0)
            return a is not None and b is not None and compare(a, b)

        return check
    above = op is Op.CROSSES_ABOVE

    def crosses() -> bool:
        a, b = left(0), right(0)
        if a is None or b is None:
            return False
        a1, b1 = left(1), right(1)
        if a1 is None or b1 is None:
            return False
        return (a1 <= b1 and a > b) if above else (a1 >= b1 and a < b)

    return crosses


def compile_group(group: Group, series_of: SeriesOf) -> Check:
    checks = tuple(
        compile_group(i, series_of) if isinstance(i, Group) else compile_condition(i, series_of) for i in group.items
    )
    if group.mode == "all":

        def every() -> bool:
            for c in checks:  # noqa: SIM110 (a loop: no generator per evaluation on the hot path)
                if not c():
                    return False
            return True

        return every

    def some() -> bool:
        for c in checks:  # noqa: SIM110
            if c():
                return True
        return False

    return some


_COMPARE: dict[Op, Callable[[Decimal, Decimal], bool]] = {
    Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b,
    Op.LT: lambda a, b: a < b,
    Op.LE: lambda a, b: a <= b,
}


def operands_of(group: Group) -> list[Operand]:
    found: list[Operand] = []
    for item in group.items:
        if isinstance(item, Group):
            found.extend(operands_of(item))
        else:
            found.extend((item.left, item.right))
    return found
