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

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

from core_server.calendar.trading_day import trading_day_bounds
from core_server.execution.accounts import CommissionSchedule, check_rate
from core_server.execution.brackets import Bracket
from core_server.execution.broker_fills import book_broker_fill
from core_server.execution.command_checks import CommandChecks
from core_server.execution.commands import (
    BookBrokerFill,
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
    OrderWorking,
    PositionChanged,
)
from core_server.execution.exchange import NO_EVENTS, Events, PaperExchange
from core_server.execution.exits import reducible
from core_server.execution.fill_model import FillSettings, PaperFillModel
from core_server.execution.model import (
    AccountId,
    CancelReason,
    MarkPrice,
    ModifyCause,
    Order,
    OrderId,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    TimeInForce,
    replace_order,
)
from core_server.execution.modification import modified_order
from core_server.execution.ports import PreTradeCheck
from core_server.execution.price_bands import PriceBands
from core_server.execution.snapshot import EngineSnapshot, restore_exchange, rollback_point, snapshot_of
from core_server.execution.validation import MAX_BATCH, OrderRequest
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.instruments import INSTRUMENTS, Contract
from core_server.model.market_data import Quote, Tick, Trade

_ZERO = Decimal(0)


class PaperExecutionEngine(CommandChecks):
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
        # Bound straight to the exchange so a tick costs one call.
        self.on_quote: Callable[[Quote], tuple[ExecutionEvent, ...]] = self._x.on_quote
        self.on_trade: Callable[[Trade], tuple[ExecutionEvent, ...]] = self._x.on_trade
        self.exchange = self._x  # read by the kernel's quiet fast path (kernel.quiet)

    def add_pre_trade_check(self, check: PreTradeCheck) -> None:
        self._checks.append(check)

    # -- time and ticks -----------------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> tuple[ExecutionEvent, ...]:
        return self._x.on_quote(tick) if type(tick) is Quote else self._x.on_trade(tick)  # type: ignore[arg-type]

    def next_due_ns(self) -> int:
        """The earliest instant an order arrives or a DAY order expires without a tick."""
        return min(self._x.next_arrival, self._x.next_expiry)

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
                self._cancel_open(command.account_id, contract, command.reason, now_ns, out)
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
            case BookBrokerFill():
                book_broker_fill(self, command, now_ns, out)
            case _:
                raise InvalidArgument("command", f"unknown command {type(command).__name__}")
        return tuple(out)

    # -- placing orders -----------------------------------------------------------------------------------

    def _new_order(self, req: OrderRequest, now_ns: int, status: OrderStatus) -> Order:
        return Order(
            order_id=self._x.next_order_id(),
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
            reduce_only=req.reduce_only or req.role.is_exit,
            offset_ticks=req.offset_ticks,
            target_r=req.target_r,
        )

    def _denial(self, order: Order) -> str | None:
        for check in self._checks:
            reason = check.check(order, self)
            if reason is not None:
                return reason
        return None

    def route_to_broker(self, account_id: AccountId, routed: bool) -> None:
        """A LIVE account's orders pass the same pre-trade checks, then work at its broker: the engine keeps them
        (accepted, working, modified, cancelled as commanded) but never matches them; the driver sends them
        (live/broker_router.py) and the broker's fills come back as BookBrokerFill commands naming them."""
        if routed:
            self._x.routed.add(account_id)
        else:
            self._x.routed.discard(account_id)

    def routes_to_broker(self, account_id: AccountId) -> bool:
        return account_id in self._x.routed

    def _accept(self, orders: Iterable[Order], now_ns: int, out: Events) -> None:
        routed = self._x.routed
        working: list[Order] = []
        for order in orders:
            if order.order_type is OrderType.MARKET and order.reference_price is None:
                order = replace_order(order, reference_price=self._x.market_reference(order.contract_id, order.side))
            if order.account_id in routed:
                if order.status is OrderStatus.PENDING:  # at the broker at once: no simulated latency
                    order = replace_order(order, status=OrderStatus.WORKING, arrival_ns=now_ns)
                    working.append(order)
                self._x.set(order)
                out.append(OrderAccepted(order, now_ns))
                continue
            if order.status is OrderStatus.PENDING:
                order = replace_order(order, arrival_ns=now_ns + self.fill_model.latency_ns())
            self._x.accept(order)
            out.append(OrderAccepted(order, now_ns))
        for order in working:
            out.append(OrderWorking(order.account_id, order.order_id, order.quantity, now_ns))

    def _deny(self, orders: Iterable[Order], reason: str, now_ns: int, out: Events) -> None:
        for order in orders:
            denied = replace_order(order, status=OrderStatus.DENIED)
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
        entry, sl, tp = (replace_order(o, bracket_id=entry.order_id) for o in (entry, sl, tp))
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
        a, b = replace_order(a, linked_ids=(b.order_id,)), replace_order(b, linked_ids=(a.order_id,))
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
        if new.reduce_only and new.quantity > order.quantity:  # cut to the position (exits.py)
            room = reducible(new.side, self._x.positions.get(new.account_id, new.contract_id))
            new = replace_order(new, quantity=max(order.quantity, new.filled_qty + room))
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
                replace_order(order, quantity=new.quantity, filled_qty=new.quantity - added, submitted_ns=now_ns)
            )
            if reason is not None:
                raise FailedPrecondition(f"modify denied: {reason}")
        self._x.modify(new, now_ns, out)
        if bracket is not None and order.role is OrderRole.BRACKET_ENTRY and new.quantity != order.quantity:
            for child_id in (bracket.stop_loss_id, bracket.take_profit_id):
                child = self._x.orders[child_id]
                if child.status is OrderStatus.HELD:
                    self._x.resize(child, new.quantity, now_ns, out, ModifyCause.LINKED)

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

    def archive_finished(self) -> tuple[OrderId, ...]:
        """At the trading-day roll (the live shell calls it once the day's records are drained): finished orders
        leave memory, so it stays bounded over weeks. The store keeps them (ListOrders reads them from there);
        `order(id)` then raises NotFound for them. Orders linked to an open order (its bracket or OCO pair) stay
        until that one ends. Returns the ids dropped."""
        return self._x.archive_finished()

    def holds(self, order_id: OrderId) -> bool:
        """Whether the order is in memory (not archived)."""
        return order_id in self._x.orders

    def held_orders(self) -> int:
        """How many orders the engine holds in memory (open ones, and finished ones not archived yet)."""
        return len(self._x.orders)

    def snapshot(self) -> EngineSnapshot:
        """Every piece of mutable state as one comparable value (tests: a refused command changes nothing)."""
        return snapshot_of(self._x)

    def rollback_point(self) -> EngineSnapshot:
        """What `restore` needs to undo the next command; costs in proportion to the open orders only."""
        return rollback_point(self._x)

    def restore(self, snapshot: EngineSnapshot) -> None:
        """Put the engine back to `snapshot` (a rolled-back command, or a restart from the store); the latest
        market it has seen stays. With `rng_state` None the seeded streams are left as they are."""
        restore_exchange(self._x, snapshot)

    # -- commissions ----------------------------------------------------------------------------------------

    @property
    def commissions(self) -> CommissionSchedule:
        """Read-only use: the rates this engine charges (change an account's with set_commission_overrides)."""
        return self._x.commissions

    def set_commission_overrides(self, account_id: AccountId, overrides: Mapping[str, Decimal]) -> None:
        """Replace an account's per-root rates whole (empty: back to the server's schedule); they apply to the
        account's next fill. NotFound (account), InvalidArgument("rates"): nothing changed."""
        self._account(account_id)
        for root, rate in overrides.items():
            if root not in INSTRUMENTS:
                raise InvalidArgument("rates", f"unknown instrument root {root!r}; known: {', '.join(INSTRUMENTS)}")
            try:
                check_rate(root, rate)
            except ValueError as exc:
                raise InvalidArgument("rates", str(exc)) from None
        self._x.commissions.set_account(account_id, overrides)

    def lots(self, account_id: AccountId, contract_id: str) -> tuple[tuple[int, int], ...]:
        """The open FIFO lots (price ticks, signed quantity) of one position."""
        return self._x.positions.lots_of(account_id, contract_id)

    def resting_entry(self, order_id: OrderId) -> tuple[int, int, int] | None:
        """(kind, price ticks, priority seq) of an order on a book, or None."""
        return self._x.rest.get(order_id)
