"""Execution values: ids, enums, orders, fills, positions and accounts. Prices are int ticks, money Decimal.

Enum numbers start at 1 so a future proto can map them 1:1 next to its `_UNSPECIFIED = 0`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import IntEnum
from typing import Any, NewType

AccountId = NewType("AccountId", str)
OrderId = NewType("OrderId", str)
FillId = NewType("FillId", str)


class OrderSide(IntEnum):
    BUY = 1
    SELL = 2

    @property
    def sign(self) -> int:
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(IntEnum):
    MARKET = 1
    LIMIT = 2
    STOP = 3
    STOP_LIMIT = 4


class TimeInForce(IntEnum):
    DAY = 1  # expires at the end of the CME trading day it was submitted in (17:00 America/Chicago)
    GTC = 2


class OrderStatus(IntEnum):
    PENDING = 1  # accepted, travelling to the simulated exchange (latency)
    HELD = 2  # a bracket child waiting for its entry to fill
    WORKING = 3  # arrived: resting, or a market order waiting for liquidity
    TRIGGERED = 4  # a stop or stop-limit whose trigger was reached, not yet (fully) filled
    PARTIALLY_FILLED = 5
    FILLED = 6
    CANCELLED = 7
    EXPIRED = 8
    REJECTED = 9
    DENIED = 10  # refused by a pre-trade check; never reached the exchange

    @property
    def is_open(self) -> bool:
        return self <= OrderStatus.PARTIALLY_FILLED


class OrderRole(IntEnum):
    STANDALONE = 1
    OCO = 2  # one leg of an independent one-cancels-other pair
    BRACKET_ENTRY = 3
    STOP_LOSS = 4  # bracket child
    TAKE_PROFIT = 5  # bracket child
    CLOSE = 6  # made by close position / flatten, or by a bracket whose stop was already hit: reduces only
    REVERSE = 7  # made by reverse: closes and opens the opposite side

    @property
    def is_exit(self) -> bool:
        """Orders of this role are always reduce-only."""
        return self in _EXIT_ROLES


_EXIT_ROLES = frozenset((OrderRole.STOP_LOSS, OrderRole.TAKE_PROFIT, OrderRole.CLOSE))


class Liquidity(IntEnum):
    MAKER = 1  # a resting limit filled by the market trading through it
    TAKER = 2  # market, triggered stop, or a limit marketable when it arrived


class CancelReason(IntEnum):
    REQUESTED = 1
    OCO = 2  # the other leg of an OCO pair or bracket filled
    BRACKET = 3  # the bracket entry ended unfilled, or a child filled while the entry still worked
    CLOSE = 4  # close position / reverse cleared the contract's orders first
    FLATTEN = 5
    RESET = 6
    POSITION_FLAT = 7  # a reduce-only order whose position went flat or to the other side: nothing to reduce
    STOP_THROUGH = 8  # a bracket stop-loss already hit when its entry filled: the position was closed at market
    ROLL = 9  # the front month rolled: the old month's orders end (kernel.front_roll)


class ModifyCause(IntEnum):
    """Why an order's quantity or prices changed."""

    REQUESTED = 1  # ModifyOrder
    LINKED = 2  # its bracket entry or OCO sibling filled
    ANCHORED = 3  # a bracket exit placed as a distance, moved to the entry's new average fill price
    REDUCE_ONLY = 4  # a reduce-only order cut to the position it reduces


class MarkPrice(IntEnum):
    LAST_TRADE = 1
    BID_ASK = 2  # bid for longs, ask for shorts: the price the position would exit on


@dataclass(frozen=True, slots=True)
class Order:
    """One order's state. `quantity` is the current total; `leaves_qty` what can still fill."""

    order_id: OrderId
    account_id: AccountId
    contract_id: str
    side: OrderSide
    order_type: OrderType
    quantity: int
    time_in_force: TimeInForce
    status: OrderStatus
    role: OrderRole
    submitted_ns: int
    arrival_ns: int  # when it reaches the simulated exchange; 0 for a held bracket child
    expire_ns: int  # end of its trading day for DAY orders, 0 for GTC
    limit_price: int | None = None
    stop_price: int | None = None
    filled_qty: int = 0
    filled_cost: int = 0  # sum of fill price ticks x quantity
    triggered: bool = False
    bracket_id: OrderId | None = None  # the entry's id, on the entry and on both children
    linked_ids: tuple[OrderId, ...] = ()  # OCO siblings
    tag: str = ""
    reduce_only: bool = False  # may only reduce its account's position in its contract (exits always are)
    # A bracket exit placed as a distance from its entry's average fill price (set when the entry fills):
    offset_ticks: int | None = None  # the stop-loss or take-profit this many ticks away
    target_r: Decimal | None = None  # the take-profit at R x the stop-loss's distance
    # A market order's reference price for slippage, recorded when it is accepted: the opposite side of the book
    # (the ask for a buy, the bid for a sell; the last trade without a fresh quote); None without any market.
    # A close made because a bracket's stop was already through carries that stop instead (linkage.py).
    reference_price: int | None = None

    @property
    def slippage_reference(self) -> int | None:
        """The price this order's fills are measured against for slippage: a market order's reference price, a stop
        or stop-limit's stop price; a limit has none (it fills at its price or better, so it cannot slip, and its
        price improvement is not a cost the trader avoided)."""
        if self.order_type is OrderType.MARKET:
            return self.reference_price
        if self.order_type is OrderType.LIMIT:
            return None
        return self.stop_price

    @property
    def leaves_qty(self) -> int:
        return self.quantity - self.filled_qty

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def acts_as_market(self) -> bool:
        return self.order_type is OrderType.MARKET or (self.order_type is OrderType.STOP and self.triggered)

    @property
    def acts_as_limit(self) -> bool:
        return self.order_type is OrderType.LIMIT or (self.order_type is OrderType.STOP_LIMIT and self.triggered)

    def avg_fill_price_ticks(self) -> Decimal | None:
        """Average fill price in (possibly fractional) ticks; None before the first fill."""
        return Decimal(self.filled_cost) / self.filled_qty if self.filled_qty else None


def _replacer(cls: type[Any]) -> Callable[..., Any]:
    """`dataclasses.replace` for one dataclass, generated once with its fields spelled out: the same result (the
    class's __init__ runs), without replace's per-call walk over the field table. About 2x faster for Order,
    which the engine replaces several times per order (bench/copying.py: replace was a quarter of a fan-out)."""
    names = [f.name for f in fields(cls) if f.init]
    keep = object()
    params = ", ".join(f"{name}=_keep" for name in names)
    values = ", ".join(f"{name}=self.{name} if {name} is _keep else {name}" for name in names)
    namespace: dict[str, Any] = {"_keep": keep, "_cls": cls}
    exec(f"def replace(self, *, {params}):\n    return _cls({values})\n", namespace)
    made: Callable[..., Any] = namespace["replace"]
    return made


replace_order: Callable[..., Order] = _replacer(Order)  # replace_order(order, status=...): keyword fields only


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: FillId
    order_id: OrderId
    account_id: AccountId
    contract_id: str
    side: OrderSide
    quantity: int
    price: int  # ticks
    commission: Decimal  # dollars, for this fill
    liquidity: Liquidity
    ts_event: int


@dataclass(frozen=True, slots=True)
class Position:
    """Net position in one contract. `open_cost` is the sum of price ticks x quantity of the open lots."""

    account_id: AccountId
    contract_id: str
    net_qty: int  # > 0 long, < 0 short
    open_cost: int
    realised_ticks: int  # cumulative, per contract x quantity
    realised_pnl: Decimal  # cumulative dollars, gross of commissions
    commissions: Decimal  # cumulative dollars

    @property
    def is_flat(self) -> bool:
        return self.net_qty == 0

    def avg_price_ticks(self) -> Decimal | None:
        """Average entry price of the open lots in ticks (exact when it terminates); None when flat."""
        return Decimal(self.open_cost) / abs(self.net_qty) if self.net_qty else None

    def unrealised_ticks(self, mark: int) -> int:
        """Open P&L in ticks x contracts against a mark price in ticks."""
        return mark * self.net_qty - self.open_cost if self.net_qty > 0 else self.open_cost - mark * -self.net_qty


@dataclass(frozen=True, slots=True)
class Account:
    account_id: AccountId
    starting_balance: Decimal
    realised_pnl: Decimal  # gross, since the last reset
    commissions: Decimal  # since the last reset

    @property
    def balance(self) -> Decimal:
        return self.starting_balance + self.realised_pnl - self.commissions


@dataclass(frozen=True, slots=True)
class Unrealised:
    """Open P&L of one position at a mark: points per contract-summed, and dollars."""

    contract_id: str
    mark: int | None  # None when no mark price is known yet (P&L then counts as zero)
    points: Decimal
    dollars: Decimal
