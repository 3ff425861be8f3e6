"""Exit rules: what a reduce-only order may do, and where a bracket's exits go (prices or distances from the fill).

Reduce-only orders are a bracket's stop-loss and take-profit, CLOSE orders (close position, flatten, and the
exit of a bracket whose stop was already hit), and any order or OCO leg submitted with `reduce_only`:
1. Each may only reduce the position of its account and contract: a sell reduces a long, a buy a short. One
   submitted with nothing to reduce is refused (FailedPrecondition naming the position); one larger than
   the position is cut to it when accepted, and when modified.
2. Its open quantity never exceeds |net position|. After every fill in the contract the exchange cuts each
   open reduce-only order of the account to the position (OrderModified, cause REDUCE_ONLY) and cancels
   (reason POSITION_FLAT) every one whose position is flat or on its own side. A fill is also capped when it
   happens, so no reduce-only fill ever opens or flips a position.
3. Bracket exits wait (held) until their entry fills, then work for what the entry filled minus what the
   exits filled, capped by the position. While the entry still works, an exit with nothing to reduce (the
   entry's fills so far only closed an opposite position) stays held; once the entry is done such an exit
   is cancelled (POSITION_FLAT). A bracket entry that merely closed an opposite position therefore leaves
   no exit working. Working exits cancelled because another order took the position flat also cancel their
   entry's unfilled remainder (reason BRACKET): the trade is over and must not reopen unprotected.
4. Pre-trade risk checks let every reduce-only order through as risk-reducing.

Where a bracket's exits go, each leg independently:
- an absolute price: kept as given; at submission it must lie on the right side of the entry reference (the
  limit or stop price, or for a market entry the ask of a buy and the bid of a sell, when known);
- ticks or points: a distance from the entry's average fill price;
- R (take-profit only): R times the distance from the average fill price to the stop-loss.
Distances are applied when the entry fills: the first fill anchors them, each later partial fill re-anchors
them on the new average (OrderModified, cause ANCHORED). An average between ticks rounds each exit away from
the entry (long: stop down, target up), so no exit ends closer than asked. A leg whose price is modified by
hand becomes absolute and is never re-anchored; an R target uses the stop-loss as it stands at anchoring.
At each anchoring:
- A stop-loss already hit (long: at or above the average fill, or the bid, or without a quote the last
  trade, already at or below it; short mirrored) means a trade whose stop is already hit is exited: the
  stop-loss is cancelled with reason STOP_THROUGH (the event names the refused leg), the take-profit and the
  entry's remainder with reason BRACKET, and a CLOSE market order for the bracket's position arrives at once.
- A take-profit already through (long: at or below the fill) works as a marketable limit: it fills at once
  against the quote at the better of quote and limit.
Bounds: no exit may lie further than MAX_EXIT_POINTS (by root; micros as their minis, about 10 % of the
price level) from the entry reference (absolute prices) or from the fill (distances), and an R target is at
most MAX_TARGET_R; otherwise InvalidArgument names the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

from core_server.execution.commands import ExitLevel, ExitOffset, OffsetUnit
from core_server.execution.model import OrderSide, Position
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import InstrumentSpec

MAX_EXIT_POINTS: dict[str, Decimal] = {
    "ES": Decimal(600),
    "NQ": Decimal(2500),
    "YM": Decimal(5000),
    "RTY": Decimal(250),
}
MAX_TARGET_R = Decimal(100)


def reducible(side: OrderSide, position: Position) -> int:
    """How many contracts an order of `side` can reduce the position by (0: it would open or add)."""
    net = position.net_qty
    return net if side is OrderSide.SELL and net > 0 else -net if side is OrderSide.BUY and net < 0 else 0


def describe(position: Position) -> str:
    net = position.net_qty
    return "flat" if net == 0 else f"long {net}" if net > 0 else f"short {-net}"


def _points(spec: InstrumentSpec, ticks: int | Decimal) -> str:
    return format((spec.tick_size * ticks).normalize(), "f")


def max_exit_ticks(spec: InstrumentSpec) -> int:
    points = MAX_EXIT_POINTS.get(spec.micro_of or spec.root, Decimal(0))
    return int(points / spec.tick_size)


@dataclass(frozen=True, slots=True)
class ExitSpec:
    """One bracket leg, checked: an absolute price in ticks, or a distance (ticks, or R for a take-profit)."""

    price: int | None = None
    ticks: int | None = None
    r: Decimal | None = None


def exit_spec(spec: InstrumentSpec, level: ExitLevel, field: str, *, target: bool) -> ExitSpec:
    """A checked leg; absolute prices are checked against the entry later (`check_exit_distance`)."""
    bound = max_exit_ticks(spec)
    if isinstance(level, Decimal):
        if not level.is_finite():
            raise InvalidArgument(field, f"not a finite price: {level}")
        ticks = spec.ticks_from_price(level, field)
        if ticks <= 0:
            raise InvalidArgument(field, f"must be positive, not {level}")
        return ExitSpec(price=ticks)
    if not isinstance(level, ExitOffset) or not isinstance(level.amount, Decimal) or not level.amount.is_finite():
        raise InvalidArgument(field, "an exact price, or a distance in ticks, points or R, is required")
    amount, unit = level.amount, level.unit
    if amount <= 0:
        raise InvalidArgument(field, f"a distance must be positive, not {amount}")
    if unit is OffsetUnit.R:
        if not target:
            raise InvalidArgument(field, "R measures from the stop-loss: give it as a price, ticks or points")
        if amount > MAX_TARGET_R:
            raise InvalidArgument(field, f"{amount}R is beyond the {MAX_TARGET_R}R ceiling")
        return ExitSpec(r=amount)
    if unit is OffsetUnit.TICKS:
        if amount != amount.to_integral_value():
            raise InvalidArgument(field, f"a whole number of ticks is required, not {amount}")
        ticks = int(amount)
    elif unit is OffsetUnit.POINTS:
        ticks = spec.ticks_from_price(amount, field)
    else:
        raise InvalidArgument(field, f"unknown distance unit {unit!r}")
    if ticks > bound:
        bound_text = f"the {_points(spec, bound)}-point bound for {spec.root} exits"
        raise InvalidArgument(field, f"{_points(spec, ticks)} points is beyond {bound_text}")
    return ExitSpec(ticks=ticks)


def check_exit_distance(spec: InstrumentSpec, leg: ExitSpec, reference: int | None, field: str) -> None:
    """An absolute exit no further from the entry reference than the bound (unchecked without a reference)."""
    if leg.price is None or reference is None:
        return
    bound = max_exit_ticks(spec)
    if abs(leg.price - reference) > bound:
        raise InvalidArgument(
            field,
            f"{spec.format_ticks(leg.price)} is more than {_points(spec, bound)} points from the entry "
            f"{spec.format_ticks(reference)}",
        )


def check_target_distance(
    spec: InstrumentSpec, stop: ExitSpec, target: ExitSpec, reference: int | None, field: str
) -> None:
    """An R target whose distance at the entry reference would already be beyond the bound is refused."""
    if target.r is None:
        return
    risk = stop.ticks if stop.ticks is not None else None
    if risk is None and stop.price is not None and reference is not None:
        risk = abs(reference - stop.price)
    bound = max_exit_ticks(spec)
    if risk is not None and target.r * risk > bound:
        raise InvalidArgument(
            field, f"{target.r}R of a {_points(spec, risk)}-point risk is beyond the {_points(spec, bound)}-point bound"
        )


def _away(value: Fraction, direction: int) -> int:
    """Round a price in ticks away from the entry: up when the exit is above it (+1), down when below (-1)."""
    return ceil(value) if direction > 0 else floor(value)


def anchored_stop(side: OrderSide, average: Fraction, offset_ticks: int) -> int:
    """A stop-loss `offset_ticks` from the entry's average fill (below a long, above a short)."""
    direction = -side.sign
    return _away(average + direction * offset_ticks, direction)


def anchored_target(
    side: OrderSide, average: Fraction, offset_ticks: int | None, target_r: Decimal | None, stop: int | None
) -> int | None:
    """A take-profit `offset_ticks` from the average fill, or `target_r` times its distance to `stop`."""
    direction = side.sign
    if offset_ticks is not None:
        return _away(average + direction * offset_ticks, direction)
    if target_r is None or stop is None:
        return None
    risk = (average - stop) * direction
    if risk <= 0:
        return None  # the stop is already through: the trade is exited, the target never works
    return _away(average + direction * Fraction(target_r) * risk, direction)


def stop_is_hit(side: OrderSide, average: Fraction, stop: int, market: int | None) -> bool:
    """Whether a bracket's stop is already hit: at or through the average fill, or through the exit price now.

    `side` is the entry's side; `market` the price the position would exit on (bid for a long, ask for a
    short; the last trade without a quote), None when unknown."""
    if side is OrderSide.BUY:
        return stop >= average or (market is not None and market <= stop)
    return stop <= average or (market is not None and market >= stop)
