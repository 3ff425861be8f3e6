"""Paper-execution values the SDK sends and returns: order specs, orders, fills, positions, accounts, results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from clients.sdk.models import datetime_from_ns, parse_enum


class OrderSide(Enum):
    UNKNOWN = "unknown"  # the server sent a side this SDK does not know
    BUY = "buy"
    SELL = "sell"

    @classmethod
    def parse(cls, value: OrderSide | str, field: str = "side") -> OrderSide:
        """buy/long/b or sell/short/s in any case; anything else is an InvalidArgumentError."""
        return parse_enum(cls, value, field, "order side", _SIDE_WORDS)

    @property
    def opposite(self) -> OrderSide:
        return {OrderSide.BUY: OrderSide.SELL, OrderSide.SELL: OrderSide.BUY}.get(self, OrderSide.UNKNOWN)

    def __str__(self) -> str:
        return self.value


_SIDE_WORDS = {"long": OrderSide.BUY, "b": OrderSide.BUY, "short": OrderSide.SELL, "s": OrderSide.SELL}


class OrderType(Enum):
    UNKNOWN = "unknown"  # the server sent a type this SDK does not know
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"  # a stop-market
    STOP_LIMIT = "stop_limit"

    @classmethod
    def parse(cls, value: OrderType | str, field: str = "type") -> OrderType:
        """The type for a member or its text ("limit", "STOP-LIMIT", "stoplimit")."""
        return parse_enum(cls, value, field, "order type", {"stoplimit": OrderType.STOP_LIMIT, "mkt": cls.MARKET})

    def __str__(self) -> str:
        return self.value


class TimeInForce(Enum):
    UNKNOWN = "unknown"  # the server sent a time in force this SDK does not know
    DAY = "day"  # expires at the end of the CME trading day (17:00 America/Chicago)
    GTC = "gtc"

    @classmethod
    def parse(cls, value: TimeInForce | str, field: str = "time_in_force") -> TimeInForce:
        return parse_enum(cls, value, field, "time in force", {"good_till_cancelled": TimeInForce.GTC})

    def __str__(self) -> str:
        return self.value


class OrderStatus(Enum):
    UNKNOWN = "unknown"  # the server sent a status this SDK does not know
    SUBMITTED = "submitted"  # accepted; travelling to the simulated exchange
    WORKING = "working"
    TRIGGERED = "triggered"  # a stop-limit whose stop was reached, now working as a limit
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    DENIED = "denied"  # refused by a pre-trade check or by the engine; see the order's reason
    PENDING_PARENT = "pending_parent"  # a bracket exit waiting for its entry to fill

    @classmethod
    def parse(cls, value: OrderStatus | str, field: str = "status") -> OrderStatus:
        return parse_enum(cls, value, field, "order status")

    @property
    def is_open(self) -> bool:
        """Can still fill, be modified or be cancelled."""
        return self in _OPEN_STATUSES

    def __str__(self) -> str:
        return self.value


_OPEN_STATUSES = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.WORKING,
        OrderStatus.TRIGGERED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PENDING_PARENT,
    }
)


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """An order to submit. Any symbol form works (NQ, NQ1!, NQZ2026); prices must lie on the tick grid.

    A limit price is required for LIMIT and STOP_LIMIT, a stop price for STOP and STOP_LIMIT. The builders
    `market`, `limit` and `stop` fill these in.
    """

    symbol: str
    side: OrderSide
    quantity: int  # contracts, positive
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    client_order_id: str = ""
    # Only reduce the position: refused when there is nothing to reduce, cut to the position when larger,
    # cancelled once the position is flat or reversed.
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class BracketSpec:
    """An entry plus two reduce-only, one-cancels-other exits. Give each exit once: as an absolute price, or as
    a distance from the entry's average fill price (applied when it fills) in ticks or points, or for the
    take-profit in R (multiples of the stop-loss's distance from the fill). The builder `bracket` checks this.
    """

    entry: OrderSpec
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    stop_loss_ticks: int = 0
    take_profit_ticks: int = 0
    stop_loss_points: Decimal | None = None
    take_profit_points: Decimal | None = None
    take_profit_r: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the paper exchange holds it; prices are None where the order type has none."""

    order_id: str
    client_order_id: str
    account_id: str
    contract_id: str
    side: OrderSide
    order_type: OrderType
    quantity: int
    filled_quantity: int
    limit_price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    status: OrderStatus
    average_fill_price: Decimal | None  # None until something filled; exact to the price's places + 4 (half-even)
    parent_order_id: str  # for a bracket exit: its entry
    bracket_id: str
    oco_group_id: str
    reason: str  # why it was denied, cancelled or expired
    created_ns: int
    updated_ns: int
    reduce_only: bool = False  # may only reduce the position (bracket exits and closing orders always)
    offset_ticks: int | None = None  # a bracket exit placed this many ticks from its entry's average fill
    target_r: Decimal | None = None  # a take-profit placed at this many R from its entry's average fill
    placed_by: str = ""  # who placed it: "key:<name>", "static-key", "local", "signal:<id>", "risk", ...
    # What its fills' slippage is measured against: a market order's ask (buy) or bid (sell) when it was accepted,
    # a stop's stop price; None for a limit (it cannot slip) or a market order accepted before any market.
    reference_price: Decimal | None = None

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.filled_quantity

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def time(self) -> datetime:
        """When it was created."""
        return datetime_from_ns(self.created_ns)


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: str
    order_id: str
    account_id: str
    contract_id: str
    side: OrderSide
    quantity: int
    price: Decimal
    commission: Decimal  # dollars
    liquidity: str  # taker or maker
    ts_ns: int

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.ts_ns)


@dataclass(frozen=True, slots=True)
class Position:
    """The net position in one contract; `quantity` is signed (positive long, negative short)."""

    account_id: str
    contract_id: str
    quantity: int
    average_price: Decimal  # exact to the instrument's price places + 4, rounded half-even (ES: 6001.083333)
    mark_price: Decimal | None  # None while no quote is known
    unrealized_points: Decimal
    unrealized_pnl: Decimal  # dollars
    realized_pnl: Decimal  # dollars

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0

    @property
    def side(self) -> OrderSide | None:
        """BUY for a long, SELL for a short, None when flat."""
        if self.quantity == 0:
            return None
        return OrderSide.BUY if self.quantity > 0 else OrderSide.SELL


@dataclass(frozen=True, slots=True)
class Account:
    """A paper account: balance = starting balance + realised P&L - commissions; equity adds unrealised P&L."""

    account_id: str
    name: str
    starting_balance: Decimal
    balance: Decimal
    equity: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    commissions: Decimal
    positions: tuple[Position, ...]
    updated_ns: int

    def position(self, contract_id: str) -> Position | None:
        """The position in `contract_id` (canonical form, e.g. NQZ2026), if any."""
        return next((p for p in self.positions if p.contract_id == contract_id), None)

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.updated_ns)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """What an order command or the exchange did to one order; `fill` is set for fills."""

    kind: str  # accepted, denied, rejected, working, triggered, filled, modified, cancelled, expired
    order: Order | None
    fill: Fill | None
    # why: a denial's or rejection's reason; for cancelled: requested, oco, bracket, close, flatten, reset,
    # position_flat (a reduce-only order with nothing left to reduce) or stop_through (a bracket's stop was
    # already hit when its entry filled: the position was closed at market); for modified: requested, linked,
    # anchored (a bracket exit moved to its entry's average fill) or reduce_only (cut to the position).
    reason: str
    ts_ns: int
    seq: int = 0  # its place in the server's execution journal (streamed events; 0 elsewhere)

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.ts_ns)


def _fills(events: tuple[OrderEvent, ...]) -> tuple[Fill, ...]:
    return tuple(e.fill for e in events if e.fill is not None)


@dataclass(frozen=True, slots=True)
class OrderResult:
    """The order after a submit, modify or cancel, and the events the command produced.

    A denial is a decision, not an error: `order.status` is DENIED and `order.reason` says why.
    """

    order: Order
    events: tuple[OrderEvent, ...]

    @property
    def denied(self) -> bool:
        return self.order.status is OrderStatus.DENIED

    @property
    def fills(self) -> tuple[Fill, ...]:
        return _fills(self.events)


@dataclass(frozen=True, slots=True)
class BracketResult:
    """The bracket's orders (entry, stop-loss, take-profit) and the events the command produced."""

    orders: tuple[Order, ...]
    bracket_id: str
    events: tuple[OrderEvent, ...]

    @property
    def entry(self) -> Order | None:
        return next((o for o in self.orders if not o.parent_order_id), None)

    @property
    def stop_loss(self) -> Order | None:
        exits = (o for o in self.orders if o.parent_order_id)
        return next((o for o in exits if o.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)), None)

    @property
    def take_profit(self) -> Order | None:
        exits = (o for o in self.orders if o.parent_order_id)
        return next((o for o in exits if o.order_type is OrderType.LIMIT), None)

    @property
    def denied(self) -> bool:
        return any(o.status is OrderStatus.DENIED for o in self.orders)


@dataclass(frozen=True, slots=True)
class BracketBatchResult:
    """Every bracket's orders, the bracket ids in request order, and the events; all or nothing."""

    orders: tuple[Order, ...]
    bracket_ids: tuple[str, ...]
    events: tuple[OrderEvent, ...]

    @property
    def denied(self) -> bool:
        return any(o.status is OrderStatus.DENIED for o in self.orders)


@dataclass(frozen=True, slots=True)
class OcoResult:
    """The two one-cancels-other orders, their group id, and the events."""

    orders: tuple[Order, ...]
    oco_group_id: str
    events: tuple[OrderEvent, ...]


@dataclass(frozen=True, slots=True)
class CancelAllResult:
    """The orders cancel_all_orders cancelled, and the events."""

    orders: tuple[Order, ...]
    events: tuple[OrderEvent, ...]
