"""PaperExchange: the simulated venue: arrivals after latency, DAY expiry, matching and fills.

It holds every order and applies the rules of fill_model.py; what follows a fill or the end of an order
(bracket exits, OCO siblings, reduce-only orders cut to the position) is in linkage.py. The engine validates
commands, allocates ids and runs pre-trade checks before handing orders here. Events are appended to the
caller's list in the order they happen; a tick that reaches nothing returns the shared empty tuple without
allocating.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import TypeVar

from core_server.execution.accounts import AccountBook, CommissionSchedule
from core_server.execution.brackets import Bracket
from core_server.execution.events import (
    AccountBalanceChanged,
    ExecutionEvent,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    OrderTriggered,
    OrderWorking,
    PositionChanged,
)
from core_server.execution.exits import reducible
from core_server.execution.fill_model import UNLIMITED, PaperFillModel
from core_server.execution.linkage import after_end, after_fill
from core_server.execution.matching import ContractBook
from core_server.execution.model import (
    AccountId,
    CancelReason,
    Fill,
    FillId,
    Liquidity,
    ModifyCause,
    Order,
    OrderId,
    OrderSide,
    OrderStatus,
    replace_order,
)
from core_server.execution.positions import PositionBook
from core_server.model.instruments import InstrumentSpec
from core_server.model.market_data import Quote, Trade

NO_EVENTS: tuple[ExecutionEvent, ...] = ()
_NEVER = 1 << 62
_LIMIT, _STOP, _MARKET = 0, 1, 2
BUY, SELL = OrderSide.BUY, OrderSide.SELL
Events = list[ExecutionEvent]
_K = TypeVar("_K")


class PaperExchange:
    def __init__(self, fill_model: PaperFillModel, commissions: CommissionSchedule) -> None:
        self.fill_model = fill_model
        self.commissions = commissions.copy()  # account overrides change this engine's copy only
        self.positions = PositionBook()
        self.accounts = AccountBook()
        self.orders: dict[OrderId, Order] = {}
        self.books: dict[str, ContractBook] = {}
        self.specs: dict[str, InstrumentSpec] = {}
        self.brackets: dict[OrderId, Bracket] = {}  # by entry id and by each child id
        self.rest: dict[OrderId, tuple[int, int, int]] = {}  # id -> (kind, price, seq) while on a book
        self.expiries: list[tuple[int, int, OrderId]] = []
        self.next_arrival = _NEVER  # the earliest arrival over every book
        self.next_expiry = _NEVER
        self.seq = 0
        self.fill_seq = 0
        self.order_seq = 0  # the n of the newest order id O-n
        # Open reduce-only orders by (account, contract), in acceptance order: what a fill may have to cut.
        self.exits: dict[tuple[AccountId, str], dict[OrderId, None]] = {}
        # Open orders (pending, held, working, triggered, partially filled) in acceptance order (= id order):
        # every one, by account, and by (account, contract). Kept by `set` on every status change and rebuilt by
        # a restore, so queries for open orders cost in proportion to the open orders, not the day's history.
        self.open_ids: dict[OrderId, None] = {}
        self.open_by_account: dict[AccountId, dict[OrderId, None]] = {}
        self.open_by_contract: dict[tuple[AccountId, str], dict[OrderId, None]] = {}
        self._partial = fill_model.settings.partial_fills
        # Accounts whose orders work at a broker (LIVE): kept here as the kernel's book of them, never matched
        # against the simulated market; the broker's fills reach them as BookBrokerFill commands.
        self.routed: set[AccountId] = set()

    # -- setup --------------------------------------------------------------------------------------------

    def book(self, contract_id: str) -> ContractBook:
        book = self.books.get(contract_id)
        if book is None:
            book = self.books[contract_id] = ContractBook(contract_id, self.fill_model.touch)
        return book

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def next_order_id(self) -> OrderId:
        self.order_seq += 1
        return OrderId(f"O-{self.order_seq}")

    def market_reference(self, contract_id: str, side: OrderSide) -> int | None:
        """The reference price of a market order accepted now: the opposite side of the book (the ask for a buy,
        the bid for a sell); the last trade when no quote was seen or a later trade printed outside it (the quote is
        stale); None before the contract has any market."""
        book = self.books.get(contract_id)
        if book is None:
            return None
        q = book.quote
        if q is not None and not book.quote_stale:
            return q.ask if side is BUY else q.bid
        last = book.last_trade
        return last.price if last is not None else None

    def accept(self, order: Order) -> None:
        """Store a newly accepted order: pending until its arrival, or held (bracket child) until its entry fills."""
        self.set(order)
        book = self.book(order.contract_id)
        if order.status is OrderStatus.PENDING:
            heappush(book.arrivals, (order.arrival_ns, self._next_seq(), order.order_id))
            book.next_arrival = book.arrivals[0][0]
            self.next_arrival = min(self.next_arrival, book.next_arrival)
        if order.expire_ns:
            heappush(self.expiries, (order.expire_ns, self._next_seq(), order.order_id))
            if len(self.expiries) > 2 * len(self.open_ids) + 64:
                self._prune_expiries()
            self.next_expiry = self.expiries[0][0]

    def _prune_expiries(self) -> None:
        """Drop the entries of orders no longer open, or whose expiry changed (both skipped when due anyway). Run
        as the heap doubles past the open orders, so the heap, and every rollback point's copy of it, holds about
        the open orders rather than the day's: a busy day's DAY orders (a copy fan-out's) stay in it until the
        trading-day roll otherwise."""
        orders = self.orders
        self.expiries = [
            e for e in self.expiries if (o := orders.get(e[2])) is not None and o.is_open and o.expire_ns == e[0]
        ]
        heapify(self.expiries)

    # -- ticks and time -----------------------------------------------------------------------------------

    def on_quote(self, q: Quote) -> tuple[ExecutionEvent, ...]:
        book = self.books.get(q.contract_id) or self.book(q.contract_id)
        book.quote = q
        book.quote_stale = False
        if self._partial:
            book.ask_avail = q.ask_size if q.ask_size > 0 else UNLIMITED
            book.bid_avail = q.bid_size if q.bid_size > 0 else UNLIMITED
        else:
            book.ask_avail = book.bid_avail = UNLIMITED
        ts = q.ts_event
        if (
            ts < book.next_arrival
            and ts < self.next_expiry
            and not book.markets
            and book.buy_limit_fire <= q.ask < book.buy_stop_at
            and book.sell_stop_at < q.bid <= book.sell_limit_fire
        ):
            return NO_EVENTS
        out: Events = []
        self._tick(book, ts, q.ask, q.bid, True, out)
        return tuple(out) if out else NO_EVENTS

    def on_trade(self, t: Trade) -> tuple[ExecutionEvent, ...]:
        book = self.books.get(t.contract_id) or self.book(t.contract_id)
        book.last_trade = t
        q = book.quote
        if q is not None and (t.price < q.bid or t.price > q.ask):
            book.quote_stale = True
        book.trade_avail = t.size if self._partial and t.size > 0 else UNLIMITED
        ts, price = t.ts_event, t.price
        if (
            ts < book.next_arrival
            and ts < self.next_expiry
            and book.buy_limit_fire <= price < book.buy_stop_at
            and book.sell_stop_at < price <= book.sell_limit_fire
            and (q is not None or not book.markets)
        ):
            return NO_EVENTS
        out: Events = []
        self._tick(book, ts, price, price, False, out)
        return tuple(out) if out else NO_EVENTS

    def advance_to(self, ts: int, out: Events) -> None:
        """Time passing without a tick: DAY expiry and every book's arrivals (they see their last quote)."""
        if ts >= self.next_expiry:
            self._expire(ts, out)
        if ts >= self.next_arrival:
            for book in self.books.values():
                if ts >= book.next_arrival:
                    self._arrive(book, ts, out)
            self.next_arrival = min((b.next_arrival for b in self.books.values()), default=_NEVER)

    def _tick(self, book: ContractBook, ts: int, buy_px: int, sell_px: int, is_quote: bool, out: Events) -> None:
        if ts >= self.next_expiry:
            self._expire(ts, out)
        if ts >= book.next_arrival:
            self._arrive(book, ts, out)
        if book.markets and (is_quote or book.quote is None):  # trades fill markets only on trade-only data
            for oid in tuple(book.markets):
                order = self.orders[oid]
                if order.is_open:
                    self._fill_market(book, order, ts, out)
        while True:
            if is_quote:
                buy_open, sell_open = book.ask_avail > 0, book.bid_avail > 0
            else:
                buy_open = sell_open = book.trade_avail > 0
            due = book.next_due(buy_px, sell_px, buy_open, sell_open)
            if due is None:
                return
            order = self.orders[due]
            if order.acts_as_limit:
                self._fill_resting_limit(book, order, is_quote, ts, out)
            else:
                self._trigger(book, order, buy_px if order.side is BUY else sell_px, ts, out)

    def _expire(self, ts: int, out: Events) -> None:
        heap = self.expiries
        while heap and heap[0][0] <= ts:
            expire_ns, _, oid = heappop(heap)
            order = self.orders[oid]
            if order.is_open and order.expire_ns == expire_ns:
                self.unrest(order)
                order = self.set(replace_order(order, status=OrderStatus.EXPIRED))
                out.append(OrderExpired(order.account_id, oid, expire_ns))
                after_end(self, order, ts, out)
        self.next_expiry = heap[0][0] if heap else _NEVER

    def _arrive(self, book: ContractBook, ts: int, out: Events) -> None:
        heap = book.arrivals
        while heap and heap[0][0] <= ts:
            arrival_ns, _, oid = heappop(heap)
            order = self.orders[oid]
            if order.status is not OrderStatus.PENDING:
                continue
            order = self.set(replace_order(order, status=OrderStatus.WORKING))
            out.append(OrderWorking(order.account_id, oid, order.quantity, arrival_ns))
            self.activate(order, ts, out, arriving=True)
        book.next_arrival = heap[0][0] if heap else _NEVER

    # -- working an order ---------------------------------------------------------------------------------

    def activate(self, order: Order, ts: int, out: Events, arriving: bool = False) -> None:
        """Put a working order to work: fill what is marketable now, rest the remainder."""
        if order.account_id in self.routed:  # it works at the broker
            return
        book = self.books[order.contract_id]
        oid = order.order_id
        if order.acts_as_market:
            if book.quote is None and book.last_trade is None and arriving:
                order = self.set(replace_order(order, status=OrderStatus.REJECTED))
                out.append(OrderRejected(order.account_id, oid, f"no market for {order.contract_id} yet", ts))
                after_end(self, order, ts, out)
                return
            book.markets.append(oid)
            self.rest[oid] = (_MARKET, 0, 0)
            self._fill_market(book, order, ts, out)
            return
        if order.acts_as_limit:
            limit = order.limit_price
            assert limit is not None
            q = book.quote
            if q is not None and not book.quote_stale:
                if order.side is BUY and q.ask <= limit and book.ask_avail > 0:
                    qty = min(order.leaves_qty, book.ask_avail)
                    book.ask_avail -= qty
                    self._apply_fill(order, qty, q.ask, Liquidity.TAKER, ts, out)
                elif order.side is SELL and q.bid >= limit and book.bid_avail > 0:
                    qty = min(order.leaves_qty, book.bid_avail)
                    book.bid_avail -= qty
                    self._apply_fill(order, qty, q.bid, Liquidity.TAKER, ts, out)
                order = self.orders[oid]
            if order.is_open:
                seq = self._next_seq()
                book.add_limit(order.side, limit, seq, oid)
                self.rest[oid] = (_LIMIT, limit, seq)
            return
        stop = order.stop_price
        assert stop is not None
        seq = self._next_seq()
        book.add_stop(order.side, stop, seq, oid)
        self.rest[oid] = (_STOP, stop, seq)

    def _trigger(self, book: ContractBook, order: Order, price: int, ts: int, out: Events) -> None:
        self.unrest(order)
        order = self.set(replace_order(order, triggered=True, status=OrderStatus.TRIGGERED))
        out.append(OrderTriggered(order.account_id, order.order_id, price, ts))
        self.activate(order, ts, out)

    def _fill_market(self, book: ContractBook, order: Order, ts: int, out: Events) -> None:
        """Fill at the quote (the ask for a buy, the bid for a sell) plus slippage. On trade-only data (no quote
        ever seen for the contract: most tick files) the last trade price stands in for both sides."""
        q = book.quote
        if q is None:
            last = book.last_trade
            if last is None:
                return
            ask = bid = last.price
            trade_only = True
        elif book.quote_stale:
            return
        else:
            ask, bid = q.ask, q.bid
            trade_only = False
        stop = order.stop_price if order.triggered else None
        if order.side is BUY:
            qty = min(order.leaves_qty, book.trade_avail if trade_only else book.ask_avail)
            if qty <= 0:
                return
            if trade_only:
                book.trade_avail -= qty
            else:
                book.ask_avail -= qty
            base = ask if stop is None or ask >= stop else stop
            price = base + self.fill_model.slippage_ticks(order.order_id, order.filled_qty)
        else:
            qty = min(order.leaves_qty, book.trade_avail if trade_only else book.bid_avail)
            if qty <= 0:
                return
            if trade_only:
                book.trade_avail -= qty
            else:
                book.bid_avail -= qty
            base = bid if stop is None or bid <= stop else stop
            price = base - self.fill_model.slippage_ticks(order.order_id, order.filled_qty)
        self._apply_fill(order, qty, price, Liquidity.TAKER, ts, out)

    def _fill_resting_limit(self, book: ContractBook, order: Order, is_quote: bool, ts: int, out: Events) -> None:
        limit = order.limit_price
        assert limit is not None
        if not is_quote:
            qty = min(order.leaves_qty, book.trade_avail)
            book.trade_avail -= qty
        elif order.side is BUY:
            qty = min(order.leaves_qty, book.ask_avail)
            book.ask_avail -= qty
        else:
            qty = min(order.leaves_qty, book.bid_avail)
            book.bid_avail -= qty
        self._apply_fill(order, qty, limit, Liquidity.MAKER, ts, out)

    # -- fills and what follows them ----------------------------------------------------------------------

    def _apply_fill(self, order: Order, qty: int, price: int, liquidity: Liquidity, ts: int, out: Events) -> None:
        if order.reduce_only:  # never through zero, whatever the order's size says
            qty = min(qty, reducible(order.side, self.positions.get(order.account_id, order.contract_id)))
            if qty <= 0:
                self.cancel(order, CancelReason.POSITION_FLAT, ts, out)
                return
        spec = self.specs[order.contract_id]
        fee = self.commissions.for_fill(spec.root, qty, order.account_id)
        filled = order.filled_qty + qty
        status = OrderStatus.FILLED if filled == order.quantity else OrderStatus.PARTIALLY_FILLED
        order = self.set(
            replace_order(order, filled_qty=filled, filled_cost=order.filled_cost + price * qty, status=status)
        )
        if status is OrderStatus.FILLED:
            self.unrest(order)
        self.fill_seq += 1
        fill = Fill(
            FillId(f"F-{self.fill_seq}"),
            order.order_id,
            order.account_id,
            order.contract_id,
            order.side,
            qty,
            price,
            fee,
            liquidity,
            ts,
        )
        out.append(OrderFilled(fill, filled, order.leaves_qty))
        signed = qty if order.side is BUY else -qty
        position, ticks, dollars = self.positions.apply_fill(
            order.account_id, order.contract_id, spec, signed, price, fee
        )
        out.append(PositionChanged(position, ticks, dollars, ts))
        account = self.accounts.book_fill(order.account_id, dollars, fee)
        out.append(AccountBalanceChanged(account, dollars, fee, ts))
        after_fill(self, order, qty, ts, out)

    def resize(self, order: Order, quantity: int, ts: int, out: Events, cause: ModifyCause) -> None:
        order = self.set(replace_order(order, quantity=quantity))
        out.append(
            OrderModified(order.account_id, order.order_id, quantity, order.limit_price, order.stop_price, ts, cause)
        )

    # -- ending and changing orders -----------------------------------------------------------------------

    def cancel(self, order: Order, reason: CancelReason, ts: int, out: Events) -> None:
        self.unrest(order)
        order = self.set(replace_order(order, status=OrderStatus.CANCELLED))
        out.append(OrderCancelled(order.account_id, order.order_id, reason, ts))
        after_end(self, order, ts, out)

    def modify(self, new: Order, ts: int, out: Events, cause: ModifyCause = ModifyCause.REQUESTED) -> None:
        """Replace an open order's quantity/prices; a working one re-enters the book (and may fill now)."""
        old = self.orders[new.order_id]
        resting = new.order_id in self.rest
        self.unrest(old)
        self.set(new)
        out.append(
            OrderModified(new.account_id, new.order_id, new.quantity, new.limit_price, new.stop_price, ts, cause)
        )
        if resting:
            self.activate(new, ts, out)

    def unrest(self, order: Order) -> None:
        where = self.rest.pop(order.order_id, None)
        if where is None:
            return
        kind, price, seq = where
        book = self.books[order.contract_id]
        if kind == _LIMIT:
            book.remove_limit(order.side, price, seq, order.order_id)
        elif kind == _STOP:
            book.remove_stop(order.side, price, seq, order.order_id)
        else:
            book.remove_market(order.order_id)

    def set(self, order: Order) -> Order:
        """Store an order's new state (and keep the indexes of open orders and open reduce-only orders)."""
        oid = order.order_id
        self.orders[oid] = order
        key = (order.account_id, order.contract_id)
        if order.status.is_open:
            if oid not in self.open_ids:
                self.open_ids[oid] = None
                self.open_by_account.setdefault(order.account_id, {})[oid] = None
                self.open_by_contract.setdefault(key, {})[oid] = None
            if order.reduce_only:
                self.exits.setdefault(key, {})[oid] = None
        else:
            if oid in self.open_ids:
                del self.open_ids[oid]
                _drop(self.open_by_account, order.account_id, oid)
                _drop(self.open_by_contract, key, oid)
            if order.reduce_only and key in self.exits:
                self.exits[key].pop(oid, None)
        return order

    def index_open(self) -> None:
        """Rebuild the open-order indexes from `orders` (after a restore replaced them)."""
        self.open_ids, self.open_by_account, self.open_by_contract, self.exits = {}, {}, {}, {}
        for oid, order in self.orders.items():
            if order.status.is_open:
                key = (order.account_id, order.contract_id)
                self.open_ids[oid] = None
                self.open_by_account.setdefault(order.account_id, {})[oid] = None
                self.open_by_contract.setdefault(key, {})[oid] = None
                if order.reduce_only:
                    self.exits.setdefault(key, {})[oid] = None

    def archive_finished(self) -> tuple[OrderId, ...]:
        """Drop every finished order (filled, cancelled, expired, rejected, denied) from memory, except those
        linked to an open one (a bracket with an open leg, an OCO pair with an open leg): they stay stored and
        queryable from the store. Returns the ids dropped, oldest first. Costs the orders held, once a day."""
        orders = self.orders
        gone: list[OrderId] = []
        for oid, order in orders.items():
            if order.status.is_open:
                continue
            bracket = self.brackets.get(oid)
            if bracket is not None and any(
                orders[b].status.is_open for b in (bracket.entry_id, bracket.stop_loss_id, bracket.take_profit_id)
            ):
                continue
            if any(orders[linked].status.is_open for linked in order.linked_ids if linked in orders):
                continue
            gone.append(oid)
        if not gone:
            return ()
        for oid in gone:
            del orders[oid]
            self.brackets.pop(oid, None)
        # Heaps may still name finished orders (skipped lazily when due): keep only the orders still held.
        self._prune_expiries()
        self.next_expiry = self.expiries[0][0] if self.expiries else _NEVER
        for book in self.books.values():
            if any(a[2] not in orders for a in book.arrivals):
                book.arrivals = [a for a in book.arrivals if a[2] in orders]
                heapify(book.arrivals)
                book.next_arrival = book.arrivals[0][0] if book.arrivals else _NEVER
        self.next_arrival = min((b.next_arrival for b in self.books.values()), default=_NEVER)
        return tuple(gone)


def _drop(index: dict[_K, dict[OrderId, None]], key: _K, oid: OrderId) -> None:
    ids = index.get(key)
    if ids is not None:
        ids.pop(oid, None)
        if not ids:
            del index[key]
