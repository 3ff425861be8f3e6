"""RiskEngine: the pure, synchronous prop-firm risk core (SPEC §6) that the async shell and backtests share.

The shell feeds it what the paper engine decided (`on_execution_events`), every tick after the paper engine
processed it (`on_tick`) and the passage of time (`advance_to`); each returns a RiskResult: the events to
journal and the commands (cancel all, flatten) to run within the same tick. Registered as a pre-trade check
(`PaperExecutionEngine.add_pre_trade_check(risk)`), `check` decides every new order; its events (and any
time-driven ones it caused) wait in `take_pending()`. Nothing reads a clock or does I/O.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import fields
from datetime import date
from decimal import Decimal

from core_server.calendar.session_table import packaged_trading_calendar
from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.windows import SessionWindows
from core_server.execution.events import (
    AccountBalanceChanged,
    AccountOpened,
    AccountReset,
    ExecutionEvent,
    OrderFilled,
    PositionChanged,
)
from core_server.execution.model import Account, AccountId, MarkPrice, Order, Position
from core_server.execution.ports import ExecutionView
from core_server.model.errors import InvalidArgument, NotFound
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Quote, Tick, Trade
from core_server.risk.assessment import Out, assess, figures_of
from core_server.risk.days import MarketHours, RiskDays
from core_server.risk.evaluation import NEVER, RiskFigures, drawdown_threshold, loss_used
from core_server.risk.events import (
    NOTHING,
    RiskEvent,
    RiskEventKind,
    RiskResult,
    Rule,
    close_out,
)
from core_server.risk.pre_trade import denial_of, reduces_risk, root_of
from core_server.risk.rules import RuleSet
from core_server.risk.saved import SavedAccount, apply_saved, saved_of
from core_server.risk.state import AccountState, Holding
from core_server.risk.usage import RuleUsage
from core_server.risk.wording import ct_time, money

__all__ = ["MarketHours", "RiskEngine"]

_ZERO = Decimal(0)
_MUTABLE = (
    "default_rules", "_accounts", "_holders", "_trade_px", "_bid", "_ask", "_halted", "_pending", "_last_fill",
    "_next_roll_ns", "_next_due_ns", "_now",
)  # fmt: skip
_ALLOWED, _DENIED = RiskEventKind.ORDER_ALLOWED, RiskEventKind.ORDER_DENIED


class RiskEngine:
    """Per-account rules and state, the emergency stop, and the per-tick hot path."""

    def __init__(
        self,
        *,
        mark: MarkPrice = MarkPrice.LAST_TRADE,
        windows: SessionWindows | None = None,
        calendar: TradingCalendar | None = None,
        market_hours: MarketHours = MarketHours.EXCHANGE,
        default_rules: RuleSet | None = None,
        default_max_order_size: int | None = None,
    ) -> None:
        """Trading days, flat-by and market hours always follow `calendar` (default: the packaged CME table);
        `market_hours` says whether orders are checked against CME hours or the market is declared open."""
        self.mark = mark  # must match the paper engine's, so both price positions alike
        # Orders above it are denied when an account's rules set no max_order_size (None: no such limit).
        self.default_max_order_size = default_max_order_size
        self._windows = windows or SessionWindows()
        self._days = RiskDays(calendar or packaged_trading_calendar(), market_hours)
        self.default_rules = default_rules or RuleSet()
        self._accounts: dict[AccountId, AccountState] = {}
        self._holders: dict[str, list[Holding]] = {}
        self._trade_px: dict[str, int] = {}
        self._bid: dict[str, int] = {}
        self._ask: dict[str, int] = {}
        self._halted = False
        self._pending: Out = ([], [])
        self._last_fill: tuple[AccountId, str] | None = None
        self._next_roll_ns = NEVER
        self._next_due_ns = NEVER
        self._now = 0  # the latest tick time, for figures between evaluations
        self._bands: dict[str, tuple[int, int]] = {}  # per contract: the holders' common quiet band (a cache)

    # -- accounts and rules -------------------------------------------------------------------------------

    def track_account(
        self, account_id: AccountId, starting_balance: Decimal, rules: RuleSet, now_ns: int,
        balance: Decimal | None = None,
    ) -> RiskResult:  # fmt: skip
        """Start (or restart) watching an account; `balance` defaults to the starting balance."""
        self._check_rules(rules)
        if not isinstance(starting_balance, Decimal) or not starting_balance.is_finite() or starting_balance <= 0:
            raise InvalidArgument("starting_balance", f"must be a positive Decimal, not {starting_balance!r}")
        self._forget_holdings(account_id)
        cash = starting_balance if balance is None else balance
        day = self._days.day_of(now_ns)
        state = AccountState(account_id, rules, starting_balance, cash, day, cash, starting_balance, cash)
        state.start_day(day, self._days.flat_by_ns(rules, day))
        self._accounts[account_id] = state
        if self._next_roll_ns == NEVER:
            self._next_roll_ns = self._days.bounds(now_ns)[2]
        out: Out = ([], [])
        out[0].append(RiskEvent(RiskEventKind.RULES_CHANGED, account_id, now_ns, Rule.NONE, "rules set"))
        self._assess(state, now_ns, out)
        self._reschedule()
        return _result(out)

    def set_rules(self, account_id: AccountId, rules: RuleSet, now_ns: int) -> RiskResult:
        """Replace an account's rules whole (validated before anything changes), then re-evaluate it."""
        state = self._state(account_id)
        self._check_rules(rules)
        changed = [f.name for f in fields(RuleSet) if getattr(rules, f.name) != getattr(state.rules, f.name)]
        old_rules, old_flat_by = state.rules, state.flat_by_ns
        state.rules = rules
        if not state.flat_by_done:
            state.flat_by_ns = self._days.flat_by_ns(rules, state.trading_day)
        out: Out = ([], [])
        reason = "rules changed: " + (", ".join(changed) if changed else "nothing")
        numbers = tuple((name, str(getattr(rules, name))) for name in changed)
        out[0].append(RiskEvent(RiskEventKind.RULES_CHANGED, account_id, now_ns, Rule.NONE, reason, numbers))
        try:
            self._assess(state, now_ns, out)
        except BaseException:  # a rule the evaluation cannot take: the account keeps the rules it had
            state.rules, state.flat_by_ns = old_rules, old_flat_by
            raise
        self._reschedule()
        return _result(out)

    def restore_account(
        self, account: Account, positions: Iterable[Position], rules: RuleSet, saved: SavedAccount | None, now_ns: int
    ) -> RiskResult:
        """After a restart: watch the account again at the paper engine's balance and positions with its saved
        state put back (locks, peak, streak), rolled on to today if 17:00 CT passed while the server was down."""
        self.track_account(account.account_id, account.starting_balance, rules, now_ns, account.balance)
        state = self._accounts[account.account_id]
        for position in positions:
            self._hold(state, position)
        out: Out = ([], [])
        if saved is not None:
            apply_saved(state, saved)
            state.flat_by_ns = self._days.flat_by_ns(rules, state.trading_day)
            today = self._days.day_of(now_ns)
            if state.trading_day != today:
                self._roll_account(state, today, now_ns, out)
        self._assess(state, now_ns, out)
        self._reschedule()
        return _result(out)

    def saved(self, account_id: AccountId) -> SavedAccount:
        return saved_of(self._state(account_id))

    def rules(self, account_id: AccountId) -> RuleSet:
        return self._state(account_id).rules

    def figures(self, account_id: AccountId) -> RiskFigures:
        """The account's numbers at the latest marks (ticks inside the quiet bands do not refresh them)."""
        state = self._state(account_id)
        assert state.figures is not None  # set by track_account
        state.price(self._mark_of)
        threshold = drawdown_threshold(state.rules, state.starting_balance, state.peak)
        ts = max(self._now, state.figures.ts_event)
        return figures_of(state, ts, threshold, loss_used(state.equity - state.day_start_equity))

    def day_results(self, account_id: AccountId) -> tuple[tuple[date, Decimal], ...]:
        """Closed trading days and their results (equity change), oldest first."""
        return tuple(self._state(account_id).day_results)

    def accounts(self) -> tuple[AccountId, ...]:
        return tuple(self._accounts)

    def next_day_ns(self, now_ns: int) -> int:
        """When the trading day containing `now_ns` ends (17:00 CT on its trade date): soft locks lift then."""
        return self._days.bounds(now_ns)[2]

    def market_hours_usage(self, now_ns: int) -> RuleUsage:
        """The market-hours rule as the status reports it: CME open or closed now, and what orders are held to."""
        return RuleUsage("market_hours", *self._days.market_hours_now(now_ns), None)

    def _check_rules(self, rules: RuleSet) -> None:
        if not isinstance(rules, RuleSet):
            raise InvalidArgument("rules", "must be a RuleSet")
        if rules.session_windows is not None:
            self._windows.check_names(rules.session_windows)

    def _state(self, account_id: AccountId) -> AccountState:
        state = self._accounts.get(account_id)
        if state is None:
            raise NotFound("account_id", f"risk does not track account {account_id!r}")
        return state

    # -- emergency stop -----------------------------------------------------------------------------------

    @property
    def emergency_stopped(self) -> bool:
        return self._halted

    def emergency_stop(self, now_ns: int, reason: str = "emergency stop") -> RiskResult:
        """Block all new risk in every account (reducing orders still pass) and ask to close everything out."""
        self._halted = True
        event = RiskEvent(RiskEventKind.EMERGENCY_STOP, None, now_ns, Rule.EMERGENCY_STOP, reason)
        return RiskResult((event,), tuple(a for acc in self._accounts for a in close_out(acc)))

    def restore_emergency_stop(self, stopped: bool) -> None:
        """After a restart: the stored flag, without asking to close anything out again."""
        self._halted = stopped

    def resume(self, now_ns: int, reason: str = "resumed") -> RiskResult:
        self._halted = False
        return RiskResult((RiskEvent(RiskEventKind.RESUMED, None, now_ns, Rule.EMERGENCY_STOP, reason),), ())

    # -- holds (a failing stage made an account unsafe) ---------------------------------------------------

    def hold(self, account_id: AccountId, reason: str, now_ns: int) -> RiskResult:
        """Block new risk in one account until an operator releases it (reducing orders still pass)."""
        state = self._state(account_id)
        if state.held_reason:
            return NOTHING
        state.held_reason = reason
        event = RiskEvent(RiskEventKind.LOCKED, account_id, now_ns, Rule.STAGE_FAILURE, reason)
        return RiskResult((event,), ())

    def release(self, account_id: AccountId, now_ns: int, reason: str = "resumed by an operator") -> RiskResult:
        state = self._state(account_id)
        if not state.held_reason:
            return NOTHING
        state.held_reason = ""
        event = RiskEvent(RiskEventKind.UNLOCKED, account_id, now_ns, Rule.STAGE_FAILURE, reason)
        return RiskResult((event,), ())

    # -- rollback -----------------------------------------------------------------------------------------

    def snapshot(self) -> object:
        """Every piece of mutable state (the live shell undoes a command it could not store), as pickled bytes:
        taken before every command and almost never restored, so the cheap half of a copy (3x cheaper than
        copy.deepcopy here) is paid up front and the rest only on a restore."""
        return pickle.dumps({name: getattr(self, name) for name in _MUTABLE}, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, point: object) -> None:
        assert isinstance(point, bytes)
        for name, value in pickle.loads(point).items():
            setattr(self, name, value)
        self._bands = {}

    def next_due_ns(self) -> int:
        """The earliest flat-by time or trading-day roll still to come."""
        return self._next_due_ns

    # -- pre-trade ----------------------------------------------------------------------------------------

    def check(self, order: Order, view: ExecutionView) -> str | None:
        """PreTradeCheck: the denial reason, or None. The decision event waits in `take_pending()`."""
        event = self.decide(order, view)
        return None if event.kind is _ALLOWED else event.reason

    def decide(self, order: Order, view: ExecutionView) -> RiskEvent:
        now = order.submitted_ns
        if now >= self._next_due_ns:
            self._advance(now, self._pending)
        state = self._accounts.get(order.account_id)
        if state is None:  # opened before risk heard of it: watch it with the default rules
            account = view.account(order.account_id)
            result = self.track_account(account.account_id, account.starting_balance, self.default_rules, now,
                                        account.balance)  # fmt: skip
            self._pending[0].extend(result.events)
            state = self._accounts[order.account_id]
        # What could newly fill: the whole of a new order, the added part of a modify.
        numbers = (("contract", order.contract_id), ("side", order.side.name.lower()), ("quantity", order.leaves_qty))
        if reduces_risk(order, view):
            event = RiskEvent(_ALLOWED, order.account_id, now, Rule.NONE, "reduces risk", numbers, order.order_id)
        elif self._halted:
            reason = "emergency stop: new risk is blocked until resumed"
            event = RiskEvent(_DENIED, order.account_id, now, Rule.EMERGENCY_STOP, reason, numbers, order.order_id)
        else:
            denial = denial_of(
                order, view, state, now, windows=self._windows, days=self._days,
                default_max_order_size=self.default_max_order_size,
            )  # fmt: skip
            if denial is None:
                reason = self._days.allowed_reason(now)
                event = RiskEvent(_ALLOWED, order.account_id, now, Rule.NONE, reason, numbers, order.order_id)
            else:
                event = RiskEvent(_DENIED, order.account_id, now, denial.rule, denial.reason,
                                  numbers + denial.numbers, order.order_id)  # fmt: skip
        self._pending[0].append(event)
        return event

    def take_pending(self) -> RiskResult:
        """Events (and commands) produced inside `check`, oldest first; cleared by this call."""
        events, actions = self._pending
        if not events and not actions:
            return NOTHING
        self._pending = ([], [])
        return RiskResult(tuple(events), tuple(actions))

    # -- execution events ---------------------------------------------------------------------------------

    def on_execution_events(self, events: Iterable[ExecutionEvent]) -> RiskResult:
        """What the paper engine decided outside a tick (commands, `advance_to`); evaluates the accounts touched."""
        out: Out = ([], [])
        touched: dict[AccountState, int] = {}
        self._apply(events, out, touched)
        for state, ts in touched.items():
            self._assess(state, ts, out)
        return _result(out)

    def _apply(self, events: Iterable[ExecutionEvent], out: Out, touched: dict[AccountState, int]) -> None:
        for event in events:
            ts = event.fill.ts_event if isinstance(event, OrderFilled) else event.ts_event
            if ts >= self._next_due_ns:
                self._advance(ts, out)
            match event:
                case OrderFilled(fill=fill):
                    state = self._accounts.get(fill.account_id)
                    if state is not None:
                        state.trips.setdefault(fill.contract_id, [_ZERO, _ZERO])[1] += fill.commission
                        self._last_fill = (fill.account_id, fill.contract_id)
                case PositionChanged():
                    self._position_changed(event, out)
                case AccountBalanceChanged(account=account):
                    state = self._accounts.get(account.account_id)
                    if state is not None:
                        state.balance = account.balance
                        touched[state] = ts
                case AccountOpened(account=account):
                    if account.account_id not in self._accounts:
                        result = self.track_account(account.account_id, account.starting_balance,
                                                    self.default_rules, ts)  # fmt: skip
                        out[0].extend(result.events)
                case AccountReset(account=account):
                    state = self._accounts.get(account.account_id)
                    if state is not None:
                        touched.pop(state, None)
                        reason = "account reset: locks, peak and day results start afresh"
                        out[0].append(RiskEvent(RiskEventKind.UNLOCKED, account.account_id, ts, Rule.NONE, reason))
                        result = self.track_account(account.account_id, account.starting_balance, state.rules, ts)
                        out[0].extend(result.events)
                case _:
                    pass

    def _position_changed(self, event: PositionChanged, out: Out) -> None:
        position = event.position
        state = self._accounts.get(position.account_id)
        if state is None:
            return
        contract_id = position.contract_id
        by_fill = self._last_fill == (position.account_id, contract_id)
        self._last_fill = None
        holding = state.holdings.get(contract_id)
        old_net = holding.net if holding is not None else 0
        if by_fill:
            trip = state.trips.setdefault(contract_id, [_ZERO, _ZERO])
            trip[0] += event.realised_pnl
            new_net = position.net_qty
            if old_net and (new_net == 0 or (new_net > 0) != (old_net > 0)):
                state.trips[contract_id] = [_ZERO, _ZERO]
                locked = state.book_trip(trip[0] - trip[1], event.ts_event)
                if locked is not None:
                    out[0].append(locked)
        self._hold(state, position)

    def _assess(self, state: AccountState, ts: int, out: Out) -> None:
        """Evaluate one account; the quiet bands of its contracts may change, so they are recomputed lazily."""
        assess(state, ts, self._mark_of, out)
        bands = self._bands
        if bands:
            for contract_id in state.holdings:
                bands.pop(contract_id, None)

    def _band_of(self, contract_id: str) -> tuple[int, int]:
        """The intersection of the quiet bands of every holding of the contract: a last-trade price strictly
        inside it evaluates nobody (one comparison per tick however many accounts hold the contract)."""
        holders = self._holders.get(contract_id, ())
        band = (max((h.lo for h in holders), default=-NEVER), min((h.hi for h in holders), default=NEVER))
        self._bands[contract_id] = band
        return band

    def _hold(self, state: AccountState, position: Position) -> None:
        contract_id = position.contract_id
        self._bands.pop(contract_id, None)
        holding = state.holdings.get(contract_id)
        if position.net_qty == 0:
            if holding is not None:
                del state.holdings[contract_id]
                self._holders[contract_id].remove(holding)
            return
        signed_cost = position.open_cost if position.net_qty > 0 else -position.open_cost
        if holding is None:
            tick_value = INSTRUMENTS[root_of(contract_id)].tick_value
            holding = Holding(state, contract_id, position.net_qty, signed_cost, tick_value)
            state.holdings[contract_id] = holding
            self._holders.setdefault(contract_id, []).append(holding)
        else:
            holding.net, holding.signed_cost = position.net_qty, signed_cost
            holding.lo, holding.hi = NEVER, -NEVER

    def _forget_holdings(self, account_id: AccountId) -> None:
        state = self._accounts.get(account_id)
        if state is not None:
            for contract_id, holding in state.holdings.items():
                self._holders[contract_id].remove(holding)
                self._bands.pop(contract_id, None)

    # -- ticks and time -----------------------------------------------------------------------------------

    def _mark_of(self, contract_id: str, net: int) -> int | None:
        if self.mark is MarkPrice.LAST_TRADE:
            return self._trade_px.get(contract_id)
        return self._bid.get(contract_id) if net > 0 else self._ask.get(contract_id)

    def quiet_due(self, contract_id: str) -> int | None:
        """When nobody holds `contract_id`, the instant before which its ticks only update the price memo
        (`note_prices`); None when a holding makes every tick an evaluation (the kernel's quiet fast path)."""
        return None if self._holders.get(contract_id) else self._next_due_ns

    def note_prices(self, contract_id: str, ts_ns: int, trade: int | None, bid: int | None, ask: int | None) -> None:
        """What `on_tick` does for a run of ticks of a contract nobody holds, before `quiet_due`: the latest trade
        price and quote are remembered and the clock reaches the last tick."""
        self._now = ts_ns
        if trade is not None:
            self._trade_px[contract_id] = trade
        if bid is not None and ask is not None:
            self._bid[contract_id] = bid
            self._ask[contract_id] = ask

    def on_tick(self, tick: Tick, events: Iterable[ExecutionEvent] = ()) -> RiskResult:
        """The hot path: the tick and the execution events the paper engine produced for it, in one step.

        Marks move first, then the events apply, then every account whose fills or marks may matter is
        evaluated once, so a tick's fills and its price are seen together (no half-updated state).
        """
        ts = self._now = tick.ts_event
        contract_id = tick.contract_id
        if not events and ts < self._next_due_ns and not self._holders.get(contract_id):
            # Nothing held in this contract, nothing filled, nothing due: just remember the price.
            if type(tick) is Trade:
                self._trade_px[contract_id] = tick.price
            else:
                self._bid[contract_id] = tick.bid  # type: ignore[union-attr]
                self._ask[contract_id] = tick.ask  # type: ignore[union-attr]
            return NOTHING
        out: Out | None = None
        if ts >= self._next_due_ns:
            out = ([], [])
            self._advance(ts, out)
        hit: list[AccountState] | None = None
        if type(tick) is Trade:
            self._trade_px[contract_id] = tick.price
        else:
            assert type(tick) is Quote
            self._bid[contract_id], self._ask[contract_id] = tick.bid, tick.ask
        if events:
            out = out or ([], [])
            touched: dict[AccountState, int] = {}
            self._apply(events, out, touched)
            hit = list(touched)
        if type(tick) is Trade:
            if self.mark is MarkPrice.LAST_TRADE:
                price = tick.price
                band = self._bands.get(contract_id) or self._band_of(contract_id)
                if not band[0] < price < band[1]:
                    for h in self._holders.get(contract_id, ()):
                        if not h.lo < price < h.hi:
                            hit = [h.account] if hit is None else [*hit, h.account]
        elif self.mark is MarkPrice.BID_ASK:
            assert type(tick) is Quote
            bid, ask = tick.bid, tick.ask
            for h in self._holders.get(contract_id, ()):
                mark = bid if h.net > 0 else ask
                if not h.lo < mark < h.hi:
                    hit = [h.account] if hit is None else [*hit, h.account]
        if not hit:
            return NOTHING if out is None else _result(out)
        out = out or ([], [])
        for state in dict.fromkeys(hit):
            self._assess(state, ts, out)
        return _result(out)

    def advance_to(self, now_ns: int) -> RiskResult:
        """Time passing without a tick: the flat-by time and the 17:00 CT trading-day roll."""
        if now_ns < self._next_due_ns:
            return NOTHING
        out: Out = ([], [])
        self._advance(now_ns, out)
        return _result(out)

    def _advance(self, now: int, out: Out) -> None:
        while now >= self._next_due_ns:
            for state in self._accounts.values():
                if state.flat_by_ns <= now and not state.flat_by_done:
                    self._flat_by(state, out)
            if now >= self._next_roll_ns:
                self._roll(now, out)
            self._reschedule()

    def _flat_by(self, state: AccountState, out: Out) -> None:
        state.flat_by_done = True
        at = state.flat_by_ns
        reason = f"flat-by {ct_time(at)} reached: close out, no new risk until the next trading day"
        out[0].append(RiskEvent(RiskEventKind.LOCKED, state.account_id, at, Rule.FLAT_BY, reason))
        out[1].extend(close_out(state.account_id))

    def _roll(self, now: int, out: Out) -> None:
        """The end-of-day step at 17:00 CT for every account, then the new trading day begins."""
        roll_ns = self._next_roll_ns
        day, _, end = self._days.bounds(now)
        for state in self._accounts.values():
            self._roll_account(state, day, roll_ns, out)
            self._assess(state, roll_ns, out)
        self._next_roll_ns = end

    def _roll_account(self, state: AccountState, day: date, roll_ns: int, out: Out) -> None:
        state.price(self._mark_of)
        closed_day = state.trading_day
        result = state.close_day()
        lock_rule, failed = state.lock_rule, state.failed_rule is not None
        state.start_day(day, self._days.flat_by_ns(state.rules, day))
        if lock_rule is not None and not failed:
            reason = f"new trading day {day}: unlocked (day {closed_day} closed at {money(result)})"
            out[0].append(RiskEvent(RiskEventKind.UNLOCKED, state.account_id, roll_ns, lock_rule, reason,
                                    (("day_result", result),)))  # fmt: skip

    def _reschedule(self) -> None:
        pending = (s.flat_by_ns for s in self._accounts.values() if not s.flat_by_done)
        self._next_due_ns = min(self._next_roll_ns, min(pending, default=NEVER))


def _result(out: Out) -> RiskResult:
    events, actions = out
    if not events and not actions:
        return NOTHING
    return RiskResult(tuple(events), tuple(actions))
