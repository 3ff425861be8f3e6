"""Builders of order and bracket specs for scripts: market, limit, stop and bracket."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from clients.sdk.errors import InvalidArgumentError
from clients.sdk.execution import BracketSpec, OrderSide, OrderSpec, OrderType, TimeInForce

PriceLike = Decimal | str | int


def market(
    symbol: str,
    side: OrderSide | str,
    quantity: int,
    *,
    time_in_force: TimeInForce | str = TimeInForce.DAY,
    client_order_id: str = "",
    reduce_only: bool = False,
) -> OrderSpec:
    """A market order: `market("NQ", "buy", 1)`; `reduce_only=True` may only reduce the position."""
    return OrderSpec(
        symbol=symbol,
        side=OrderSide.parse(side),
        quantity=_quantity(quantity),
        order_type=OrderType.MARKET,
        time_in_force=TimeInForce.parse(time_in_force),
        client_order_id=client_order_id,
        reduce_only=_flag(reduce_only),
    )


def limit(
    symbol: str,
    side: OrderSide | str,
    quantity: int,
    price: PriceLike,
    *,
    time_in_force: TimeInForce | str = TimeInForce.DAY,
    client_order_id: str = "",
    reduce_only: bool = False,
) -> OrderSpec:
    """A limit order: `limit("NQ", "buy", 1, "25340.25")`; prices as Decimal, str or int, never float."""
    return OrderSpec(
        symbol=symbol,
        side=OrderSide.parse(side),
        quantity=_quantity(quantity),
        order_type=OrderType.LIMIT,
        limit_price=price_of(price, "limit_price"),
        time_in_force=TimeInForce.parse(time_in_force),
        client_order_id=client_order_id,
        reduce_only=_flag(reduce_only),
    )


def stop(
    symbol: str,
    side: OrderSide | str,
    quantity: int,
    stop_price: PriceLike,
    limit_price: PriceLike | None = None,
    *,
    time_in_force: TimeInForce | str = TimeInForce.DAY,
    client_order_id: str = "",
    reduce_only: bool = False,
) -> OrderSpec:
    """A stop-market order, or a stop-limit when `limit_price` is given: `stop("NQ", "sell", 1, "25300")`."""
    return OrderSpec(
        symbol=symbol,
        side=OrderSide.parse(side),
        quantity=_quantity(quantity),
        order_type=OrderType.STOP if limit_price is None else OrderType.STOP_LIMIT,
        limit_price=None if limit_price is None else price_of(limit_price, "limit_price"),
        stop_price=price_of(stop_price, "stop_price"),
        time_in_force=TimeInForce.parse(time_in_force),
        client_order_id=client_order_id,
        reduce_only=_flag(reduce_only),
    )


def bracket(
    entry: OrderSpec,
    *,
    stop_loss_ticks: int = 0,
    take_profit_ticks: int = 0,
    stop_loss_price: PriceLike | None = None,
    take_profit_price: PriceLike | None = None,
    stop_loss_points: PriceLike | None = None,
    take_profit_points: PriceLike | None = None,
    take_profit_r: PriceLike | None = None,
) -> BracketSpec:
    """A bracket around `entry`: `bracket(market("NQ", "buy", 1), stop_loss_ticks=40, take_profit_r=2)`.

    Give each exit once: as a price, or as a distance from the entry's average fill price (applied when the
    entry fills) in ticks or points, or for the take-profit in R (multiples of the stop-loss's distance).
    """
    for field, ticks in (("stop_loss_ticks", stop_loss_ticks), ("take_profit_ticks", take_profit_ticks)):
        if isinstance(ticks, bool) or not isinstance(ticks, int) or ticks < 0:
            raise InvalidArgumentError(field, f"must be a whole number of ticks >= 0, got {ticks!r}")
    legs = {
        "stop_loss": {"ticks": stop_loss_ticks or None, "price": stop_loss_price, "points": stop_loss_points},
        "take_profit": {
            "ticks": take_profit_ticks or None,
            "price": take_profit_price,
            "points": take_profit_points,
            "r": take_profit_r,
        },
    }
    for leg, forms in legs.items():
        given = [f"{leg}_{form}" for form, value in forms.items() if value is not None]
        if len(given) > 1:
            raise InvalidArgumentError(given[1], f"give the {leg.replace('_', ' ')} once, not as {' and '.join(given)}")
    return BracketSpec(
        entry=entry,
        stop_loss_price=_optional_price(stop_loss_price, "stop_loss_price"),
        take_profit_price=_optional_price(take_profit_price, "take_profit_price"),
        stop_loss_ticks=stop_loss_ticks,
        take_profit_ticks=take_profit_ticks,
        stop_loss_points=_optional_distance(stop_loss_points, "stop_loss_points"),
        take_profit_points=_optional_distance(take_profit_points, "take_profit_points"),
        take_profit_r=_optional_distance(take_profit_r, "take_profit_r"),
    )


def _optional_price(value: PriceLike | None, field: str) -> Decimal | None:
    return None if value is None else price_of(value, field)


def _optional_distance(value: PriceLike | None, field: str) -> Decimal | None:
    if value is None:
        return None
    distance = price_of(value, field)
    if distance <= 0:
        raise InvalidArgumentError(field, f"must be positive, got {value!r}")
    return distance


def price_of(value: PriceLike, field: str) -> Decimal:
    """The exact Decimal for a price given as Decimal, str or int; floats are refused, they are inexact."""
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise InvalidArgumentError(field, f"must be a Decimal, str or int (floats are inexact), got {value!r}")
    try:
        price = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidArgumentError(field, f"not a decimal number: {value!r}") from None
    if not price.is_finite():
        raise InvalidArgumentError(field, f"must be finite, got {value!r}")
    return price


def _flag(value: bool) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError("reduce_only", f"must be True or False, got {value!r}")
    return value


def _quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidArgumentError("quantity", f"must be a positive whole number of contracts, got {quantity!r}")
    return quantity
