"""Execution commands (imperative): what a trader, strategy or the SDK asks the paper engine to do.

Prices arrive as Decimal (the wire's exact decimal text) and are checked onto the tick grid by the engine;
quantities as int (or an integral Decimal, as TradingView sends them). Nothing here is validated: the
engine validates a whole command before it changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from core_server.execution.model import AccountId, CancelReason, OrderId, OrderSide, OrderType, TimeInForce

Quantity = int | Decimal


class OffsetUnit(IntEnum):
    TICKS = 1  # whole ticks
    POINTS = 2  # price points, a multiple of the tick size
    R = 3  # take-profit only: multiples of the stop-loss's distance from the fill


@dataclass(frozen=True, slots=True)
class ExitOffset:
    """A bracket exit as a distance from the entry's average fill price, applied when the entry fills."""

    amount: Decimal
    unit: OffsetUnit = OffsetUnit.TICKS


ExitLevel = Decimal | ExitOffset  # an absolute price, or a distance from the fill


@dataclass(frozen=True, slots=True)
class OpenAccount:
    account_id: AccountId
    starting_balance: Decimal


@dataclass(frozen=True, slots=True)
class ResetAccount:
    """Cancel every order, clear every position and put the balance back to the starting balance."""

    account_id: AccountId


@dataclass(frozen=True, slots=True)
class SubmitOrder:
    account_id: AccountId
    contract_id: str
    side: OrderSide
    quantity: Quantity
    order_type: OrderType
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None  # LIMIT and STOP_LIMIT
    stop_price: Decimal | None = None  # STOP and STOP_LIMIT
    tag: str = ""
    reduce_only: bool = False  # may only reduce the position (see execution/exits.py)


@dataclass(frozen=True, slots=True)
class SubmitBracket:
    """An entry (market, limit or stop) with a stop-loss and a take-profit that activate on its fills.

    Each exit is an absolute price or an ExitOffset from the entry's average fill price (ticks or points; the
    take-profit also in R, multiples of the stop-loss's distance). Both exits are reduce-only.
    """

    account_id: AccountId
    contract_id: str
    side: OrderSide
    quantity: Quantity
    entry_type: OrderType
    stop_loss: ExitLevel
    take_profit: ExitLevel
    entry_price: Decimal | None = None  # the limit or stop price of a LIMIT or STOP entry
    time_in_force: TimeInForce = TimeInForce.DAY
    tag: str = ""


@dataclass(frozen=True, slots=True)
class SubmitBracketBatch:
    """Several brackets validated together: either every one is checked and placed, or none is."""

    brackets: tuple[SubmitBracket, ...]


@dataclass(frozen=True, slots=True)
class SubmitOcoPair:
    """Two independent orders of one account; a fill of one reduces the other, a complete fill cancels it."""

    first: SubmitOrder
    second: SubmitOrder


@dataclass(frozen=True, slots=True)
class ModifyOrder:
    """Change the quantity and/or price of an open order; None leaves a field as it is."""

    account_id: AccountId
    order_id: OrderId
    quantity: Quantity | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder:
    account_id: AccountId
    order_id: OrderId


@dataclass(frozen=True, slots=True)
class CancelAllOrders:
    account_id: AccountId
    contract_id: str | None = None  # None: every contract
    reason: CancelReason = CancelReason.REQUESTED  # ROLL: the front-month roll's (the orders say why they ended)


@dataclass(frozen=True, slots=True)
class ClosePosition:
    """Cancel the account's open orders in the contract, then a market order for the net quantity."""

    account_id: AccountId
    contract_id: str


@dataclass(frozen=True, slots=True)
class FlattenAccount:
    """Cancel every open order of the account, then close every position at market."""

    account_id: AccountId


@dataclass(frozen=True, slots=True)
class ReversePosition:
    """Cancel the contract's open orders, then one market order for twice the net quantity the other way."""

    account_id: AccountId
    contract_id: str


@dataclass(frozen=True, slots=True)
class BookBrokerFill:
    """A fill a broker reported on a bound account: booked at the broker's price exactly as a paper fill is
    (order, position, balance, then risk), without reaching the simulated exchange (execution/broker_fills.py)."""

    account_id: AccountId
    contract_id: str  # the broker's contract name (NQZ6) or Vigil's id (NQZ2026)
    side: OrderSide
    quantity: int
    price: Decimal
    broker_fill_id: str = ""
    order_id: OrderId | None = None  # the routed order it fills (live/broker_router.py); None: a fill of its own


ExecutionCommand = (
    OpenAccount
    | ResetAccount
    | SubmitOrder
    | SubmitBracket
    | SubmitBracketBatch
    | SubmitOcoPair
    | ModifyOrder
    | CancelOrder
    | CancelAllOrders
    | ClosePosition
    | FlattenAccount
    | ReversePosition
    | BookBrokerFill
)
