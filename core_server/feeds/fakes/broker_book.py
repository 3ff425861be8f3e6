"""A fake broker's order book on a simulated market, shared by the fake Tradovate and fake ProjectX servers.

Broker-neutral: accounts with cash, orders (market, limit, stop, stop-limit), bracket children held until their
entry fills, OCO groups, partial fills, positions and realised P&L. The market moves only when told
(`set_market`), and every change is reported to `listeners` as (kind, object) with kind in order, fill,
position, cash, so each fake renders it in its own wire shape. Prices are exact Decimals.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Listener = Callable[[str, Any], None]
OPEN = ("PendingNew", "Working", "Suspended")


@dataclass
class FakeContract:
    symbol: str
    contract_id: int
    tick_size: Decimal
    value_per_point: Decimal
    margin: Decimal  # initial margin per contract


@dataclass
class FakeOrder:
    id: int
    account_id: int
    symbol: str
    action: str  # Buy | Sell
    qty: int
    order_type: str  # Market | Limit | Stop | StopLimit
    price: Decimal | None
    stop_price: Decimal | None
    cl_ord_id: str = ""
    status: str = "Working"
    filled: int = 0
    filled_value: Decimal = Decimal(0)
    triggered: bool = False
    oco_id: int | None = None
    parent_id: int | None = None
    reject_reason: str = ""
    text: str = ""
    offset_ticks: int | None = None  # a bracket leg placed as a distance from its entry's fill (ProjectX)

    @property
    def leaves(self) -> int:
        return self.qty - self.filled

    @property
    def avg_price(self) -> Decimal | None:
        return self.filled_value / self.filled if self.filled else None

    @property
    def sign(self) -> int:
        return 1 if self.action == "Buy" else -1


@dataclass
class FakePosition:
    id: int
    account_id: int
    symbol: str
    net: int = 0
    net_price: Decimal | None = None
    bought: int = 0
    bought_value: Decimal = Decimal(0)
    sold: int = 0
    sold_value: Decimal = Decimal(0)


@dataclass
class FakeFill:
    id: int
    order_id: int
    account_id: int
    symbol: str
    action: str
    qty: int
    price: Decimal
    realized: Decimal = Decimal(0)


@dataclass
class FakeCash:
    account_id: int
    amount: Decimal
    realized: Decimal = Decimal(0)


@dataclass
class FakeAccount:
    id: int
    name: str
    cash: FakeCash


class Rejected(Exception):
    def __init__(self, reason: str, text: str) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text


@dataclass
class BrokerBook:
    contracts: dict[str, FakeContract] = field(default_factory=dict)
    accounts: dict[int, FakeAccount] = field(default_factory=dict)
    orders: dict[int, FakeOrder] = field(default_factory=dict)
    positions: dict[tuple[int, str], FakePosition] = field(default_factory=dict)
    fills: list[FakeFill] = field(default_factory=list)
    quotes: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)
    market_open: bool = True
    fill_size: int | None = None  # at most this many contracts per order per market update (partial fills)
    placements: dict[str, int] = field(default_factory=dict)  # client order id -> times placed
    # Indexes, so an operation costs what it touches, not every order ever placed (a broker does not slow down
    # as its history grows): (account, contract) -> its open orders (a closed one is dropped when next met),
    # parent -> its legs, (account, client id) used.
    _open_by_contract: dict[tuple[int, str], list[FakeOrder]] = field(default_factory=dict)
    _legs: dict[int, list[FakeOrder]] = field(default_factory=dict)
    _client_ids: set[tuple[int, str]] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(8001))
    _reject_next: list[tuple[str, str]] = field(default_factory=list)

    # ---- setup and scripting ----------------------------------------------------------------------

    def add_contract(self, contract: FakeContract) -> None:
        self.contracts[contract.symbol.upper()] = contract

    def add_account(self, account_id: int, name: str, cash: Decimal) -> FakeAccount:
        account = FakeAccount(account_id, name, FakeCash(account_id, cash))
        self.accounts[account_id] = account
        return account

    def reject_next(self, reason: str = "OtherExecutionRelated", text: str = "Rejected by the test") -> None:
        self._reject_next.append((reason, text))

    def contract_by_id(self, contract_id: int) -> FakeContract | None:
        return next((c for c in self.contracts.values() if c.contract_id == contract_id), None)

    def next_id(self) -> int:
        return int(next(self._ids))

    def _emit(self, kind: str, item: Any) -> None:
        for listener in list(self.listeners):
            listener(kind, item)

    # ---- commands ---------------------------------------------------------------------------------

    def place(
        self,
        account_id: int,
        symbol: str,
        action: str,
        qty: int,
        order_type: str,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        cl_ord_id: str = "",
        *,
        parent_id: int | None = None,
        oco_id: int | None = None,
        offset_ticks: int | None = None,
    ) -> FakeOrder:
        """Validate and accept (Rejected on refusal, nothing changed), then match against the market."""
        if cl_ord_id and parent_id is None:
            self.placements[cl_ord_id] = self.placements.get(cl_ord_id, 0) + 1
        contract = self._check(
            account_id, symbol, action, qty, order_type, price, stop_price, parent_id, offset_ticks is not None
        )
        order = FakeOrder(
            self.next_id(), account_id, contract.symbol, action, qty, order_type, price, stop_price, cl_ord_id,
            status="Suspended" if parent_id is not None else "Working", parent_id=parent_id, oco_id=oco_id,
            offset_ticks=offset_ticks,
        )  # fmt: skip
        self.orders[order.id] = order
        self._open_orders_of(account_id, order.symbol).append(order)
        if parent_id is not None:
            self._legs.setdefault(parent_id, []).append(order)
        if cl_ord_id:
            self._client_ids.add((account_id, cl_ord_id))
        self._emit("order", order)
        if order.status == "Working":
            self._match(order)
        return order

    def _check(
        self,
        account_id: int,
        symbol: str,
        action: str,
        qty: int,
        order_type: str,
        price: Decimal | None,
        stop_price: Decimal | None,
        parent_id: int | None,
        priced_later: bool = False,
    ) -> FakeContract:
        if parent_id is None and self._reject_next:
            reason, text = self._reject_next.pop(0)
            raise Rejected(reason, text)
        account = self.accounts.get(account_id)
        if account is None:
            raise Rejected("AccountClosed", f"Unknown account {account_id}")
        contract = self.contracts.get(symbol.upper())
        if contract is None:
            raise Rejected("InvalidContract", f"Unknown contract {symbol}")
        if action not in ("Buy", "Sell") or type(qty) is not int or qty <= 0:
            raise Rejected("UnknownReason", "action must be Buy or Sell and orderQty positive")
        if not self.market_open:
            raise Rejected("SessionClosed", "The market is closed")
        needs = {"Market": (), "Limit": ("price",), "Stop": ("stopPrice",), "StopLimit": ("price", "stopPrice")}
        if order_type not in needs:
            raise Rejected("Unsupported", f"Unsupported order type {order_type}")
        for name, value in (("price", price), ("stopPrice", stop_price)):
            bad = value is None or value <= 0 or value % contract.tick_size
            if not priced_later and name in needs[order_type] and bad:
                raise Rejected("InvalidPrice", f"{name} {value} is not a price on the {contract.tick_size} grid")
        if parent_id is None:
            position = self.positions.get((account_id, contract.symbol))
            net = position.net if position else 0
            sign = 1 if action == "Buy" else -1
            after = abs(net + sign * qty)
            if after > abs(net) and after * contract.margin > account.cash.amount:
                raise Rejected("OtherExecutionRelated", "Insufficient margin")
        return contract

    def cancel(self, order_id: int) -> FakeOrder:
        order = self.orders.get(order_id)
        if order is None:
            raise Rejected("UnknownReason", f"Unknown order {order_id}")
        if order.status not in OPEN:
            raise Rejected("TooLate", f"Order {order_id} is {order.status}")
        order.status = "Canceled"
        self._emit("order", order)
        for child in self._children(order.id):  # a cancelled entry takes its held brackets with it
            if child.status in OPEN and order.filled == 0:
                child.status = "Canceled"
                self._emit("order", child)
        return order

    def modify(self, order_id: int, qty: int, price: Decimal | None, stop_price: Decimal | None) -> FakeOrder:
        order = self.orders.get(order_id)
        if order is None:
            raise Rejected("UnknownReason", f"Unknown order {order_id}")
        if order.status not in OPEN:
            raise Rejected("TooLate", f"Order {order_id} is {order.status}")
        self._check(order.account_id, order.symbol, order.action, qty, order.order_type,
                    price if price is not None else order.price,
                    stop_price if stop_price is not None else order.stop_price, order.id)  # fmt: skip
        if qty <= order.filled:
            raise Rejected("UnknownReason", "orderQty must exceed the filled quantity")
        order.qty = qty
        if price is not None:
            order.price = price
        if stop_price is not None:
            order.stop_price = stop_price
        self._emit("order", order)
        if order.status == "Working":
            self._match(order)
        return order

    def liquidate(self, account_id: int, symbol: str) -> FakeOrder | None:
        """Cancel the contract's working orders and close its position at market."""
        for order in list(self._open_orders_of(account_id, symbol)):
            if order.status in OPEN:  # an earlier cancel's events may have moved a leg on
                order.status = "Canceled"
                self._emit("order", order)
        position = self.positions.get((account_id, symbol))
        if position is None or position.net == 0:
            return None
        action = "Sell" if position.net > 0 else "Buy"
        return self.place(account_id, symbol, action, abs(position.net), "Market")

    def adjust_position(self, account_id: int, symbol: str, net: int, price: Decimal) -> None:
        """A change behind the client's back (the trader used the broker's own platform)."""
        position = self._position(account_id, symbol)
        position.net, position.net_price = net, price if net else None
        self._emit("position", position)

    # ---- market -----------------------------------------------------------------------------------

    def set_market(self, symbol: str, bid: Decimal, ask: Decimal) -> None:
        symbol = symbol.upper()
        self.quotes[symbol] = (bid, ask)
        for order in sorted(self.orders.values(), key=lambda o: o.id):
            if order.symbol == symbol and order.status == "Working":
                self._match(order)

    def _match(self, order: FakeOrder) -> None:
        quote = self.quotes.get(order.symbol)
        if quote is None or order.status != "Working":
            return
        bid, ask = quote
        buy = order.action == "Buy"
        kind = order.order_type
        if kind in ("Stop", "StopLimit") and not order.triggered:
            assert order.stop_price is not None
            if (buy and ask >= order.stop_price) or (not buy and bid <= order.stop_price):
                order.triggered = True
            else:
                return
        if kind == "Market" or kind == "Stop":
            price = ask if buy else bid
        else:
            assert order.price is not None
            if buy and ask <= order.price:
                price = min(order.price, ask) if order.filled == 0 and not order.triggered else order.price
            elif not buy and bid >= order.price:
                price = max(order.price, bid) if order.filled == 0 and not order.triggered else order.price
            else:
                return
        qty = order.leaves if self.fill_size is None else min(order.leaves, self.fill_size)
        self._fill(order, qty, price)

    def _fill(self, order: FakeOrder, qty: int, price: Decimal) -> None:
        contract = self.contracts[order.symbol]
        position = self._position(order.account_id, order.symbol)
        realized = Decimal(0)
        net, sign = position.net, order.sign
        if net and (net > 0) != (sign > 0):  # closing (part of) the position
            closing = min(abs(net), qty)
            assert position.net_price is not None
            realized = (price - position.net_price) * closing * (1 if net > 0 else -1) * contract.value_per_point
        new_net = net + sign * qty
        if new_net == 0:
            position.net_price = None
        elif net == 0 or (net > 0) != (new_net > 0):
            position.net_price = price
        elif (net > 0) == (sign > 0):
            assert position.net_price is not None
            position.net_price = (position.net_price * abs(net) + price * qty) / abs(new_net)
        position.net = new_net
        if sign > 0:
            position.bought += qty
            position.bought_value += price * qty
        else:
            position.sold += qty
            position.sold_value += price * qty
        order.filled += qty
        order.filled_value += price * qty
        if order.leaves == 0:
            order.status = "Filled"
        fill = FakeFill(self.next_id(), order.id, order.account_id, order.symbol, order.action, qty, price, realized)
        self.fills.append(fill)
        cash = self.accounts[order.account_id].cash
        cash.amount += realized
        cash.realized += realized
        self._emit("fill", fill)
        self._emit("order", order)
        self._emit("position", position)
        self._emit("cash", cash)
        self._after_fill(order, qty)

    def _after_fill(self, order: FakeOrder, qty: int) -> None:
        if order.oco_id is not None:  # the other side of an OCO shrinks by what filled, cancelled at zero
            for other in self.orders.values():
                if other.oco_id == order.oco_id and other.id != order.id and other.status in OPEN:
                    other.qty = max(other.filled, other.qty - qty)
                    if other.leaves == 0:
                        other.status = "Canceled"
                    self._emit("order", other)
        for child in self._children(order.id):
            if child.status == "Suspended":
                child.qty = order.filled
                if child.offset_ticks is not None and order.avg_price is not None:
                    tick = self.contracts[child.symbol].tick_size
                    away = tick * child.offset_ticks * (1 if order.action == "Buy" else -1)
                    if child.order_type == "Limit":  # the target beyond the entry, the stop behind it
                        child.price = order.avg_price + away
                    else:
                        child.stop_price = order.avg_price - away
                child.status = "Working"
                self._emit("order", child)
                self._match(child)
            elif child.status == "Working":
                child.qty = order.filled
                self._emit("order", child)

    def _children(self, parent_id: int) -> list[FakeOrder]:
        return self._legs.get(parent_id, [])

    def used_client_id(self, account_id: int, cl_ord_id: str) -> bool:
        """Whether an order of the account already carries this client id."""
        return (account_id, cl_ord_id) in self._client_ids

    def _position(self, account_id: int, symbol: str) -> FakePosition:
        position = self.positions.get((account_id, symbol))
        if position is None:
            position = FakePosition(self.next_id(), account_id, symbol)
            self.positions[(account_id, symbol)] = position
        return position

    def _open_orders_of(self, account_id: int, symbol: str) -> list[FakeOrder]:
        """The index's list of the contract's open orders, pruned of those closed since it was last met."""
        key = (account_id, symbol)
        orders = [o for o in self._open_by_contract.get(key, ()) if o.status in OPEN]
        self._open_by_contract[key] = orders
        return orders

    def open_orders(self, account_id: int) -> list[FakeOrder]:
        held = [key for key in self._open_by_contract if key[0] == account_id]
        return sorted((o for key in held for o in self._open_orders_of(*key)), key=lambda o: o.id)
