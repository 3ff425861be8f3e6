"""Paper execution values <-> vigil.v1 execution messages: checked commands in, exact decimal text out."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from core_server.execution.changes import ExecutionChange, OrderState, order_id_of
from core_server.execution.commands import SubmitBracket, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import (
    ExecutionEvent,
    OrderAccepted,
    OrderCancelled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    OrderTriggered,
    OrderWorking,
)
from core_server.execution.model import (
    Account,
    AccountId,
    Fill,
    Liquidity,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    TimeInForce,
)
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, MAX_PRICE, InstrumentSpec
from core_server.model.symbols import parse_symbol
from vigil.v1 import execution_pb2 as pb

MAX_QUANTITY = 1000
MAX_CLIENT_ORDER_ID = 64

SIDE_FROM_PROTO = {pb.ORDER_SIDE_BUY: OrderSide.BUY, pb.ORDER_SIDE_SELL: OrderSide.SELL}
SIDE_TO_PROTO = {v: k for k, v in SIDE_FROM_PROTO.items()}
TYPE_FROM_PROTO = {
    pb.ORDER_TYPE_MARKET: OrderType.MARKET,
    pb.ORDER_TYPE_LIMIT: OrderType.LIMIT,
    pb.ORDER_TYPE_STOP: OrderType.STOP,
    pb.ORDER_TYPE_STOP_LIMIT: OrderType.STOP_LIMIT,
}
TYPE_TO_PROTO = {v: k for k, v in TYPE_FROM_PROTO.items()}
TIF_FROM_PROTO = {
    pb.TIME_IN_FORCE_UNSPECIFIED: TimeInForce.DAY,
    pb.TIME_IN_FORCE_DAY: TimeInForce.DAY,
    pb.TIME_IN_FORCE_GTC: TimeInForce.GTC,
}
TIF_TO_PROTO = {TimeInForce.DAY: pb.TIME_IN_FORCE_DAY, TimeInForce.GTC: pb.TIME_IN_FORCE_GTC}
STATUS_TO_PROTO = {
    OrderStatus.PENDING: pb.ORDER_STATUS_SUBMITTED,
    OrderStatus.HELD: pb.ORDER_STATUS_PENDING_PARENT,
    OrderStatus.WORKING: pb.ORDER_STATUS_WORKING,
    OrderStatus.TRIGGERED: pb.ORDER_STATUS_TRIGGERED,
    OrderStatus.PARTIALLY_FILLED: pb.ORDER_STATUS_PARTIALLY_FILLED,
    OrderStatus.FILLED: pb.ORDER_STATUS_FILLED,
    OrderStatus.CANCELLED: pb.ORDER_STATUS_CANCELLED,
    OrderStatus.EXPIRED: pb.ORDER_STATUS_EXPIRED,
    OrderStatus.REJECTED: pb.ORDER_STATUS_DENIED,  # the wire has one "refused" status; the reason says which
    OrderStatus.DENIED: pb.ORDER_STATUS_DENIED,
}
EVENT_KINDS: dict[type, str] = {
    OrderAccepted: "accepted",
    OrderDenied: "denied",
    OrderRejected: "rejected",
    OrderWorking: "working",
    OrderTriggered: "triggered",
    OrderFilled: "filled",
    OrderModified: "modified",
    OrderCancelled: "cancelled",
    OrderExpired: "expired",
}
# Engine field names that differ on the wire.
_ORDER_FIELDS = {"contract_id": "symbol", "order_type": "type"}
_BRACKET_FIELDS = {
    "contract_id": "entry.symbol",
    "side": "entry.side",
    "quantity": "entry.quantity",
    "entry_type": "entry.type",
    "time_in_force": "entry.time_in_force",
    "stop_loss": "stop_loss_price",
    "take_profit": "take_profit_price",
}


def spec_of(contract_id: str) -> InstrumentSpec:
    return INSTRUMENTS[contract_id[:-5]]  # canonical ids end in month code + 4-digit year


def money(value: Decimal) -> str:
    return format(value, "f")


def _ticks_text(spec: InstrumentSpec, ticks: Decimal | int | None) -> str:
    if ticks is None:
        return ""
    if isinstance(ticks, int) or ticks == ticks.to_integral_value():
        return spec.format_ticks(int(ticks))
    return format((spec.tick_size * ticks).normalize(), "f")


def decimal_or_none(text: str, field: str) -> Decimal | None:
    """A price from the wire (None when empty); the instrument checks its range and tick grid."""
    return parse_decimal(text, field, low=-MAX_PRICE, high=MAX_PRICE)


def quantity(value: int, field: str) -> int:
    if not 1 <= value <= MAX_QUANTITY:
        raise InvalidArgument(field, f"must be 1 to {MAX_QUANTITY} contracts, got {value}")
    return value


def order_command(account_id: str, spec: pb.OrderSpec, now_ns: int, prefix: str) -> SubmitOrder:
    """A SubmitOrder from an OrderSpec; fields are named `<prefix><field>` (e.g. `order.quantity`)."""
    contract = parse_symbol(spec.symbol, now_ns, field=prefix + "symbol")
    side = SIDE_FROM_PROTO.get(spec.side)
    if side is None:
        raise InvalidArgument(prefix + "side", "ORDER_SIDE_BUY or ORDER_SIDE_SELL is required")
    order_type = TYPE_FROM_PROTO.get(spec.type)
    if order_type is None:
        raise InvalidArgument(prefix + "type", "an order type (MARKET, LIMIT, STOP, STOP_LIMIT) is required")
    tif = TIF_FROM_PROTO.get(spec.time_in_force)
    if tif is None:
        raise InvalidArgument(prefix + "time_in_force", f"unknown time in force {spec.time_in_force}")
    if len(spec.client_order_id) > MAX_CLIENT_ORDER_ID or "\x00" in spec.client_order_id:
        raise InvalidArgument(prefix + "client_order_id", f"at most {MAX_CLIENT_ORDER_ID} characters, no NUL")
    return SubmitOrder(
        account_id=AccountId(account_id),
        contract_id=contract.id,
        side=side,
        quantity=quantity(spec.quantity, prefix + "quantity"),
        order_type=order_type,
        time_in_force=tif,
        limit_price=decimal_or_none(spec.limit_price, prefix + "limit_price"),
        stop_price=decimal_or_none(spec.stop_price, prefix + "stop_price"),
        tag=spec.client_order_id,
    )


def _exit_price(
    price_text: str, ticks: int, reference: int | None, away: int, spec: InstrumentSpec, prefix: str, name: str
) -> Decimal:
    """An exit as a price, or as `ticks` from the entry reference in direction `away` (+1 above, -1 below)."""
    price = decimal_or_none(price_text, f"{prefix}{name}_price")
    if ticks < 0:
        raise InvalidArgument(f"{prefix}{name}_ticks", "must not be negative")
    if price is not None and ticks:
        raise InvalidArgument(f"{prefix}{name}_ticks", f"give {name}_price or {name}_ticks, not both")
    if price is not None:
        return price
    if not ticks:
        raise InvalidArgument(f"{prefix}{name}_price", f"{name}_price or {name}_ticks is required")
    if reference is None:
        raise InvalidArgument(f"{prefix}{name}_ticks", "no market price yet to measure ticks from; give a price")
    return spec.price_from_ticks(reference + away * ticks)


def bracket_command(
    account_id: str,
    spec: pb.BracketSpec,
    now_ns: int,
    prefix: str,
    market: Callable[[str, OrderSide], int | None],
) -> SubmitBracket:
    """A SubmitBracket; exits given in ticks are measured from the entry price (a market entry: the current
    ask for a buy, bid for a sell)."""
    entry = order_command(account_id, spec.entry, now_ns, prefix + "entry.")
    if entry.order_type is OrderType.STOP_LIMIT:
        raise InvalidArgument(prefix + "entry.type", "a bracket entry is MARKET, LIMIT or STOP")
    entry_price = entry.limit_price if entry.order_type is OrderType.LIMIT else entry.stop_price
    instrument = spec_of(entry.contract_id)
    if entry_price is not None:
        name = "limit_price" if entry.order_type is OrderType.LIMIT else "stop_price"
        reference: int | None = instrument.ticks_from_price(entry_price, f"{prefix}entry.{name}")
    else:
        reference = market(entry.contract_id, entry.side)
    sign = entry.side.sign
    stop_loss = _exit_price(
        spec.stop_loss_price, spec.stop_loss_ticks, reference, -sign, instrument, prefix, "stop_loss"
    )
    take_profit = _exit_price(
        spec.take_profit_price, spec.take_profit_ticks, reference, sign, instrument, prefix, "take_profit"
    )
    return SubmitBracket(
        entry.account_id, entry.contract_id, entry.side, entry.quantity, entry.order_type, stop_loss, take_profit,
        entry_price if entry.order_type is not OrderType.MARKET else None, entry.time_in_force, entry.tag,
    )  # fmt: skip


def order_field(prefix: str) -> Callable[[str], str]:
    """Engine field name -> wire field name of an order command (`account_id` stays top-level)."""

    def rename(field: str) -> str:
        if field == "account_id":
            return field
        head, dot, tail = field.rpartition(".")
        return f"{prefix}{head}{dot}{_ORDER_FIELDS.get(tail, tail)}"

    return rename


def bracket_field(prefix: str, entry_types: Callable[[str], OrderType]) -> Callable[[str], str]:
    """Engine field name -> wire name of a bracket command; `brackets[i].` prefixes come through unchanged."""

    def rename(field: str) -> str:
        if field == "account_id":
            return field
        head, sep, tail = field.rpartition("].")
        head = head + sep
        if tail == "entry_price":
            kind = entry_types(head)
            return f"{prefix}{head}entry.{'limit_price' if kind is OrderType.LIMIT else 'stop_price'}"
        return f"{prefix}{head}{_BRACKET_FIELDS.get(tail, tail)}"

    return rename


# -- values out ------------------------------------------------------------------------------------------------


def order_to_proto(order: Order, reason: str, updated_ns: int) -> pb.Order:
    spec = spec_of(order.contract_id)
    return pb.Order(
        order_id=order.order_id,
        client_order_id=order.tag,
        account_id=order.account_id,
        contract_id=order.contract_id,
        side=SIDE_TO_PROTO[order.side],
        type=TYPE_TO_PROTO[order.order_type],
        quantity=order.quantity,
        filled_quantity=order.filled_qty,
        limit_price=_ticks_text(spec, order.limit_price),
        stop_price=_ticks_text(spec, order.stop_price),
        time_in_force=TIF_TO_PROTO[order.time_in_force],
        status=STATUS_TO_PROTO[order.status],
        average_fill_price=_ticks_text(spec, order.avg_fill_price_ticks()),
        parent_order_id=order.bracket_id if order.bracket_id and order.bracket_id != order.order_id else "",
        bracket_id=order.bracket_id or "",
        oco_group_id=min(order.order_id, *order.linked_ids) if order.linked_ids else "",
        reason=reason,
        created_ns=order.submitted_ns,
        updated_ns=updated_ns or order.submitted_ns,
    )


def fill_to_proto(fill: Fill) -> pb.Fill:
    spec = spec_of(fill.contract_id)
    return pb.Fill(
        fill_id=fill.fill_id,
        order_id=fill.order_id,
        account_id=fill.account_id,
        contract_id=fill.contract_id,
        side=SIDE_TO_PROTO[fill.side],
        quantity=fill.quantity,
        price=spec.format_ticks(fill.price),
        commission=money(fill.commission),
        liquidity="maker" if fill.liquidity is Liquidity.MAKER else "taker",
        ts_ns=fill.ts_event,
    )


def position_to_proto(engine: PaperExecutionEngine, position: Position) -> pb.Position:
    spec = spec_of(position.contract_id)
    unrealised = engine.unrealised(position.account_id, position.contract_id)
    return pb.Position(
        account_id=position.account_id,
        contract_id=position.contract_id,
        quantity=position.net_qty,
        average_price=_ticks_text(spec, position.avg_price_ticks()),
        mark_price=_ticks_text(spec, unrealised.mark),
        unrealized_points=money(unrealised.points),
        unrealized_pnl=money(unrealised.dollars),
        realized_pnl=money(position.realised_pnl),
    )


def account_to_proto(engine: PaperExecutionEngine, account: Account, name: str, updated_ns: int) -> pb.Account:
    positions = [position_to_proto(engine, p) for p in engine.positions(account.account_id)]
    unrealised = sum((Decimal(p.unrealized_pnl) for p in positions), Decimal(0))
    return pb.Account(
        account_id=account.account_id,
        name=name,
        starting_balance=money(account.starting_balance),
        balance=money(account.balance),
        equity=money(account.balance + unrealised),
        realized_pnl=money(account.realised_pnl),
        unrealized_pnl=money(unrealised),
        commissions=money(account.commissions),
        positions=positions,
        updated_ns=updated_ns,
    )


def _event_reason(event: ExecutionEvent) -> str:
    if isinstance(event, OrderDenied | OrderRejected):
        return event.reason
    if isinstance(event, OrderCancelled):
        return event.reason.name.lower()
    return ""


def event_to_proto(event: ExecutionEvent, state: OrderState | None) -> pb.OrderEvent | None:
    """An order event for the wire (None for position and balance events, which the account carries)."""
    kind = EVENT_KINDS.get(type(event))
    if kind is None:
        return None
    message = pb.OrderEvent(kind=kind, reason=_event_reason(event))
    if isinstance(event, OrderAccepted | OrderDenied):
        order = event.order
        message.order.CopyFrom(order_to_proto(order, state.reason if state else "", event.ts_event))
    elif state is not None:
        message.order.CopyFrom(order_to_proto(state.order, state.reason, state.updated_ns))
    if isinstance(event, OrderFilled):
        message.fill.CopyFrom(fill_to_proto(event.fill))
        message.ts_ns = event.fill.ts_event
    else:
        message.ts_ns = event.ts_event
    return message


def change_events(change: ExecutionChange) -> list[pb.OrderEvent]:
    out = []
    for event in change.events:
        oid = order_id_of(event)
        message = event_to_proto(event, change.orders.get(oid) if oid else None)
        if message is not None:
            out.append(message)
    return out
