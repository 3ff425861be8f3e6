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
) -> OrderSpec:
    """A market order: `market("NQ", "buy", 1)`."""
    return OrderSpec(
        symbol=symbol,
        side=OrderSide.parse(side),
        quantity=_quantity(quantity),
        order_type=OrderType.MARKET,
        time_in_force=TimeInForce.parse(time_in_force),
        client_order_id=client_order_id,
    )


def limit(
    symbol: str,
    side: OrderSide | str,
    quantity: int,
    price: PriceLike,
    *,
    time_in_force: TimeInForce | str = TimeInForce.DAY,
    client_order_id: str = "",
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
    )


def bracket(
    entry: OrderSpec,
    *,
    stop_loss_ticks: int = 0,
    take_profit_ticks: int = 0,
    stop_loss_price: PriceLike | None = None,
    take_profit_price: PriceLike | None = None,
) -> BracketSpec:
    """A bracket around `entry`: `bracket(market("NQ", "buy", 1), stop_loss_ticks=40, take_profit_ticks=80)`.

    Give each exit as a distance in ticks from the entry price or as a price, not both.
    """
    if stop_loss_ticks and stop_loss_price is not None:
        raise InvalidArgumentError("stop_loss_ticks", "give the stop loss in ticks or as a price, not both")
    if take_profit_ticks and take_profit_price is not None:
        raise InvalidArgumentError("take_profit_ticks", "give the take profit in ticks or as a price, not both")
    for field, ticks in (("stop_loss_ticks", stop_loss_ticks), ("take_profit_ticks", take_profit_ticks)):
        if isinstance(ticks, bool) or not isinstance(ticks, int) or ticks < 0:
            raise InvalidArgumentError(field, f"must be a whole number of ticks >= 0, got {ticks!r}")
    return BracketSpec(
        entry=entry,
        stop_loss_price=None if stop_loss_price is None else price_of(stop_loss_price, "stop_loss_price"),
        take_profit_price=None if take_profit_price is None else price_of(take_profit_price, "take_profit_price"),
        stop_loss_ticks=stop_loss_ticks,
        take_profit_ticks=take_profit_ticks,
    )


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


def _quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidArgumentError("quantity", f"must be a positive whole number of contracts, got {quantity!r}")
    return quantity
