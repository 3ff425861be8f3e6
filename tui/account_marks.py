"""AccountMarks: one account's open orders and positions as the price levels the chart marks (entry, stop, target)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from clients.sdk import Account, Order, OrderSide, OrderType, Position

STOP_TYPES = (OrderType.STOP, OrderType.STOP_LIMIT)


def role_of(order: Order, position_quantity: int = 0) -> str:
    """What a working order is to the trader: a bracket's `stop` or `target`; for a plain order, a `stop`,
    `target` or `exit` when it reduces the open position (given signed), else an `entry`."""
    reduces = (position_quantity > 0 and order.side is OrderSide.SELL) or (
        position_quantity < 0 and order.side is OrderSide.BUY
    )
    if order.parent_order_id or reduces:
        if order.order_type in STOP_TYPES:
            return "stop"
        return "target" if order.order_type is OrderType.LIMIT else "exit"
    return "entry"


def order_price(order: Order) -> Decimal | None:
    """The level an order works at: its stop (the trigger) for stop types, else its limit; None for a market."""
    if order.order_type in STOP_TYPES:
        return order.stop_price
    return order.limit_price


@dataclass(frozen=True, slots=True)
class Mark:
    kind: str  # entry (the position's average price), stop, target, exit, or order (a working entry)
    price: Decimal
    label: str  # e.g. "entry +2 @ 25330.00", "stop 25320.00", "buy lmt 25300.00"


class AccountMarks:
    """Orders are kept by id with the newest `updated_ns` winning; closed ones leave. Positions come whole with
    each account snapshot."""

    def __init__(self) -> None:
        self.account_id = ""
        self.orders: dict[str, Order] = {}
        self.positions: dict[str, Position] = {}

    def reset(self, account_id: str) -> None:
        self.account_id = account_id
        self.orders.clear()
        self.positions.clear()

    def apply_order(self, order: Order) -> bool:
        """Take a copy of an order of this account; True when the marks changed."""
        if order.account_id != self.account_id:
            return False
        known = self.orders.get(order.order_id)
        if known is not None and known.updated_ns > order.updated_ns:
            return False
        if not order.is_open:
            return self.orders.pop(order.order_id, None) is not None
        self.orders[order.order_id] = order
        return True

    def resync(self, open_orders: Iterable[Order]) -> None:
        """A full list of the open orders: any other shown order closed while no event reached us."""
        self.orders = {}
        for order in open_orders:
            self.apply_order(order)

    def set_account(self, account: Account) -> bool:
        if account.account_id != self.account_id:
            return False
        self.positions = {p.contract_id: p for p in account.positions if not p.is_flat}
        return True

    def marks(self, contract_id: str) -> list[Mark]:
        """The levels to draw for one contract: the position's entry, then each working order's level."""
        out: list[Mark] = []
        position = self.positions.get(contract_id)
        quantity = position.quantity if position is not None else 0
        if position is not None:
            out.append(Mark("entry", position.average_price, f"entry {quantity:+d} @ {position.average_price}"))
        for order in sorted(self.orders.values(), key=lambda o: o.created_ns):
            price = order_price(order)
            if order.contract_id != contract_id or price is None:
                continue
            role = role_of(order, quantity)
            if role == "entry":
                kind = "stp" if order.order_type in STOP_TYPES else "lmt"
                out.append(Mark("order", price, f"{order.side.value} {kind} {order.remaining_quantity} @ {price}"))
            else:
                out.append(Mark(role, price, f"{role} {price}"))
        return out
