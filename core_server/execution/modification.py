"""Checks and builds a modified order: quantity and prices an open order may change, and the sides they keep."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from core_server.execution.brackets import Bracket
from core_server.execution.commands import ModifyOrder
from core_server.execution.exits import ExitSpec, check_exit_distance
from core_server.execution.model import Order, OrderId, OrderRole, OrderStatus, OrderType
from core_server.execution.validation import check_bracket_sides, check_stop_side, tick_price, whole_quantity
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.instruments import InstrumentSpec

_CHILD_ROLES = (OrderRole.STOP_LOSS, OrderRole.TAKE_PROFIT)
_LIMITED = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_STOPPED = (OrderType.STOP, OrderType.STOP_LIMIT)


def modified_order(
    order: Order,
    cmd: ModifyOrder,
    spec: InstrumentSpec,
    market: tuple[int | None, int | None],
    bracket: Bracket | None,
    orders: Mapping[OrderId, Order],
    entry_reference: Callable[[Order], int | None],
) -> Order:
    """The order as `cmd` would leave it, or InvalidArgument/FailedPrecondition with nothing changed."""
    if cmd.quantity is None and cmd.limit_price is None and cmd.stop_price is None:
        raise InvalidArgument("quantity", "nothing to modify: give a quantity, a limit_price or a stop_price")
    quantity = order.quantity
    if cmd.quantity is not None:
        if order.role in _CHILD_ROLES:
            raise InvalidArgument("quantity", "a bracket child's quantity follows its entry's fills")
        quantity = whole_quantity(cmd.quantity, "quantity")
        if quantity <= order.filled_qty:
            raise InvalidArgument("quantity", f"must exceed the {order.filled_qty} already filled")
    limit = order.limit_price
    if cmd.limit_price is not None:
        if order.order_type not in _LIMITED:
            raise InvalidArgument("limit_price", f"a {order.order_type.name} order has no limit price")
        limit = tick_price(spec, cmd.limit_price, "limit_price")
    stop = order.stop_price
    if cmd.stop_price is not None:
        if order.order_type not in _STOPPED:
            raise InvalidArgument("stop_price", f"a {order.order_type.name} order has no stop price")
        if order.triggered:
            raise FailedPrecondition(f"order {order.order_id} has triggered; its stop price no longer applies")
        stop = tick_price(spec, cmd.stop_price, "stop_price")
        if order.status is not OrderStatus.HELD:
            check_stop_side(spec, order.side, stop, market[0], market[1], "stop_price")
    new = replace(order, quantity=quantity, limit_price=limit, stop_price=stop)
    if cmd.limit_price is not None or cmd.stop_price is not None:
        new = replace(new, offset_ticks=None, target_r=None)  # a price set by hand stays where it is put
    if bracket is not None:
        _check_bracket(new, spec, bracket, orders, entry_reference)
    return new


def _check_bracket(
    new: Order,
    spec: InstrumentSpec,
    bracket: Bracket,
    orders: Mapping[OrderId, Order],
    entry_reference: Callable[[Order], int | None],
) -> None:
    """An exit stays within the distance bound of its entry (its average fill once filled); before the entry
    fills, the exits must stay on the right sides of it."""
    entry = new if new.role is OrderRole.BRACKET_ENTRY else orders[bracket.entry_id]
    if new.role in _CHILD_ROLES:
        field = "stop_price" if new.role is OrderRole.STOP_LOSS else "limit_price"
        average = entry.avg_fill_price_ticks()
        reference = round(average) if average is not None else entry_reference(entry)
        price = new.stop_price if new.role is OrderRole.STOP_LOSS else new.limit_price
        check_exit_distance(spec, ExitSpec(price=price), reference, field)
    if entry.filled_qty or not entry.is_open:
        return
    sl = new if new.role is OrderRole.STOP_LOSS else orders[bracket.stop_loss_id]
    tp = new if new.role is OrderRole.TAKE_PROFIT else orders[bracket.take_profit_id]
    reference = entry_reference(entry)
    if entry.order_type is OrderType.MARKET or reference is None:
        reference = None
    try:
        check_bracket_sides(spec, entry.side, reference, sl.stop_price, tp.limit_price, "")
    except InvalidArgument as exc:
        if new.role is OrderRole.BRACKET_ENTRY:
            field = "limit_price" if new.order_type is OrderType.LIMIT else "stop_price"
        else:
            field = "stop_price" if new.role is OrderRole.STOP_LOSS else "limit_price"
        raise InvalidArgument(field, exc.reason) from None
