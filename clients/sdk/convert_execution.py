"""Conversions between the ExecutionService messages and the SDK's execution values."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from clients.sdk import enums
from clients.sdk.convert import (
    decimal_from_wire,
    decimal_to_wire,
    optional_decimal_from_wire,
    optional_decimal_to_wire,
)
from clients.sdk.errors import InvalidArgumentError
from clients.sdk.execution import (
    Account,
    BracketBatchResult,
    BracketResult,
    BracketSpec,
    CancelAllResult,
    Fill,
    OcoResult,
    Order,
    OrderEvent,
    OrderResult,
    OrderSide,
    OrderSpec,
    OrderStatus,
    OrderType,
    Position,
    TimeInForce,
)
from vigil.v1 import execution_pb2 as pb

_SIDE_TO_PB = enums.ORDER_SIDE.to_proto
_SIDE_FROM_PB = enums.ORDER_SIDE.from_proto
_TYPE_TO_PB = enums.ORDER_TYPE.to_proto
_TYPE_FROM_PB = enums.ORDER_TYPE.from_proto
_TIF_TO_PB = enums.TIME_IN_FORCE.to_proto
_TIF_FROM_PB = enums.TIME_IN_FORCE.from_proto

_UNKNOWN_TIF = TimeInForce.UNKNOWN

_STATUS_FROM_PB = enums.ORDER_STATUS.from_proto


def side_to_pb(side: OrderSide | str, field: str = "side") -> pb.OrderSide.ValueType:
    return _SIDE_TO_PB[OrderSide.parse(side, field)]


def order_spec_to_pb(spec: OrderSpec, field: str = "order") -> pb.OrderSpec:
    if isinstance(spec.quantity, bool) or not isinstance(spec.quantity, int):
        raise InvalidArgumentError(f"{field}.quantity", f"must be a whole number of contracts, got {spec.quantity!r}")
    return pb.OrderSpec(
        symbol=spec.symbol,
        side=side_to_pb(spec.side, f"{field}.side"),
        type=_TYPE_TO_PB[OrderType.parse(spec.order_type, f"{field}.type")],
        quantity=spec.quantity,
        limit_price=optional_decimal_to_wire(spec.limit_price, f"{field}.limit_price"),
        stop_price=optional_decimal_to_wire(spec.stop_price, f"{field}.stop_price"),
        time_in_force=_TIF_TO_PB[TimeInForce.parse(spec.time_in_force, f"{field}.time_in_force")],
        client_order_id=spec.client_order_id,
        reduce_only=spec.reduce_only,
    )


def order_spec_from_pb(msg: pb.OrderSpec) -> OrderSpec:
    return OrderSpec(
        symbol=msg.symbol,
        side=_SIDE_FROM_PB.get(msg.side, OrderSide.UNKNOWN),
        quantity=msg.quantity,
        order_type=_TYPE_FROM_PB.get(msg.type, OrderType.UNKNOWN),
        limit_price=optional_decimal_from_wire(msg.limit_price),
        stop_price=optional_decimal_from_wire(msg.stop_price),
        # Unset means the server's default, DAY.
        time_in_force=TimeInForce.DAY if not msg.time_in_force else _TIF_FROM_PB.get(msg.time_in_force, _UNKNOWN_TIF),
        client_order_id=msg.client_order_id,
        reduce_only=msg.reduce_only,
    )


def _exit_to_pb(
    field: str, price: Decimal | None, ticks: int, points: Decimal | None, r: Decimal | None = None
) -> pb.BracketExit | None:
    """One exit as the wire's BracketExit (the builder has checked that at most one form is given)."""
    if price is not None:
        return pb.BracketExit(price=decimal_to_wire(price, f"{field}.price"))
    if ticks:
        return pb.BracketExit(ticks=str(ticks))
    if points is not None:
        return pb.BracketExit(points=decimal_to_wire(points, f"{field}.points"))
    if r is not None:
        return pb.BracketExit(r_multiple=decimal_to_wire(r, f"{field}.r_multiple"))
    return None


def bracket_spec_to_pb(spec: BracketSpec, field: str = "bracket") -> pb.BracketSpec:
    message = pb.BracketSpec(entry=order_spec_to_pb(spec.entry, f"{field}.entry"))
    stop_loss = _exit_to_pb(f"{field}.stop_loss", spec.stop_loss_price, spec.stop_loss_ticks, spec.stop_loss_points)
    take_profit = _exit_to_pb(
        f"{field}.take_profit",
        spec.take_profit_price,
        spec.take_profit_ticks,
        spec.take_profit_points,
        spec.take_profit_r,
    )
    if stop_loss is not None:
        message.stop_loss.CopyFrom(stop_loss)
    if take_profit is not None:
        message.take_profit.CopyFrom(take_profit)
    return message


def _exit_from_pb(msg: pb.BracketSpec, leg: str) -> tuple[Decimal | None, int, Decimal | None, Decimal | None]:
    """(price, ticks, points, r) of one exit, from BracketExit or the older `<leg>_price`/`<leg>_ticks`."""
    price = optional_decimal_from_wire(getattr(msg, f"{leg}_price"))
    ticks: int = getattr(msg, f"{leg}_ticks")
    points = r = None
    if msg.HasField(leg):  # type: ignore[arg-type]
        exit_ = getattr(msg, leg)
        level = exit_.WhichOneof("level")
        if level == "price":
            price = optional_decimal_from_wire(exit_.price)
        elif level == "ticks":
            ticks = int(decimal_from_wire(exit_.ticks))
        elif level == "points":
            points = optional_decimal_from_wire(exit_.points)
        elif level == "r_multiple":
            r = optional_decimal_from_wire(exit_.r_multiple)
    return price, ticks, points, r


def bracket_spec_from_pb(msg: pb.BracketSpec) -> BracketSpec:
    sl_price, sl_ticks, sl_points, _ = _exit_from_pb(msg, "stop_loss")
    tp_price, tp_ticks, tp_points, tp_r = _exit_from_pb(msg, "take_profit")
    return BracketSpec(
        entry=order_spec_from_pb(msg.entry),
        stop_loss_price=sl_price,
        take_profit_price=tp_price,
        stop_loss_ticks=sl_ticks,
        take_profit_ticks=tp_ticks,
        stop_loss_points=sl_points,
        take_profit_points=tp_points,
        take_profit_r=tp_r,
    )


def order_from_pb(msg: pb.Order) -> Order:
    return Order(
        order_id=msg.order_id,
        client_order_id=msg.client_order_id,
        account_id=msg.account_id,
        contract_id=msg.contract_id,
        side=_SIDE_FROM_PB.get(msg.side, OrderSide.UNKNOWN),
        order_type=_TYPE_FROM_PB.get(msg.type, OrderType.UNKNOWN),
        quantity=msg.quantity,
        filled_quantity=msg.filled_quantity,
        limit_price=optional_decimal_from_wire(msg.limit_price),
        stop_price=optional_decimal_from_wire(msg.stop_price),
        time_in_force=_TIF_FROM_PB.get(msg.time_in_force, TimeInForce.UNKNOWN),
        status=_STATUS_FROM_PB.get(msg.status, OrderStatus.UNKNOWN),
        average_fill_price=optional_decimal_from_wire(msg.average_fill_price) if msg.filled_quantity else None,
        parent_order_id=msg.parent_order_id,
        bracket_id=msg.bracket_id,
        oco_group_id=msg.oco_group_id,
        reason=msg.reason,
        created_ns=msg.created_ns,
        updated_ns=msg.updated_ns,
        reduce_only=msg.reduce_only,
        offset_ticks=msg.offset_ticks or None,
        target_r=optional_decimal_from_wire(msg.target_r),
        placed_by=msg.placed_by,
        reference_price=optional_decimal_from_wire(msg.reference_price),
    )


def fill_from_pb(msg: pb.Fill) -> Fill:
    return Fill(
        fill_id=msg.fill_id,
        order_id=msg.order_id,
        account_id=msg.account_id,
        contract_id=msg.contract_id,
        side=_SIDE_FROM_PB.get(msg.side, OrderSide.UNKNOWN),
        quantity=msg.quantity,
        price=decimal_from_wire(msg.price),
        commission=decimal_from_wire(msg.commission),
        liquidity=msg.liquidity,
        ts_ns=msg.ts_ns,
    )


def position_from_pb(msg: pb.Position) -> Position:
    return Position(
        account_id=msg.account_id,
        contract_id=msg.contract_id,
        quantity=msg.quantity,
        average_price=decimal_from_wire(msg.average_price),
        mark_price=optional_decimal_from_wire(msg.mark_price),
        unrealized_points=decimal_from_wire(msg.unrealized_points),
        unrealized_pnl=decimal_from_wire(msg.unrealized_pnl),
        realized_pnl=decimal_from_wire(msg.realized_pnl),
    )


def account_from_pb(msg: pb.Account) -> Account:
    return Account(
        account_id=msg.account_id,
        name=msg.name,
        starting_balance=decimal_from_wire(msg.starting_balance),
        balance=decimal_from_wire(msg.balance),
        equity=decimal_from_wire(msg.equity),
        realized_pnl=decimal_from_wire(msg.realized_pnl),
        unrealized_pnl=decimal_from_wire(msg.unrealized_pnl),
        commissions=decimal_from_wire(msg.commissions),
        positions=tuple(position_from_pb(p) for p in msg.positions),
        updated_ns=msg.updated_ns,
    )


def order_event_from_pb(msg: pb.OrderEvent) -> OrderEvent:
    return OrderEvent(
        kind=msg.kind,
        order=order_from_pb(msg.order) if msg.HasField("order") else None,
        fill=fill_from_pb(msg.fill) if msg.HasField("fill") else None,
        reason=msg.reason,
        ts_ns=msg.ts_ns,
    )


def events_from_pb(events: Iterable[pb.OrderEvent]) -> tuple[OrderEvent, ...]:
    return tuple(order_event_from_pb(e) for e in events)


def orders_from_pb(orders: Iterable[pb.Order]) -> tuple[Order, ...]:
    return tuple(order_from_pb(o) for o in orders)


def order_result_from_pb(
    msg: pb.SubmitOrderResponse | pb.ModifyOrderResponse | pb.CancelOrderResponse,
) -> OrderResult:
    return OrderResult(order=order_from_pb(msg.order), events=events_from_pb(msg.events))


def bracket_result_from_pb(msg: pb.SubmitBracketResponse) -> BracketResult:
    return BracketResult(
        orders=orders_from_pb(msg.orders), bracket_id=msg.bracket_id, events=events_from_pb(msg.events)
    )


def bracket_batch_result_from_pb(msg: pb.SubmitBracketBatchResponse) -> BracketBatchResult:
    return BracketBatchResult(
        orders=orders_from_pb(msg.orders), bracket_ids=tuple(msg.bracket_ids), events=events_from_pb(msg.events)
    )


def oco_result_from_pb(msg: pb.SubmitOcoResponse) -> OcoResult:
    return OcoResult(
        orders=orders_from_pb(msg.orders), oco_group_id=msg.oco_group_id, events=events_from_pb(msg.events)
    )


def cancel_all_result_from_pb(msg: pb.CancelAllOrdersResponse) -> CancelAllResult:
    return CancelAllResult(orders=orders_from_pb(msg.orders), events=events_from_pb(msg.events))
