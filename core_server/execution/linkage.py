"""What follows a fill or the end of an order: bracket exits anchored and sized, OCO siblings, reduce-only fits.

The rules are stated in brackets.py (linkage) and exits.py (reduce-only orders, exit levels); these functions
apply them to the exchange's state, appending events in the order they happen.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from core_server.execution.brackets import Bracket, child_target_quantity, oco_target_quantity
from core_server.execution.events import OrderAccepted, OrderWorking
from core_server.execution.exits import anchored_stop, anchored_target, reducible, stop_is_hit
from core_server.execution.model import (
    AccountId,
    CancelReason,
    ModifyCause,
    Order,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    replace_order,
)

if TYPE_CHECKING:  # the exchange imports this module
    from core_server.execution.exchange import Events, PaperExchange

_CHILDREN = (OrderRole.STOP_LOSS, OrderRole.TAKE_PROFIT)


def after_fill(x: PaperExchange, order: Order, qty: int, ts: int, out: Events) -> None:
    role = order.role
    if role is OrderRole.BRACKET_ENTRY:
        _entry_filled(x, order, ts, out)
    elif role in _CHILDREN:
        bracket = x.brackets[order.order_id]
        entry = x.orders[bracket.entry_id]
        if entry.is_open:  # the trade is being exited: no more entering
            x.cancel(entry, CancelReason.BRACKET, ts, out)
            entry = x.orders[bracket.entry_id]
        sibling = x.orders[bracket.sibling_of(order.order_id)]
        if sibling.is_open:
            room = reducible(sibling.side, x.positions.get(order.account_id, order.contract_id))
            target = min(child_target_quantity(entry, sibling, order), sibling.filled_qty + room)
            if target <= sibling.filled_qty:
                x.cancel(sibling, CancelReason.OCO, ts, out)
            elif target != sibling.quantity:
                x.resize(sibling, target, ts, out, ModifyCause.LINKED)
    elif role is OrderRole.OCO:
        other = x.orders[order.linked_ids[0]]
        if other.is_open:
            target = oco_target_quantity(other, order, qty)
            if target <= other.filled_qty:
                x.cancel(other, CancelReason.OCO, ts, out)
            elif target != other.quantity:
                x.resize(other, target, ts, out, ModifyCause.LINKED)
    fit_to_position(x, order.account_id, order.contract_id, ts, out)


def after_end(x: PaperExchange, order: Order, ts: int, out: Events) -> None:
    """A bracket entry that ended (cancelled, expired, rejected) takes its still-held exits with it: reason
    BRACKET when it never filled, POSITION_FLAT when its fills left them nothing to reduce."""
    if order.role is not OrderRole.BRACKET_ENTRY:
        return
    bracket = x.brackets[order.order_id]
    reason = CancelReason.BRACKET if order.filled_qty == 0 else CancelReason.POSITION_FLAT
    for child_id in (bracket.stop_loss_id, bracket.take_profit_id):
        child = x.orders[child_id]
        if child.status is OrderStatus.HELD:
            x.cancel(child, reason, ts, out)


def fit_to_position(x: PaperExchange, account_id: AccountId, contract_id: str, ts: int, out: Events) -> None:
    """Cut every working reduce-only order of the account and contract to the position; cancel those with
    nothing left to reduce (and the unfilled remainder of a bracket entry whose exits those were)."""
    held = x.exits.get((account_id, contract_id))
    if not held:
        return
    position = x.positions.get(account_id, contract_id)
    for order_id in tuple(held):
        order = x.orders[order_id]
        if not order.is_open or order.status is OrderStatus.HELD:
            continue
        room = reducible(order.side, position)
        if room == 0:
            x.cancel(order, CancelReason.POSITION_FLAT, ts, out)
            if order.role in _CHILDREN and order.bracket_id is not None:
                entry = x.orders[order.bracket_id]
                if entry.is_open:
                    x.cancel(entry, CancelReason.BRACKET, ts, out)
        elif order.leaves_qty > room:
            x.resize(order, order.filled_qty + room, ts, out, ModifyCause.REDUCE_ONLY)


def _exit_market(x: PaperExchange, contract_id: str, exit_side: OrderSide) -> int | None:
    """The price a position would exit on now: the bid for a sell, the ask for a buy; else the last trade."""
    book = x.books.get(contract_id)
    if book is None:
        return None
    if book.quote is not None and not book.quote_stale:
        return book.quote.bid if exit_side is OrderSide.SELL else book.quote.ask
    return book.last_trade.price if book.last_trade is not None else None


def _entry_filled(x: PaperExchange, entry: Order, ts: int, out: Events) -> None:
    """Anchor the exits on the entry's average fill, size them to what it filled (capped by the position), and
    put them to work; or exit at once when the stop is already hit."""
    bracket = x.brackets[entry.order_id]
    sl, tp = x.orders[bracket.stop_loss_id], x.orders[bracket.take_profit_id]
    if not sl.is_open and not tp.is_open:
        return
    room = reducible(sl.side, x.positions.get(entry.account_id, entry.contract_id))
    if room == 0:  # the fills so far only closed an opposite position: nothing to protect
        if not entry.is_open:
            for child in (sl, tp):
                if child.is_open:
                    x.cancel(child, CancelReason.POSITION_FLAT, ts, out)
        return
    average = Fraction(entry.filled_cost, entry.filled_qty)
    stop = sl.stop_price if sl.offset_ticks is None else anchored_stop(entry.side, average, sl.offset_ticks)
    assert stop is not None  # a stop-loss is a price or a distance
    target = tp.limit_price
    if tp.offset_ticks is not None or tp.target_r is not None:
        target = anchored_target(entry.side, average, tp.offset_ticks, tp.target_r, stop)
    if sl.is_open and stop_is_hit(entry.side, average, stop, _exit_market(x, entry.contract_id, sl.side)):
        _exit_at_once(x, bracket, stop, room, ts, out)
        return
    for child_id, price in ((bracket.stop_loss_id, stop), (bracket.take_profit_id, target)):
        child = x.orders[child_id]
        if not child.is_open:
            continue
        if price is None:  # an R target without a stop to measure from
            x.cancel(child, CancelReason.BRACKET, ts, out)
            continue
        sibling = x.orders[bracket.sibling_of(child_id)]
        quantity = min(child_target_quantity(entry, child, sibling), child.filled_qty + room)
        _place_exit(x, child, price, quantity, ts, out)


def _place_exit(x: PaperExchange, child: Order, price: int, quantity: int, ts: int, out: Events) -> None:
    if child.triggered:  # already reached: it exits at market, only its size follows the entry
        priced = child
    elif child.order_type is OrderType.STOP:
        priced = replace_order(child, stop_price=price)
    else:
        priced = replace_order(child, limit_price=price)
    if child.status is OrderStatus.HELD:
        child = x.set(replace_order(priced, quantity=quantity, status=OrderStatus.WORKING))
        out.append(OrderWorking(child.account_id, child.order_id, quantity, ts))
        x.activate(child, ts, out)
    elif priced != child or quantity != child.quantity:
        cause = ModifyCause.ANCHORED if priced != child else ModifyCause.LINKED
        x.modify(replace_order(priced, quantity=quantity), ts, out, cause)


def _exit_at_once(x: PaperExchange, bracket: Bracket, stop: int, room: int, ts: int, out: Events) -> None:
    """A trade whose stop is already hit is exited: refuse the stop-loss, end the rest of the bracket, and close
    what the bracket holds with a market order that arrives at once."""
    sl = x.orders[bracket.stop_loss_id]
    if sl.stop_price != stop:
        sl = x.set(replace_order(sl, stop_price=stop))  # the refused leg shows the level that was already hit
    x.cancel(sl, CancelReason.STOP_THROUGH, ts, out)
    for order_id in (bracket.take_profit_id, bracket.entry_id):
        order = x.orders[order_id]
        if order.is_open:
            x.cancel(order, CancelReason.BRACKET, ts, out)
    entry, tp = x.orders[bracket.entry_id], x.orders[bracket.take_profit_id]
    quantity = min(entry.filled_qty - sl.filled_qty - tp.filled_qty, room)
    if quantity <= 0:
        return
    close = Order(
        order_id=x.next_order_id(),
        account_id=entry.account_id,
        contract_id=entry.contract_id,
        side=sl.side,
        order_type=OrderType.MARKET,
        quantity=quantity,
        time_in_force=TimeInForce.GTC,
        status=OrderStatus.WORKING,
        role=OrderRole.CLOSE,
        submitted_ns=ts,
        arrival_ns=ts,
        expire_ns=0,
        bracket_id=None,
        tag=entry.tag,
        reduce_only=True,
    )
    x.set(close)
    out.append(OrderAccepted(close, ts))
    out.append(OrderWorking(close.account_id, close.order_id, quantity, ts))
    x.activate(close, ts, out)
