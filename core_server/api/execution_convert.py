"""Paper execution values <-> vigil.v1 execution messages: checked commands in, exact decimal text out."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from core_server.api import enums
from core_server.execution.changes import ExecutionChange, OrderState, order_id_of
from core_server.execution.commands import ExitLevel, ExitOffset, OffsetUnit, SubmitBracket, SubmitOrder
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
    OrderType,
    Position,
)
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, MAX_PRICE, InstrumentSpec
from core_server.model.symbols import parse_symbol
from vigil.v1 import execution_pb2 as pb

MAX_QUANTITY = 1000
MAX_CLIENT_ORDER_ID = 64

SIDE_FROM_PROTO = enums.ORDER_SIDE.from_proto
SIDE_TO_PROTO = enums.ORDER_SIDE.to_proto
TYPE_FROM_PROTO = enums.ORDER_TYPE.from_proto
TYPE_TO_PROTO = enums.ORDER_TYPE.to_proto
TIF_FROM_PROTO = enums.TIME_IN_FORCE.from_proto
TIF_TO_PROTO = enums.TIME_IN_FORCE.to_proto
STATUS_TO_PROTO = enums.ORDER_STATUS.to_proto
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
}


def spec_of(contract_id: str) -> InstrumentSpec:
    return INSTRUMENTS[contract_id[:-5]]  # canonical ids end in month code + 4-digit year


def money(value: Decimal) -> str:
    return format(value, "f")


def _ticks_text(spec: InstrumentSpec, ticks: int | None) -> str:
    return "" if ticks is None else spec.format_ticks(ticks)


def _average_text(spec: InstrumentSpec, total_ticks: int, quantity: int) -> str:
    """An average price: the instrument's places plus AVERAGE_EXTRA_PLACES, always ('' for no quantity)."""
    return format(spec.average_price(total_ticks, quantity), "f") if quantity else ""


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
        reduce_only=spec.reduce_only,
    )


_LEVELS = {"ticks": OffsetUnit.TICKS, "points": OffsetUnit.POINTS, "r_multiple": OffsetUnit.R}


def exit_field(spec: pb.BracketSpec, leg: str) -> str:
    """The wire field that gives a bracket leg (`stop_loss` or `take_profit`): `<leg>.<level>`, or the older
    `<leg>_ticks` or `<leg>_price` (the default when none is given)."""
    if spec.HasField(leg):  # type: ignore[arg-type]
        level = getattr(spec, leg).WhichOneof("level")
        return f"{leg}.{level}" if level else leg
    if getattr(spec, f"{leg}_ticks"):
        return f"{leg}_ticks"
    return f"{leg}_price"


def _exit_level(spec: pb.BracketSpec, leg: str, prefix: str) -> ExitLevel:
    """One exit as given, exactly once: an absolute price, or a distance from the entry's fill."""
    exit_given = spec.HasField(leg)  # type: ignore[arg-type]
    price_text = getattr(spec, f"{leg}_price").strip()
    ticks = getattr(spec, f"{leg}_ticks")
    if exit_given + bool(price_text) + bool(ticks) > 1:
        raise InvalidArgument(prefix + leg, f"give the {leg.replace('_', '-')} once: {leg}, {leg}_price or {leg}_ticks")
    if price_text:
        return _decimal(price_text, f"{prefix}{leg}_price")
    if ticks:
        if ticks < 0:
            raise InvalidArgument(f"{prefix}{leg}_ticks", "must be positive")
        return ExitOffset(Decimal(ticks), OffsetUnit.TICKS)
    level = getattr(spec, leg).WhichOneof("level") if exit_given else None
    if level is None:
        raise InvalidArgument(prefix + leg, "required: a price, or ticks, points or (take-profit) r_multiple")
    value = _decimal(getattr(getattr(spec, leg), level), f"{prefix}{leg}.{level}")
    return value if level == "price" else ExitOffset(value, _LEVELS[level])


def _decimal(text: str, field: str) -> Decimal:
    value = decimal_or_none(text, field)
    if value is None:
        raise InvalidArgument(field, "a decimal number is required")
    return value


def bracket_command(account_id: str, spec: pb.BracketSpec, now_ns: int, prefix: str) -> SubmitBracket:
    """A SubmitBracket; each exit is an absolute price or a distance from the entry's average fill price."""
    entry = order_command(account_id, spec.entry, now_ns, prefix + "entry.")
    if entry.order_type is OrderType.STOP_LIMIT:
        raise InvalidArgument(prefix + "entry.type", "a bracket entry is MARKET, LIMIT or STOP")
    if entry.reduce_only:
        raise InvalidArgument(prefix + "entry.reduce_only", "a bracket entry opens a position; its exits reduce it")
    entry_price = entry.limit_price if entry.order_type is OrderType.LIMIT else entry.stop_price
    stop_loss = _exit_level(spec, "stop_loss", prefix)
    take_profit = _exit_level(spec, "take_profit", prefix)
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


def bracket_field(prefix: str, specs: Callable[[str], pb.BracketSpec]) -> Callable[[str], str]:
    """Engine field name -> wire name of a bracket command; `brackets[i].` prefixes come through unchanged and
    `specs(head)` is the BracketSpec the command came from (an exit is named as it was given)."""

    def rename(field: str) -> str:
        if field == "account_id":
            return field
        head, sep, tail = field.rpartition("].")
        head = head + sep
        if tail == "entry_price":
            kind = TYPE_FROM_PROTO.get(specs(head).entry.type)
            return f"{prefix}{head}entry.{'limit_price' if kind is OrderType.LIMIT else 'stop_price'}"
        if tail in ("stop_loss", "take_profit"):
            return f"{prefix}{head}{exit_field(specs(head), tail)}"
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
        average_fill_price=_average_text(spec, order.filled_cost, order.filled_qty),
        parent_order_id=order.bracket_id if order.bracket_id and order.bracket_id != order.order_id else "",
        bracket_id=order.bracket_id or "",
        oco_group_id=min(order.order_id, *order.linked_ids) if order.linked_ids else "",
        reason=reason,
        created_ns=order.submitted_ns,
        updated_ns=updated_ns or order.submitted_ns,
        reduce_only=order.reduce_only,
        offset_ticks=order.offset_ticks or 0,
        target_r=format(order.target_r, "f") if order.target_r is not None else "",
        reference_price=_ticks_text(spec, order.slippage_reference),
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
        average_price=_average_text(spec, position.open_cost, abs(position.net_qty)),
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
    if isinstance(event, OrderModified):
        return event.cause.name.lower()
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
