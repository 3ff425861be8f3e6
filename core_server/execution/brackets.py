"""Bracket and OCO linkage: which orders belong together and the sizes the survivors keep after a fill.

Bracket: the entry's fills activate the stop-loss and take-profit for the filled quantity (a later partial
fill grows them). Each child works `entered - exited` contracts beyond its own fills, where `entered` is the
entry's filled quantity and `exited` both children's fills, and never more than the position it reduces
(the children are reduce-only: exits.py). A child's fill while the entry still works cancels the entry's
remainder (the trade is being exited); the sibling shrinks by the fill and is cancelled (reason OCO) when
nothing is left to protect. An entry that ends unfilled (cancel, expiry) cancels its held children (reason
BRACKET); one that ends partly filled leaves them protecting what filled. Where the children's prices come
from (absolute, or distances anchored on the entry's average fill) is in exits.py.

OCO pair: a fill of q on one leg shrinks the other by q; when a leg is completely filled, or the other has
nothing left, the other is cancelled (reason OCO). Cancelling one leg by request leaves the other working.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_server.execution.model import Order, OrderId


@dataclass(frozen=True, slots=True)
class Bracket:
    entry_id: OrderId
    stop_loss_id: OrderId
    take_profit_id: OrderId

    def sibling_of(self, child_id: OrderId) -> OrderId:
        return self.take_profit_id if child_id == self.stop_loss_id else self.stop_loss_id


def child_target_quantity(entry: Order, child: Order, sibling: Order) -> int:
    """The total quantity a bracket child should have: its own fills plus what is still unprotected."""
    exposed = entry.filled_qty - child.filled_qty - sibling.filled_qty
    return child.filled_qty + max(0, exposed)


def oco_target_quantity(other: Order, filled_leg: Order, fill_qty: int) -> int:
    """The other OCO leg's quantity after `filled_leg` filled `fill_qty`; its filled quantity means cancel."""
    if filled_leg.leaves_qty == 0:
        return other.filled_qty
    return max(other.filled_qty, other.quantity - fill_qty)
