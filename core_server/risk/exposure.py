"""Worst-case exposure per contract: the position each side could reach if every open order filled.

Bracket children only undo what their entry filled: held ones add nothing, and a working stop-loss and
take-profit pair counts once (the larger leg), since a fill of one shrinks the other. OCO legs count in
full (conservative). An order *reduces risk* when, even with every open order on its side filled, it
cannot take the position through zero: such orders pass every rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core_server.execution.model import Order, OrderId, OrderRole, OrderSide, OrderStatus, Position

_CHILDREN = (OrderRole.STOP_LOSS, OrderRole.TAKE_PROFIT)


@dataclass(slots=True)
class Exposure:
    net: int = 0
    buys: int = 0  # open buy quantity that could still fill
    sells: int = 0

    @property
    def worst(self) -> int:
        """The largest absolute position the contract could reach."""
        return max(self.net + self.buys, self.sells - self.net, 0)

    def add(self, side: OrderSide, quantity: int) -> None:
        if side is OrderSide.BUY:
            self.buys += quantity
        else:
            self.sells += quantity

    def reduced_by(self, order: Order) -> bool:
        """Whether `order` (not yet counted) reduces the position without any risk of crossing zero."""
        if order.side is OrderSide.SELL:
            return self.net > 0 and self.sells + order.leaves_qty <= self.net
        return self.net < 0 and self.buys + order.leaves_qty <= -self.net


def exposures(positions: Iterable[Position], open_orders: Iterable[Order]) -> dict[str, Exposure]:
    out: dict[str, Exposure] = {}
    for p in positions:
        if p.net_qty:
            out.setdefault(p.contract_id, Exposure()).net = p.net_qty
    children: dict[tuple[OrderId, OrderSide, str], int] = {}
    for o in open_orders:
        if o.role in _CHILDREN:
            if o.status is not OrderStatus.HELD and o.bracket_id is not None:
                key = (o.bracket_id, o.side, o.contract_id)
                children[key] = max(children.get(key, 0), o.leaves_qty)
            continue
        out.setdefault(o.contract_id, Exposure()).add(o.side, o.leaves_qty)
    for (_, side, contract_id), quantity in children.items():
        out.setdefault(contract_id, Exposure()).add(side, quantity)
    return out
