"""ExecutionChange: what one command or one tick did (its events) with the state rows it left, for the store.

The state rows are read from the engine right after the events, so a change is a consistent picture of the
orders, positions and accounts it touched at that instant, whatever the engine does later. A restart builds
an EngineSnapshot back from the stored rows (`restored_snapshot`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core_server.execution.commands import ExecutionCommand
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import (
    AccountBalanceChanged,
    AccountOpened,
    AccountReset,
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
    PositionChanged,
)
from core_server.execution.model import Account, AccountId, Fill, Order, OrderId, OrderStatus, Position
from core_server.execution.snapshot import REST_MARKET, EngineSnapshot, Lots


@dataclass(frozen=True, slots=True)
class OrderState:
    order: Order
    rest: tuple[int, int, int] | None  # (kind, price ticks, priority seq) while on a book
    reason: str  # why it was denied, rejected, cancelled or expired ('' otherwise)
    updated_ns: int
    actor: str = ""  # who placed it (set by the change that accepted or denied it; kept by the store after that)


@dataclass(frozen=True, slots=True)
class PositionState:
    position: Position
    lots: Lots
    updated_ns: int


@dataclass(frozen=True, slots=True)
class AccountState:
    account: Account
    name: str
    updated_ns: int


@dataclass(slots=True)
class ExecutionChange:
    ts_ns: int
    command: ExecutionCommand | None
    events: tuple[ExecutionEvent, ...]
    orders: dict[OrderId, OrderState] = field(default_factory=dict)
    positions: dict[tuple[AccountId, str], PositionState] = field(default_factory=dict)
    accounts: dict[AccountId, AccountState] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    actor: str = ""  # who caused it: "key:<name>", "static-key", "local", "signal:<id>", "risk", ... ('' the market)


@dataclass(frozen=True, slots=True)
class StoredExecution:
    """Everything the store holds of the paper engine, as a restart reads it."""

    accounts: tuple[AccountState, ...]
    orders: tuple[OrderState, ...]  # by order number
    positions: tuple[PositionState, ...]
    fill_seq: int  # the highest fill number stored
    last_seq: int  # the journal's last seq (0: empty)


def order_id_of(event: ExecutionEvent) -> OrderId | None:
    if isinstance(event, OrderAccepted | OrderDenied):
        return event.order.order_id
    if isinstance(event, OrderFilled):
        return event.fill.order_id
    if isinstance(event, OrderRejected | OrderWorking | OrderTriggered | OrderModified | OrderCancelled | OrderExpired):
        return event.order_id
    return None


def account_id_of(event: ExecutionEvent) -> AccountId:
    if isinstance(event, AccountOpened | AccountReset | AccountBalanceChanged):
        return event.account.account_id
    if isinstance(event, PositionChanged):
        return event.position.account_id
    if isinstance(event, OrderAccepted | OrderDenied):
        return event.order.account_id
    if isinstance(event, OrderFilled):
        return event.fill.account_id
    return event.account_id


def _reason(event: ExecutionEvent) -> str | None:
    if isinstance(event, OrderDenied):
        return event.reason
    if isinstance(event, OrderRejected):
        return f"rejected: {event.reason}"
    if isinstance(event, OrderCancelled):
        return f"cancelled: {event.reason.name.lower()}"
    if isinstance(event, OrderExpired):
        return "expired at the end of the trading day"
    return None


def change_of(
    engine: PaperExecutionEngine,
    events: Sequence[ExecutionEvent],
    ts_ns: int,
    command: ExecutionCommand | None = None,
    names: dict[AccountId, str] | None = None,
    meta: Mapping[OrderId, tuple[str, int]] | None = None,
    actor: str = "",
) -> ExecutionChange:
    """The change `events` made, with the engine's state of everything they touched (read now); `meta` holds each
    order's stored (reason, updated_ns), so a reason outlives the event that gave it."""
    change = ExecutionChange(ts_ns, command, tuple(events), actor=actor)
    names = names or {}
    meta = meta or {}
    for event in events:
        oid = order_id_of(event)
        if oid is not None:
            reason = _reason(event)
            if reason is None:
                previous = change.orders.get(oid)
                reason = previous.reason if previous is not None else meta.get(oid, ("", 0))[0]
            order = engine.order(oid)
            placed = isinstance(event, OrderAccepted | OrderDenied)
            previous_actor = change.orders[oid].actor if oid in change.orders else ""
            change.orders[oid] = OrderState(
                order, engine.resting_entry(oid), reason, ts_ns, actor if placed else previous_actor
            )
            if isinstance(event, OrderFilled):
                change.fills.append(event.fill)
        elif isinstance(event, PositionChanged):
            p = event.position
            change.positions[(p.account_id, p.contract_id)] = PositionState(
                engine.position(p.account_id, p.contract_id), engine.lots(p.account_id, p.contract_id), ts_ns
            )
        account_id = account_id_of(event)
        if isinstance(event, AccountOpened | AccountReset | AccountBalanceChanged):
            change.accounts[account_id] = AccountState(engine.account(account_id), names.get(account_id, ""), ts_ns)
    return change


def _number(identifier: str) -> int:
    return int(identifier.rsplit("-", 1)[1])


def restored_snapshot(stored: StoredExecution) -> EngineSnapshot:
    """The engine state the stored rows describe. Arrival and expiry ties break by order number (the order
    they were accepted in); resting orders keep their stored priority."""
    orders = tuple(s.order for s in stored.orders)
    arrivals = tuple(
        sorted((o.arrival_ns, _number(o.order_id), o.order_id) for o in orders if o.status is OrderStatus.PENDING)
    )
    expiries = tuple(
        sorted((o.expire_ns, _number(o.order_id), o.order_id) for o in orders if o.is_open and o.expire_ns)
    )
    priced = sorted(
        (s.rest[2], s.order.order_id, s.rest[0], s.rest[1])
        for s in stored.orders
        if s.rest and s.rest[0] != REST_MARKET
    )
    markets = [(s.order.order_id, REST_MARKET, 0, 0) for s in stored.orders if s.rest and s.rest[0] == REST_MARKET]
    order_seq = max((_number(o.order_id) for o in orders), default=0)
    exchange_seq = max([order_seq, *(p[0] for p in priced)])
    positions = tuple(
        s.position
        for s in stored.positions
        if s.position.net_qty or s.position.realised_pnl or s.position.commissions or s.position.realised_ticks
    )
    lots = tuple((s.position.account_id, s.position.contract_id, s.lots) for s in stored.positions if s.lots)
    return EngineSnapshot(
        orders=orders,
        positions=positions,
        accounts=tuple(s.account for s in stored.accounts),
        books=(),
        arrivals=arrivals,
        expiries=expiries,
        counters=(order_seq, exchange_seq, stored.fill_seq),
        rng_state=None,
        lots=lots,
        resting=tuple((oid, kind, price, seq) for seq, oid, kind, price in priced) + tuple(markets),
    )
