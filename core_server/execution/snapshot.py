"""EngineSnapshot: all of the paper engine's mutable state as one comparable value, and its restore.

Market state (the latest quote and trade of each contract) is not part of it: a restore keeps the market the
engine already has, so a command rolled back in-process loses nothing the feed said, and a restarted server
learns the market again from its feed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from heapq import heapify, heappush

from core_server.execution.brackets import Bracket
from core_server.execution.exchange import PaperExchange
from core_server.execution.model import Account, AccountId, Order, OrderId, OrderRole, Position
from core_server.model.instruments import INSTRUMENTS

REST_LIMIT, REST_STOP, REST_MARKET = 0, 1, 2  # the kinds of exchange.rest entries
_NEVER = 1 << 62

Lots = tuple[tuple[int, int], ...]  # (price ticks, signed quantity), oldest first


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    orders: tuple[Order, ...]
    positions: tuple[Position, ...]
    accounts: tuple[Account, ...]
    books: tuple[tuple[str, tuple[OrderId, ...]], ...]
    arrivals: tuple[tuple[int, int, OrderId], ...]
    expiries: tuple[tuple[int, int, OrderId], ...]
    counters: tuple[int, ...]  # (order seq, exchange seq, fill seq)
    rng_state: object | None  # the latency stream's; None: a restore keeps the engine's current stream
    lots: tuple[tuple[AccountId, str, Lots], ...] = ()
    # (order id, kind, price ticks, seq) of every order on a book: limits and stops by seq, then the markets
    # waiting for liquidity in their queue order.
    resting: tuple[tuple[OrderId, int, int, int], ...] = ()
    # A rollback point holds only the orders that were open: a finished order never changes again, so
    # restoring keeps the finished ones the engine already has (and drops orders numbered after it).
    # This keeps a command's rollback cost proportional to the open orders, not to the day's history.
    open_orders_only: bool = False
    # Every account's commission overrides (account, ((root, rate), ...)); None: a restore keeps the engine's
    # (a snapshot rebuilt from the store, whose overrides are loaded on their own).
    commission_overrides: tuple[tuple[AccountId, tuple[tuple[str, Decimal], ...]], ...] | None = None


def snapshot_of(x: PaperExchange, *, open_only: bool = False) -> EngineSnapshot:
    priced = sorted((seq, oid, kind, price) for oid, (kind, price, seq) in x.rest.items() if kind != REST_MARKET)
    markets = [(oid, REST_MARKET, 0, 0) for _, book in sorted(x.books.items()) for oid in book.markets]
    return EngineSnapshot(
        orders=tuple([x.orders[oid] for oid in x.open_ids]) if open_only else tuple(x.orders.values()),
        positions=x.positions.all(),
        accounts=x.accounts.all(),
        books=tuple((cid, book.resting_ids()) for cid, book in sorted(x.books.items())),
        arrivals=tuple(sorted(a for book in x.books.values() for a in book.arrivals)),
        expiries=tuple(sorted(x.expiries)),
        counters=(x.order_seq, x.seq, x.fill_seq),
        rng_state=x.fill_model.rng_state(),
        lots=x.positions.lots(),
        resting=tuple((oid, kind, price, seq) for seq, oid, kind, price in priced) + tuple(markets),
        commission_overrides=x.commissions.all_overrides(),
    )


def rollback_point(x: PaperExchange) -> EngineSnapshot:
    """A snapshot of the open orders only (see EngineSnapshot.open_orders_only), for undoing one command."""
    full = snapshot_of(x, open_only=True)
    return replace(full, open_orders_only=True)


def _order_number(order_id: OrderId) -> int:
    return int(order_id[2:])  # O-n


def restore_exchange(x: PaperExchange, snap: EngineSnapshot) -> None:
    """Replace every piece of the exchange's order, position and account state with the snapshot's."""
    markets = {cid: book for cid, book in x.books.items()}
    if snap.open_orders_only:
        last = snap.counters[0]
        orders = {oid: o for oid, o in x.orders.items() if not o.is_open and _order_number(oid) <= last}
        orders.update((o.order_id, o) for o in snap.orders)
        x.orders = dict(sorted(orders.items(), key=lambda item: _order_number(item[0])))
    else:
        x.orders = {o.order_id: o for o in snap.orders}
    for order in snap.orders:
        if order.contract_id not in x.specs:
            x.specs[order.contract_id] = INSTRUMENTS[order.contract_id[:-5]]
    positions = type(x.positions)()
    lots = {(a, c): held for a, c, held in snap.lots}
    for position in snap.positions:
        if position.contract_id not in x.specs:
            x.specs[position.contract_id] = INSTRUMENTS[position.contract_id[:-5]]
        positions.restore(position, lots.get((position.account_id, position.contract_id), ()))
    x.positions = positions
    accounts = type(x.accounts)()
    for account in snap.accounts:
        accounts.restore(account)
    x.accounts = accounts
    x.index_open()  # the open orders by account and contract, and the open reduce-only ones
    x.brackets = {}
    children: dict[OrderId, dict[OrderRole, OrderId]] = {}
    for order in x.orders.values():
        if order.bracket_id is not None and order.role in (OrderRole.STOP_LOSS, OrderRole.TAKE_PROFIT):
            children.setdefault(order.bracket_id, {})[order.role] = order.order_id
    for entry_id, kids in children.items():
        bracket = Bracket(entry_id, kids[OrderRole.STOP_LOSS], kids[OrderRole.TAKE_PROFIT])
        for oid in (entry_id, bracket.stop_loss_id, bracket.take_profit_id):
            x.brackets[oid] = bracket
    x.books = {}
    for cid, old in markets.items():  # the market the engine has seen stays; only the orders change
        book = x.book(cid)
        book.quote, book.last_trade, book.quote_stale = old.quote, old.last_trade, old.quote_stale
        book.ask_avail, book.bid_avail, book.trade_avail = old.ask_avail, old.bid_avail, old.trade_avail
    x.rest = {}
    for oid, kind, price, seq in snap.resting:
        order = x.orders[oid]
        book = x.book(order.contract_id)
        if kind == REST_LIMIT:
            book.add_limit(order.side, price, seq, oid)
        elif kind == REST_STOP:
            book.add_stop(order.side, price, seq, oid)
        else:
            book.markets.append(oid)
        x.rest[oid] = (kind, price, seq)
    for arrival in snap.arrivals:
        book = x.book(x.orders[arrival[2]].contract_id)
        heappush(book.arrivals, arrival)
        book.next_arrival = book.arrivals[0][0]
    x.next_arrival = min((b.next_arrival for b in x.books.values()), default=_NEVER)
    x.expiries = list(snap.expiries)
    heapify(x.expiries)
    x.next_expiry = x.expiries[0][0] if x.expiries else _NEVER
    x.order_seq, x.seq, x.fill_seq = snap.counters
    if snap.rng_state is not None:
        x.fill_model.set_rng_state(snap.rng_state)
    if snap.commission_overrides is not None:
        x.commissions.accounts = {a: dict(rates) for a, rates in snap.commission_overrides}
