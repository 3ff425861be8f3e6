"""Execution events (past tense): everything the paper engine decided, in the order it decided it.

The async shell journals these before acknowledging a command; replaying the same commands and ticks
through a fresh engine with the same seed yields equal events.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core_server.execution.model import (
    Account,
    AccountId,
    CancelReason,
    Fill,
    ModifyCause,
    Order,
    OrderId,
    Position,
)


@dataclass(frozen=True, slots=True)
class AccountOpened:
    account: Account
    ts_event: int


@dataclass(frozen=True, slots=True)
class AccountReset:
    account: Account
    ts_event: int


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    """Validated and passed the pre-trade checks; `order` is its state at acceptance."""

    order: Order
    ts_event: int


@dataclass(frozen=True, slots=True)
class OrderDenied:
    """Refused by a pre-trade check (risk): a decision, not an error."""

    order: Order
    reason: str
    ts_event: int


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """Refused by the simulated exchange on arrival."""

    account_id: AccountId
    order_id: OrderId
    reason: str
    ts_event: int


@dataclass(frozen=True, slots=True)
class OrderWorking:
    """Arrived at the simulated exchange (after latency) or a bracket child activated by its entry's fill."""

    account_id: AccountId
    order_id: OrderId
    quantity: int
    ts_event: int


@dataclass(frozen=True, slots=True)
class OrderTriggered:
    """A stop reached its trigger: a stop now fills as a market order, a stop-limit rests as a limit."""

    account_id: AccountId
    order_id: OrderId
    trigger_price: int  # the price (ticks) that reached the stop
    ts_event: int


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """A fill; `leaves_qty` > 0 means partially filled."""

    fill: Fill
    filled_qty: int  # cumulative on the order
    leaves_qty: int

    @property
    def is_partial(self) -> bool:
        return self.leaves_qty > 0


@dataclass(frozen=True, slots=True)
class OrderModified:
    """Quantity or prices changed: by request, because a linked order filled, because a bracket exit was
    anchored to its entry's average fill, or because a reduce-only order was cut to its position."""

    account_id: AccountId
    order_id: OrderId
    quantity: int
    limit_price: int | None
    stop_price: int | None
    ts_event: int
    cause: ModifyCause = ModifyCause.REQUESTED


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    account_id: AccountId
    order_id: OrderId
    reason: CancelReason
    ts_event: int


@dataclass(frozen=True, slots=True)
class OrderExpired:
    account_id: AccountId
    order_id: OrderId
    ts_event: int


@dataclass(frozen=True, slots=True)
class PositionChanged:
    """The position after a fill or a reset; `realised_ticks` is what this change realised."""

    position: Position
    realised_ticks: int
    realised_pnl: Decimal
    ts_event: int


@dataclass(frozen=True, slots=True)
class AccountBalanceChanged:
    """Balance after a fill or a reset: `realised_pnl` and `commission` are this change's amounts."""

    account: Account
    realised_pnl: Decimal
    commission: Decimal
    ts_event: int

    @property
    def balance(self) -> Decimal:
        return self.account.balance


ExecutionEvent = (
    AccountOpened
    | AccountReset
    | OrderAccepted
    | OrderDenied
    | OrderRejected
    | OrderWorking
    | OrderTriggered
    | OrderFilled
    | OrderModified
    | OrderCancelled
    | OrderExpired
    | PositionChanged
    | AccountBalanceChanged
)

# The events of one order (StreamOrderEvents); the others are of a position or an account.
ORDER_EVENTS: tuple[type, ...] = (
    OrderAccepted, OrderDenied, OrderRejected, OrderWorking, OrderTriggered, OrderFilled, OrderModified,
    OrderCancelled, OrderExpired,
)  # fmt: skip
