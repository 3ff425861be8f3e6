"""Command checks that run before anything changes: quantities, tick-grid prices, stop and bracket sides.

Each failure is an InvalidArgument naming the offending field (prefixed for nested commands, e.g.
`brackets[3].stop_loss` or `second.stop_price`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core_server.execution.model import AccountId, OrderRole, OrderSide, OrderType, TimeInForce
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import InstrumentSpec

MAX_QUANTITY = 10_000
MAX_BATCH = 100


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A checked order ready to place: prices in ticks, quantity a whole positive number."""

    account_id: AccountId
    contract_id: str
    spec: InstrumentSpec
    side: OrderSide
    order_type: OrderType
    quantity: int
    time_in_force: TimeInForce
    limit_price: int | None
    stop_price: int | None
    role: OrderRole
    tag: str = ""
    reduce_only: bool = False
    offset_ticks: int | None = None  # a bracket exit as a distance from its entry's average fill
    target_r: Decimal | None = None  # a take-profit at R x the stop-loss's distance


def whole_quantity(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidArgument(field, f"must be a whole number of contracts, not {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise InvalidArgument(field, f"must be a whole number of contracts, not {value}")
        value = int(value)
    if value <= 0:
        raise InvalidArgument(field, f"must be positive, not {value}")
    if value > MAX_QUANTITY:
        raise InvalidArgument(field, f"{value} exceeds the {MAX_QUANTITY}-contract ceiling")
    return value


def tick_price(spec: InstrumentSpec, value: object, field: str) -> int:
    if not isinstance(value, Decimal):
        raise InvalidArgument(field, f"must be an exact Decimal price, not {type(value).__name__}")
    ticks = spec.ticks_from_price(value, field)
    if ticks <= 0:
        raise InvalidArgument(field, f"must be positive, not {value}")
    return ticks


def check_enums(side: object, order_type: object, tif: object, prefix: str) -> None:
    if not isinstance(side, OrderSide):
        raise InvalidArgument(prefix + "side", f"unknown side {side!r}")
    if not isinstance(order_type, OrderType):
        raise InvalidArgument(prefix + "order_type", f"unknown order type {order_type!r}")
    if not isinstance(tif, TimeInForce):
        raise InvalidArgument(prefix + "time_in_force", f"unknown time in force {tif!r}")


def order_prices(
    spec: InstrumentSpec, order_type: OrderType, limit: object, stop: object, prefix: str
) -> tuple[int | None, int | None]:
    """(limit ticks, stop ticks) of an order type: the prices it needs present, the others absent."""
    needs_limit = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    for name, value, needed in (("limit_price", limit, needs_limit), ("stop_price", stop, needs_stop)):
        if needed and value is None:
            raise InvalidArgument(prefix + name, f"required for a {order_type.name} order")
        if not needed and value is not None:
            raise InvalidArgument(prefix + name, f"not allowed on a {order_type.name} order")
    return (
        tick_price(spec, limit, prefix + "limit_price") if needs_limit else None,
        tick_price(spec, stop, prefix + "stop_price") if needs_stop else None,
    )


def check_stop_side(
    spec: InstrumentSpec, side: OrderSide, stop: int, ask: int | None, bid: int | None, field: str
) -> None:
    """A buy stop must be above the ask, a sell stop below the bid (last trade when there is no quote)."""
    if side is OrderSide.BUY and ask is not None and stop <= ask:
        raise InvalidArgument(
            field, f"buy stop {spec.format_ticks(stop)} is at or below the market {spec.format_ticks(ask)}"
        )
    if side is OrderSide.SELL and bid is not None and stop >= bid:
        raise InvalidArgument(
            field, f"sell stop {spec.format_ticks(stop)} is at or above the market {spec.format_ticks(bid)}"
        )


def check_bracket_sides(
    spec: InstrumentSpec,
    side: OrderSide,
    entry: int | None,
    stop_loss: int | None,
    take_profit: int | None,
    prefix: str,
) -> None:
    """Long: stop-loss below and take-profit above the entry; short mirrored. `entry` None: no reference yet;
    an exit None: a distance from the fill, on the right side by construction."""
    below, above = ("below", "above") if side is OrderSide.BUY else ("above", "below")
    kind = "long" if side is OrderSide.BUY else "short"
    sign = side.sign
    if entry is not None and stop_loss is not None and (entry - stop_loss) * sign <= 0:
        raise InvalidArgument(
            prefix + "stop_loss", f"must be {below} the entry {spec.format_ticks(entry)} for a {kind} bracket"
        )
    if entry is not None and take_profit is not None and (take_profit - entry) * sign <= 0:
        raise InvalidArgument(
            prefix + "take_profit", f"must be {above} the entry {spec.format_ticks(entry)} for a {kind} bracket"
        )
    if stop_loss is not None and take_profit is not None and (take_profit - stop_loss) * sign <= 0:
        raise InvalidArgument(prefix + "stop_loss", f"a {kind} bracket's stop-loss must be {below} its take-profit")
