"""Broker value types: bindings, order requests, the broker's view of orders and positions, reconciliation reports.

Prices are exact Decimals (the broker's wire numbers parsed without binary floats); quantities are ints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class BrokerKind(StrEnum):
    TRADOVATE = "tradovate"
    PROJECTX = "projectx"


class AccountMode(StrEnum):
    """How an account trades: on the paper engine, bound to a broker with routing off, or routed live."""

    PAPER = "PAPER"
    BOUND = "BOUND"  # bound to a broker, live routing off: nothing is sent
    LIVE = "LIVE"


class LinkState(StrEnum):
    """The adapter's connection to its broker."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"  # credentials missing or refused: it will not retry by itself


TRADOVATE_ENVIRONMENTS = ("demo", "live")


@dataclass(frozen=True, slots=True)
class Binding:
    """A Vigil account bound to a broker account. `environment`: demo or live (Tradovate), the gateway's API
    URL (ProjectX). Nothing is sent to the broker unless `live_enabled` (set by an admin)."""

    account_id: str
    broker: BrokerKind
    environment: str
    broker_account: str  # the broker's account id or name (Tradovate accountSpec / id, ProjectX account id)
    live_enabled: bool = False
    bound_by: str = ""
    bound_ns: int = 0
    live_changed_by: str = ""
    live_changed_ns: int = 0

    @property
    def mode(self) -> str:
        return "LIVE" if self.live_enabled else "BOUND"


@dataclass(frozen=True, slots=True)
class BracketLeg:
    """A take-profit (limit) or stop-loss (stop) leg of a bracket, an absolute price."""

    order_type: str  # "Limit" or "Stop"
    price: Decimal


OPEN_STATUSES = frozenset({"Working", "PendingNew", "Suspended", "Open", "Pending"})  # a working order's status


@dataclass(frozen=True, slots=True)
class BrokerOrderRequest:
    """One order to send. `client_order_id` makes a retry idempotent: the same id is never placed twice."""

    client_order_id: str
    symbol: str  # the broker's contract name (Tradovate NQZ6) or id (ProjectX CON.F.US.ENQ.Z26)
    side: str  # "Buy" or "Sell"
    quantity: int
    order_type: str  # "Market", "Limit", "Stop", "StopLimit"
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    take_profit: Decimal | None = None  # bracket legs (placeOSO / ProjectX brackets)
    stop_loss: Decimal | None = None
    oco_with: BracketLeg | None = None  # placeOCO: the other order (opposite rules apply)


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    order_id: str
    client_order_id: str
    symbol: str
    side: str
    quantity: int
    order_type: str
    status: str  # the broker's status text: Working, Filled, Canceled, Rejected, Suspended...
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    filled_qty: int = 0
    avg_price: Decimal | None = None
    reason: str = ""
    parent_id: str = ""  # a bracket leg's entry (Tradovate `parentId`; ProjectX gives none)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class BrokerFill:
    fill_id: str
    order_id: str
    symbol: str
    side: str
    quantity: int
    price: Decimal
    ts_ns: int


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    symbol: str
    net_qty: int  # > 0 long, < 0 short
    avg_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """What the broker said to an order: accepted (its order id, bracket leg ids) or rejected with the reason.
    `recovered`: the acknowledgement was lost and the order was found by querying the broker (not resent)."""

    client_order_id: str
    accepted: bool
    order_id: str = ""
    leg_ids: tuple[str, ...] = ()
    reason: str = ""
    recovered: bool = False


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing the broker and Vigil disagreed on; the broker wins."""

    kind: str  # "position", "order"
    symbol: str
    vigil: str
    broker: str


@dataclass(frozen=True, slots=True)
class Reconciliation:
    account_id: str
    ts_ns: int
    positions: tuple[BrokerPosition, ...]
    open_orders: tuple[BrokerOrder, ...]
    differences: tuple[Difference, ...] = ()


@dataclass(frozen=True, slots=True)
class FlattenReport:
    """What the broker confirmed after an emergency flatten: orders cancelled, positions closed, what is left."""

    account_id: str
    cancelled: tuple[str, ...]
    closed: tuple[str, ...]
    remaining: tuple[BrokerPosition, ...] = field(default=())
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of an account's broker audit trail (what was sent, what the broker answered, what differed)."""

    account_id: str
    ts_ns: int
    actor: str
    kind: str
    detail: dict[str, object]
