"""Evaluating conditions and groups against the series of one contract.

`a crosses_above b`: a was at or below b on the previous close and is above it now (a equal to b now is not a
cross; equal before and above now is). `crosses_below` mirrors it. A value that does not exist yet (a lookback
beyond the first candle, an indicator still warming up) makes its condition false.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

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
    results = (group_holds(i, series_of) if isinstance(i, Group) else holds(i, series_of) for i in group.items)
    return all(results) if group.mode == "all" else any(results)


def operands_of(group: Group) -> list[Operand]:
    found: list[Operand] = []
    for item in group.items:
        if isinstance(item, Group):
            found.extend(operands_of(item))
        else:
            found.extend((item.left, item.right))
    return found
