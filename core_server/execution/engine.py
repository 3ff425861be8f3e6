"""PaperExecutionEngine: the pure, synchronous paper-trading core (SPEC §5) that backtests and the server share.

Commands in, events out: `execute(command, now_ns)` validates the whole command first (InvalidArgument naming
the field, NotFound, FailedPrecondition; nothing changes when it raises), then runs pre-trade checks and
returns every event it caused. `on_quote`/`on_trade`/`on_tick` return the events a tick caused (the shared
empty tuple when it reached nothing); `advance_to(now_ns)` lets time pass without a tick (DAY expiry,
arrivals). Nothing reads a clock, sleeps or does I/O; randomness comes only from the seeded fill model,
so the same commands, ticks and seed always give the same events. Time does not advance implicitly in
`execute`: the shell calls `advance_to` (or feeds ticks) so every time-driven event is journaled once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from core_server.calendar.trading_day import trading_day_bounds
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.brackets import Bracket
from core_server.execution.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ExecutionCommand,
    FlattenAccount,
    ModifyOrder,
    OpenAccount,
    ResetAccount,
    ReversePosition,
    SubmitBracket,
    SubmitBracketBatch,
    SubmitOcoPair,
    SubmitOrder,
)
from core_server.execution.events import (
    AccountBalanceChanged,
    AccountOpened,
    AccountReset,
    ExecutionEvent,
    OrderAccepted,
    OrderDenied,
    PositionChanged,
)
from core_server.execution.exchange import NO_EVENTS, Events, PaperExchange
from core_server.execution.fill_model import FillSettings, PaperFillModel
from core_server.execution.model import (
    AccountId,
    CancelReason,
    MarkPrice,
    Order,
    OrderId,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    TimeInForce,
)
from core_server.execution.modification import modified_order
from core_server.execution.ports import PreTradeCheck
from core_server.execution.price_bands import PriceBands, reference_price
from core_server.execution.queries import ExecutionQueries
from core_server.execution.snapshot import EngineSnapshot, restore_exchange, rollback_point, snapshot_of
from core_server.execution.validation import (
    MAX_BATCH,
    OrderRequest,
    check_bracket_sides,
    check_enums,
    check_stop_side,
    order_prices,
    tick_price,
    whole_quantity,
)
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import Quote, Tick, Trade
from core_server.model.symbols import parse_symbol

_ZERO = Decimal(0)


class PaperExecutionEngine(ExecutionQueries):
    """Paper accounts, orders, fills and positions. `on_quote`/`on_trade` are the per-tick hot path."""

    def __init__(
        self,
        *,
        fill_settings: FillSettings | None = None,
        commissions: CommissionSchedule | None = None,
        mark: MarkPrice = MarkPrice.LAST_TRADE,
        pre_trade_checks: Sequence[PreTradeCheck] = (),
        price_bands: PriceBands | None = None,
    ) -> None:
        self.fill_model = PaperFillModel(fill_settings or FillSettings())
        super().__init__(PaperExchange(self.fill_model, commissions or CommissionSchedule()), mark)
        self._checks: list[PreTradeCheck] = list(pre_trade_checks)
        self._bands = price_bands  # None: prices are not checked against the market (synthetic backtests)
        self._listings: dict[str, Contract] = {}
        self._order_seq = 0
        # Bound straight to the exchange so a tick costs one call.
        self.on_quote: Callable[[Quote], tuple[ExecutionEvent, ...]] = self._x.on_quote
        self.on_trade: Callable[[Trade], tuple[ExecutionEvent, ...]] = self._x.on_trade

    def add_pre_trade_check(self, check: PreTradeCheck) -> None:
        self._checks.append(check)

    # -- time and ticks -----------------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> tuple[ExecutionEvent, ...]:
        return self._x.on_quote(tick) if type(tick) is Quote else self._x.on_trade(tick)  # type: ignore[arg-type]

    def advance_to(self, now_ns: int) -> tuple[ExecutionEvent, ...]:
        out: Events = []
        self._x.advance_to(now_ns, out)
        return tuple(out) if out else NO_EVENTS

    # -- commands -----------------------------------------------------------------------------------------

    def execute(self, command: ExecutionCommand, now_ns: int) -> tuple[ExecutionEvent, ...]:
        out: Events = []
        match command:
            case SubmitOrder():
                request = self._order_request(command, now_ns, "", OrderRole.STANDALONE)
                self._place_single(request, now_ns, out)
            case SubmitBracket():
                self._place_bracket(self._bracket_requests(command, now_ns, ""), now_ns, out)
            case SubmitBracketBatch():
                self._submit_batch(command, now_ns, out)
            case SubmitOcoPair():
                self._submit_oco(command, now_ns, out)
            case ModifyOrder():
                self._modify(command, now_ns, out)
            case CancelOrder():
                order = self._open_order(command.account_id, command.order_id)
                self._x.cancel(order, CancelReason.REQUESTED, now_ns, out)
            case CancelAllOrders():
                self._account(command.account_id)
                contract = None
                if command.contract_id is not None:
                    contract = self._contract(command.contract_id, now_ns, "contract_id")[0]
                self._cancel_open(command.account_id, contract, CancelReason.REQUESTED, now_ns, out)
            case ClosePosition() | ReversePosition():
                self._close(command, now_ns, out)
            case FlattenAccount():
                self._account(command.account_id)
                self._cancel_open(command.account_id, None, CancelReason.FLATTEN, now_ns, out)
                for position in self._x.positions.of_account(command.account_id):
                    if position.net_qty:
                        self._place_closing(position, abs(position.net_qty), OrderRole.CLOSE, now_ns, out)
            case OpenAccount():
                self._open_account(command, now_ns, out)
            case ResetAccount():
                self._reset(command.account_id, now_ns, out)
            case _:
                raise InvalidArgument("command", f"unknown command {type(command).__name__}")
        return tuple(out)

    # -- validation ---------------------------------------------------------------------------------------

    def _contract(self, contract_id: object, now_ns: int, field: str) -> tuple[str, InstrumentSpec]:
        if not isinstance(contract_id, str):
            raise InvalidArgument(field, "a contract id such as NQZ2026 is required")
        spec = self._x.specs.get(contract_id)
        if spec is not None:
            return contract_id, spec
        contract = parse_symbol(contract_id, now_ns, field)
        self._x.specs[contract.id] = contract.spec
        return contract.id, contract.spec

    def _require_listed(self, contract_id: str, now_ns: int, field: str) -> None:
        """New exposure only in a contract that trades now: listed and not expired (InvalidArgument)."""
        contract = self._listings.get(contract_id)
        if contract is None:
            contract = self._listings[contract_id] = parse_symbol(contract_id, now_ns, field)
        contract.require_listed(now_ns, field)

    def _check_bands(self, spec: InstrumentSpec, contract_id: str, prices: Iterable[tuple[str, int | None]]) -> None:
        if self._bands is not None:
            book = self._x.books.get(contract_id)
            quote, trade = (book.quote, book.last_trade) if book is not None else (None, None)
            self._bands.check_prices(spec, contract_id, prices, reference_price(quote, trade))

    def _market_refs(self, contract_id: str) -> tuple[int | None, int | None]:
        """(what a buy would pay, what a sell would get): the quote, else the last trade, else unknown."""
        book = self._x.books.get(contract_id)
        if book is None:
            return None, None
        if book.quote is not None:
            return book.quote.ask, book.quote.bid
        if book.last_trade is not None:
            return book.last_trade.price, book.last_trade.price
        return None, None

    def _order_request(self, cmd: SubmitOrder, now_ns: int, prefix: str, role: OrderRole) -> OrderRequest:
        self._account(cmd.account_id, prefix + "account_id")
        contract_id, spec = self._contract(cmd.contract_id, now_ns, prefix + "contract_id")
        self._require_listed(contract_id, now_ns, prefix + "contract_id")
        check_enums(cmd.side, cmd.order_type, cmd.time_in_force, prefix)
        quantity = whole_quantity(cmd.quantity, prefix + "quantity")
        limit, stop = order_prices(spec, cmd.order_type, cmd.limit_price, cmd.stop_price, prefix)
        if stop is not None:
            ask, bid = self._market_refs(contract_id)
            check_stop_side(spec, cmd.side, stop, ask, bid, prefix + "stop_price")
        self._check_bands(spec, contract_id, ((prefix + "stop_price", stop), (prefix + "limit_price", limit)))
        return OrderRequest(
            cmd.account_id, contract_id, spec, cmd.side, cmd.order_type, quantity, cmd.time_in_force, limit, stop, role,
            cmd.tag,
        )  # fmt: skip

    def _bracket_requests(self, cmd: SubmitBracket, now_ns: int, prefix: str) -> tuple[OrderRequest, ...]:
        """(entry, stop-loss, take-profit) requests of a checked bracket."""
        if cmd.entry_type not in (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP):
            raise InvalidArgument(prefix + "entry_type", "a bracket entry is MARKET, LIMIT or STOP")
        entry_limit = cmd.entry_price if cmd.entry_type is OrderType.LIMIT else None
        entry_stop = cmd.entry_price if cmd.entry_type is OrderType.STOP else None
        if cmd.entry_type is OrderType.MARKET and cmd.entry_price is not None:
            raise InvalidArgument(prefix + "entry_price", "not allowed on a MARKET entry")
        if cmd.entry_type is not OrderType.MARKET and cmd.entry_price is None:
            raise InvalidArgument(prefix + "entry_price", f"required for a {cmd.entry_type.name} entry")
        try:
            entry = self._order_request(
                SubmitOrder(cmd.account_id, cmd.contract_id, cmd.side, cmd.quantity, cmd.entry_type,
                            cmd.time_in_force, entry_limit, entry_stop, cmd.tag),
                now_ns, prefix, OrderRole.BRACKET_ENTRY,
            )  # fmt: skip
        except InvalidArgument as exc:
            if exc.field in (prefix + "limit_price", prefix + "stop_price"):
                raise InvalidArgument(prefix + "entry_price", exc.reason) from None
            raise
        spec = entry.spec
        stop_loss = tick_price(spec, cmd.stop_loss, prefix + "stop_loss")
        take_profit = tick_price(spec, cmd.take_profit, prefix + "take_profit")
        check_bracket_sides(spec, cmd.side, self._entry_reference(entry), stop_loss, take_profit, prefix)
        exit_side = cmd.side.opposite
        sl = replace(entry, side=exit_side, order_type=OrderType.STOP, limit_price=None, stop_price=stop_loss,
                     role=OrderRole.STOP_LOSS)  # fmt: skip
        tp = replace(entry, side=exit_side, order_type=OrderType.LIMIT, limit_price=take_profit, stop_price=None,
                     role=OrderRole.TAKE_PROFIT)  # fmt: skip
        return entry, sl, tp

    def _entry_reference(self, entry: OrderRequest | Order) -> int | None:
        if entry.order_type is OrderType.LIMIT:
            return entry.limit_price
        if entry.order_type is OrderType.STOP:
            return entry.stop_price
        ask, bid = self._market_refs(entry.contract_id)
        return ask if entry.side is OrderSide.BUY else bid

    def _open_order(self, account_id: AccountId, order_id: OrderId) -> Order:
        self._account(account_id)
        order = self._x.orders.get(order_id)
        if order is None or order.account_id != account_id:
            raise NotFound("order_id", f"no order {order_id!r} in account {account_id!r}")
        if not order.is_open:
            raise FailedPrecondition(f"order {order_id} is {order.status.name.lower()}; only open orders change")
        return order

    # -- placing orders -----------------------------------------------------------------------------------

    def _new_order(self, req: OrderRequest, now_ns: int, status: OrderStatus) -> Order:
        self._order_seq += 1
        return Order(
            order_id=OrderId(f"O-{self._order_seq}"),
            account_id=req.account_id,
            contract_id=req.contract_id,
            side=req.side,
            order_type=req.order_type,
            quantity=req.quantity,
            time_in_force=req.time_in_force,
            status=status,
            role=req.role,
            submitted_ns=now_ns,
            arrival_ns=0,
            expire_ns=trading_day_bounds(now_ns)[2] if req.time_in_force is TimeInForce.DAY else 0,
            limit_price=req.limit_price,
            stop_price=req.stop_price,
            tag=req.tag,
        )

    def _denial(self, order: Order) -> str | None:
        for check in self._checks:
            reason = check.check(order, self)
            if reason is not None:
                return reason
        return None

    def _accept(self, orders: Iterable[Order], now_ns: int, out: Events) -> None:
        for order in orders:
            if order.status is OrderStatus.PENDING:
                order = replace(order, arrival_ns=now_ns + self.fill_model.latency_ns())
            self._x.accept(order)
            out.append(OrderAccepted(order, now_ns))

    def _deny(self, orders: Iterable[Order], reason: str, now_ns: int, out: Events) -> None:
        for order in orders:
            denied = replace(order, status=OrderStatus.DENIED)
            self._x.orders[denied.order_id] = denied
            out.append(OrderDenied(denied, reason, now_ns))

    def _place_single(self, req: OrderRequest, now_ns: int, out: Events) -> None:
        order = self._new_order(req, now_ns, OrderStatus.PENDING)
        reason = self._denial(order)
        if reason is None:
            self._accept((order,), now_ns, out)
        else:
            self._deny((order,), reason, now_ns, out)

    def _place_bracket(self, reqs: tuple[OrderRequest, ...], now_ns: int, out: Events) -> None:
        entry_req, sl_req, tp_req = reqs
        entry = self._new_order(entry_req, now_ns, OrderStatus.PENDING)
        sl = self._new_order(sl_req, now_ns, OrderStatus.HELD)
        tp = self._new_order(tp_req, now_ns, OrderStatus.HELD)
        entry, sl, tp = (replace(o, bracket_id=entry.order_id) for o in (entry, sl, tp))
        reason = self._denial(entry)
        if reason is not None:
            self._deny((entry, sl, tp), reason, now_ns, out)
            return
        bracket = Bracket(entry.order_id, sl.order_id, tp.order_id)
        for order in (entry, sl, tp):
            self._x.brackets[order.order_id] = bracket
        self._accept((entry, sl, tp), now_ns, out)

    def _submit_batch(self, cmd: SubmitBracketBatch, now_ns: int, out: Events) -> None:
        if not isinstance(cmd.brackets, tuple) or not 1 <= len(cmd.brackets) <= MAX_BATCH:
            raise InvalidArgument("brackets", f"between 1 and {MAX_BATCH} brackets are required")
        checked = [self._bracket_requests(b, now_ns, f"brackets[{i}].") for i, b in enumerate(cmd.brackets)]
        for reqs in checked:
            self._place_bracket(reqs, now_ns, out)

    def _submit_oco(self, cmd: SubmitOcoPair, now_ns: int, out: Events) -> None:
        first = self._order_request(cmd.first, now_ns, "first.", OrderRole.OCO)
        second = self._order_request(cmd.second, now_ns, "second.", OrderRole.OCO)
        if first.account_id != second.account_id:
            raise InvalidArgument("second.account_id", "both legs of an OCO pair belong to one account")
        a = self._new_order(first, now_ns, OrderStatus.PENDING)
        b = self._new_order(second, now_ns, OrderStatus.PENDING)
        a, b = replace(a, linked_ids=(b.order_id,)), replace(b, linked_ids=(a.order_id,))
        reason = self._denial(a) or self._denial(b)
        if reason is None:
            self._accept((a, b), now_ns, out)
        else:
            self._deny((a, b), reason, now_ns, out)

    def _place_closing(self, position: Position, quantity: int, role: OrderRole, now_ns: int, out: Events) -> None:
        side = OrderSide.SELL if position.net_qty > 0 else OrderSide.BUY
        spec = self._x.specs[position.contract_id]
        req = OrderRequest(position.account_id, position.contract_id, spec, side, OrderType.MARKET, quantity,
                           TimeInForce.GTC, None, None, role)  # fmt: skip
        self._place_single(req, now_ns, out)

    # -- changing and ending ------------------------------------------------------------------------------

    def _modify(self, cmd: ModifyOrder, now_ns: int, out: Events) -> None:
        order = self._open_order(cmd.account_id, cmd.order_id)
        spec = self._x.specs[order.contract_id]
        bracket = self._x.brackets.get(order.order_id)
        new = modified_order(
            order, cmd, spec, self._market_refs(order.contract_id), bracket, self._x.orders, self._entry_reference
        )
        self._check_bands(spec, order.contract_id, (
            ("limit_price", new.limit_price if new.limit_price != order.limit_price else None),
            ("stop_price", new.stop_price if new.stop_price != order.stop_price else None),
        ))  # fmt: skip
        added = new.quantity - order.quantity
        if added > 0:
            # Only a larger quantity adds exposure (prices move no worst case); the checks see the increment
            # alone as what could still fill, since the order itself is already counted as open, and the new
            # total as its quantity (a per-order size limit applies to the whole order).
            reason = self._denial(
                replace(order, quantity=new.quantity, filled_qty=new.quantity - added, submitted_ns=now_ns)
            )
            if reason is not None:
                raise FailedPrecondition(f"modify denied: {reason}")
        self._x.modify(new, now_ns, out)
        if bracket is not None and order.role is OrderRole.BRACKET_ENTRY and new.quantity != order.quantity:
            for child_id in (bracket.stop_loss_id, bracket.take_profit_id):
                child = self._x.orders[child_id]
                if child.status is OrderStatus.HELD:
                    self._x.resize(child, new.quantity, now_ns, out)

    def _cancel_open(
        self, account_id: AccountId, contract_id: str | None, reason: CancelReason, now_ns: int, out: Events
    ) -> None:
        ids = [o.order_id for o in self.open_orders(account_id, contract_id)]
        for order_id in ids:
            order = self._x.orders[order_id]
            if order.is_open:  # an earlier cancel may have taken it with it
                self._x.cancel(order, reason, now_ns, out)

    def _close(self, cmd: ClosePosition | ReversePosition, now_ns: int, out: Events) -> None:
        self._account(cmd.account_id)
        contract_id, _ = self._contract(cmd.contract_id, now_ns, "contract_id")
        position = self._x.positions.get(cmd.account_id, contract_id)
        if position.is_flat:
            raise FailedPrecondition(f"account {cmd.account_id} has no position in {contract_id}")
        reverse = isinstance(cmd, ReversePosition)
        if reverse:  # the position the other way is new exposure (checked before anything changes)
            self._require_listed(contract_id, now_ns, "contract_id")
        self._cancel_open(cmd.account_id, contract_id, CancelReason.CLOSE, now_ns, out)
        quantity = abs(position.net_qty) * (2 if reverse else 1)
        self._place_closing(position, quantity, OrderRole.REVERSE if reverse else OrderRole.CLOSE, now_ns, out)

    def _open_account(self, cmd: OpenAccount, now_ns: int, out: Events) -> None:
        if not isinstance(cmd.account_id, str) or not cmd.account_id.strip():
            raise InvalidArgument("account_id", "an account id is required")
        balance = cmd.starting_balance
        if not isinstance(balance, Decimal) or not balance.is_finite() or balance <= 0:
            raise InvalidArgument("starting_balance", f"must be a positive Decimal, not {balance!r}")
        if cmd.account_id in self._x.accounts:
            raise FailedPrecondition(f"paper account {cmd.account_id} already exists")
        out.append(AccountOpened(self._x.accounts.open(cmd.account_id, balance), now_ns))

    def _reset(self, account_id: AccountId, now_ns: int, out: Events) -> None:
        old = self._account(account_id)
        self._cancel_open(account_id, None, CancelReason.RESET, now_ns, out)
        for flat in self._x.positions.clear(account_id):
            out.append(PositionChanged(flat, 0, _ZERO, now_ns))
        account = self._x.accounts.reset(account_id)
        out.append(AccountBalanceChanged(account, -old.realised_pnl, -old.commissions, now_ns))
        out.append(AccountReset(account, now_ns))

    def snapshot(self) -> EngineSnapshot:
        """Every piece of mutable state as one comparable value (tests: a refused command changes nothing)."""
        return snapshot_of(self._x, self._order_seq)

    def rollback_point(self) -> EngineSnapshot:
        """What `restore` needs to undo the next command; costs in proportion to the open orders only."""
        return rollback_point(self._x, self._order_seq)

    def restore(self, snapshot: EngineSnapshot) -> None:
        """Put the engine back to `snapshot` (a rolled-back command, or a restart from the store); the latest
        market it has seen stays. With `rng_state` None the seeded streams are left as they are."""
        restore_exchange(self._x, snapshot)
        self._order_seq = snapshot.counters[0]

    def lots(self, account_id: AccountId, contract_id: str) -> tuple[tuple[int, int], ...]:
        """The open FIFO lots (price ticks, signed quantity) of one position."""
        return self._x.positions.lots_of(account_id, contract_id)

    def resting_entry(self, order_id: OrderId) -> tuple[int, int, int] | None:
        """(kind, price ticks, priority seq) of an order on a book, or None."""
        return self._x.rest.get(order_id)
