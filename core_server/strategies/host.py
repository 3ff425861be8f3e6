"""StrategyHost: the kernel's strategy stage (kernel.ports.StrategyStage). It keeps the loaded strategies, feeds
their contract's closed candles (series and indicators updated first), ticks and due timers to the active ones,
turns what they return into tagged execution commands, follows their fills (own position, realised P&L, trades
today, per-strategy limits) and logs every action as a strategy event.

P&L in R (per strategy and per version) comes from the trade ledger's round trips its orders opened
(`on_trades`, with the journal's R: trades.model.RoundTrip.result_r and open_r), and the open ones are marked at
every trade print of the contract (`on_mark`, only for the contracts in `marked`: those where a strategy has a
trade open, so a flat strategy costs the tick nothing).

Isolation: a strategy that raises is marked failed (no further calls), counted, logged, and the exception goes
on to the kernel, which holds the strategy's account (`accounts()` names only the failing strategies' accounts
then). The other strategies, the other stages and the feed go on within the same tick.

Orders carry the tag `strategy:<id>@<version>`, so the trade ledger records the running version on every trade,
and after a restart the host finds its open orders again in the paper engine by that tag.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Protocol

from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.trading_day import trading_day_bounds
from core_server.calendar.windows import SessionWindows
from core_server.execution.commands import (
    CancelOrder,
    ExecutionCommand,
    SubmitBracket,
    SubmitBracketBatch,
    SubmitOrder,
)
from core_server.execution.events import OrderFilled
from core_server.execution.model import AccountId, Fill, Order, OrderRole, OrderSide, OrderType, TimeInForce
from core_server.execution.ports import ExecutionView
from core_server.kernel.output import ExecutionStep
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, Tick, Timeframe, Trade
from core_server.strategies.breakout import FirstHourBreakout
from core_server.strategies.checks import Finding, check, errors_of, resolve_contract
from core_server.strategies.definition import IndicatorOperand, Kind, StrategyDefinition
from core_server.strategies.events import Status, StrategyEvent, StrategyRecord, StrategyVersion, VersionPnl
from core_server.strategies.rules import RuleStrategy
from core_server.strategies.runtime import Action, CancelOwn, CloseOwn, Note, Place, Strategy
from core_server.strategies.scheduler import NEVER
from core_server.strategies.series import WARM_CANDLES, Series
from core_server.trades.model import RoundTrip, TradeChange

TAG_PREFIX = "strategy:"
# A mark (a print at a new price while a strategy has a trade open) updates its figures at once, but stores and
# streams its record at most every MARK_EVERY_NS of event time: a busy market prints many prices a second.
MARK_EVERY_NS = 250_000_000
TIMER_ROUNDS = 4  # timers due at once (a restart after a long stop) fire at most this many times per call
CENT = Decimal("0.01")
_ENTRY_ROLES = (OrderRole.STANDALONE, OrderRole.BRACKET_ENTRY, OrderRole.OCO)
_EXIT_ROLES = (OrderRole.STOP_LOSS, OrderRole.TAKE_PROFIT)


class StrategyFailed(RuntimeError):
    """A strategy raised; the kernel's isolation records this and holds the strategy's account."""


class History(Protocol):
    """Where closed candles come from when a series starts late (kernel.market.MarketStage)."""

    def recent(self, contract_id: str, timeframe: Timeframe, count: int) -> Sequence[Candle]: ...

    def last_trade(self, contract_id: str) -> Trade | None: ...


class _NoHistory:
    def recent(self, contract_id: str, timeframe: Timeframe, count: int) -> Sequence[Candle]:
        return ()

    def last_trade(self, contract_id: str) -> Trade | None:
        return None


def make_strategy(definition: StrategyDefinition) -> Strategy:
    if definition.kind is Kind.FIRST_HOUR_BREAKOUT:
        return FirstHourBreakout(definition)
    return RuleStrategy(definition)


class Runtime:
    """One loaded strategy: its definition and version, status, own orders' tag, position and figures."""

    def __init__(
        self,
        definition: StrategyDefinition,
        version: int,
        contract: Contract,
        source: str,
        fmt: str,
        factory: Callable[[StrategyDefinition], Strategy] = make_strategy,
    ) -> None:
        self.definition = definition
        self.id = definition.name
        self.version = version
        self.contract = contract
        self.contract_id = contract.id
        self.source = source
        self.fmt = fmt
        self.account_id = AccountId(definition.account)
        self.tag = f"{TAG_PREFIX}{self.id}@{version}"
        self.strategy = factory(definition)
        self.status = Status.INACTIVE
        self.errors = 0
        self.last_error = ""
        self.position = 0
        self.cost = Fraction(0)  # open cost of the position, ticks x contracts (always >= 0)
        self.realised = Fraction(0)
        self.day: date | None = None
        self.realised_today = Fraction(0)
        self.trades_today = 0
        self.trades = 0
        self.loss_hit = False
        self.updated_ns = 0
        self.ctx: _Context | None = None  # what its calls may read, made once
        # R, per version (the versions' keys: those that traded), from its round trips in the trade ledger
        self.mark: int | None = None  # the last trade price its open trades are marked at
        self.mark_sent_ns = -MARK_EVERY_NS  # when a mark last made its record go out (stored and streamed)
        self.open_trips: dict[str, RoundTrip] = {}  # its open round trips by trade id, as last seen
        self.r_realised: dict[int, Fraction] = {}
        self.r_today: dict[int, Fraction] = {}
        self.r_counts: dict[int, tuple[int, int]] = {}  # version -> (round trips opened, of those with R)
        self._day_start_ns = self._day_end_ns = 0  # the CME trading day `day` covers
        self.roll_to: Contract | None = None  # the front month it moves to once flat in `contract` (StrategyHost.roll)

    def record(self) -> StrategyRecord:
        return StrategyRecord(
            self.id, self.version, self.status, self.account_id, self.contract.id, self.strategy.state(),
            self.position, str(self.cost), _money(self.realised), self.day.isoformat() if self.day else "",
            _money(self.realised_today), self.trades_today, self.trades, self.errors, self.last_error, self.updated_ns,
            self.mark, self.version_pnl(),
        )  # fmt: skip

    def version_pnl(self) -> tuple[VersionPnl, ...]:
        """R per version that traded: realised (all time, today) and its open trades at the mark."""
        open_by: dict[int, list[RoundTrip]] = {}
        for trip in self.open_trips.values():
            open_by.setdefault(trip.strategy_version or 0, []).append(trip)
        mark = self.mark
        out = []
        zero = Fraction(0)
        for version in sorted(self.r_realised.keys() | open_by.keys()):
            trips = open_by.get(version, ())
            unrealised: Fraction | None = None
            if trips and mark is not None:
                unrealised = zero
                for trip in trips:
                    r = trip.open_r(mark)
                    if r is None:
                        unrealised = None
                        break
                    unrealised += r
            trades, r_trades = self.r_counts.get(version, (0, 0))
            realised, today = self.r_realised.get(version, zero), self.r_today.get(version, zero)
            open_qty = sum(t.open_qty for t in trips)
            out.append(VersionPnl(version, realised, today, unrealised, open_qty, trades, r_trades))
        return tuple(out)

    def on_trade(self, change: TradeChange, ts_ns: int) -> bool:
        """One of its round trips changed: the R its exits realised since last seen is added (to the version that
        opened it, today's too). False when nothing R depends on changed (an excursion's move)."""
        trip = change.trip
        before = self.open_trips.get(trip.trade_id)
        if (
            before is not None and trip.is_open
            and before.exit_qty == trip.exit_qty and before.entry_qty == trip.entry_qty
            and before.open_qty == trip.open_qty and before.initial_stop == trip.initial_stop
        ):  # fmt: skip
            self.open_trips[trip.trade_id] = trip
            return False
        self.roll(ts_ns)
        version = trip.strategy_version or 0
        counted = (before.result_r or 0) if before is not None else 0
        delta = (trip.result_r or 0) - counted
        self.r_realised[version] = self.r_realised.get(version, Fraction(0)) + delta
        self.r_today[version] = self.r_today.get(version, Fraction(0)) + delta
        if before is None:  # first seen (TradeChange.opened means "not stored yet", and comes again at a close)
            trades, r_trades = self.r_counts.get(version, (0, 0))
            self.r_counts[version] = (trades + 1, r_trades + (trip.risk_ticks is not None))
        if trip.is_open:
            self.open_trips[trip.trade_id] = trip
        else:
            self.open_trips.pop(trip.trade_id, None)
        return True

    def restore_record(self, record: StrategyRecord) -> None:
        self.status = record.status
        self.errors, self.last_error = record.errors, record.last_error
        self.position, self.cost = record.position, Fraction(record.cost_ticks)
        self.realised = Fraction(record.realised)
        self.day = date.fromisoformat(record.trade_date) if record.trade_date else None
        self.realised_today = Fraction(record.realised_today)
        self.trades_today, self.trades = record.trades_today, record.trades
        self.updated_ns = record.updated_ns
        self.mark = record.mark
        for v in record.versions:
            self.r_realised[v.version], self.r_today[v.version] = v.realised_r, v.realised_r_today
            self.r_counts[v.version] = (v.trades, v.r_trades)
        self.strategy.restore(record.state)

    def roll(self, ts_ns: int) -> None:
        if self._day_start_ns <= ts_ns < self._day_end_ns:
            return
        day, self._day_start_ns, self._day_end_ns = trading_day_bounds(ts_ns)
        if day != self.day:
            self.day, self.realised_today, self.trades_today, self.loss_hit = day, Fraction(0), 0, False
            self.r_today = dict.fromkeys(self.r_today, Fraction(0))

    def on_fill(self, fill: Fill, order: Order) -> None:
        """Its own position at average cost; closing fills realise (exit - average) x quantity, less commissions."""
        self.roll(fill.ts_event)
        signed = fill.quantity if fill.side is OrderSide.BUY else -fill.quantity
        position = self.position
        if position and (position > 0) != (signed > 0):
            closed = min(abs(position), abs(signed))
            average = self.cost / abs(position)  # ticks per contract
            direction = 1 if position > 0 else -1
            gain = (fill.price - average) * closed * direction * Fraction(self.contract.spec.tick_value)
            self.realised += gain
            self.realised_today += gain
            self.cost -= average * closed
            position += closed * -direction
            signed += closed * direction
        if signed:
            self.cost += abs(signed) * fill.price
            position += signed
        self.position = position
        if position == 0:
            self.cost = Fraction(0)
        self._commission(fill.commission)
        if order.role in _ENTRY_ROLES and not order.reduce_only and order.filled_qty == fill.quantity:
            self.trades_today += 1
            self.trades += 1

    def closed_outside(self, price: int, ts_ns: int) -> None:
        """The account went flat in the contract by an order not its own (a flatten, a close, the emergency
        stop, risk's flat-by): its own position is closed at that fill's price (the commission stays the
        account's)."""
        self.roll(ts_ns)
        position = self.position
        if not position:
            return
        average = self.cost / abs(position)
        gain = (price - average) * position * Fraction(self.contract.spec.tick_value)
        self.realised += gain
        self.realised_today += gain
        self.position, self.cost = 0, Fraction(0)

    def _commission(self, amount: Decimal) -> None:
        commission = Fraction(amount)
        self.realised -= commission
        self.realised_today -= commission


def _copied(rt: Runtime) -> Runtime:
    """A rollback copy: its own dicts of R figures and open trips (the values are immutable)."""
    c = copy.copy(rt)
    c.open_trips, c.r_realised, c.r_today, c.r_counts = (
        dict(rt.open_trips),
        dict(rt.r_realised),
        dict(rt.r_today),
        dict(rt.r_counts),
    )
    return c


def _money(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, ROUND_HALF_EVEN)


class _Context:
    """What one strategy call may read (strategies.runtime.Context)."""

    __slots__ = ("_host", "_rt")

    def __init__(self, host: StrategyHost, rt: Runtime) -> None:
        self._host = host
        self._rt = rt

    @property
    def now_ns(self) -> int:
        return self._host.now_ns

    @property
    def calendar(self) -> TradingCalendar:
        return self._host.calendar

    @property
    def windows(self) -> SessionWindows:
        return self._host.windows

    @property
    def contract(self) -> Contract:
        return self._rt.contract

    @property
    def account_id(self) -> AccountId:
        return self._rt.account_id

    @property
    def tag(self) -> str:
        return self._rt.tag

    def series(self, timeframe: Timeframe) -> Series | None:
        return self._host.series_for(self._rt.contract_id, timeframe)

    def position(self) -> int:
        return self._rt.position

    def open_entries(self) -> tuple[Order, ...]:
        return tuple(o for o in self._host.own_orders(self._rt) if o.role in _ENTRY_ROLES)

    def open_positions(self) -> int:
        return self._host.open_positions(self._rt)

    def trades_today(self) -> int:
        self._rt.roll(self._host.now_ns)
        return self._rt.trades_today

    def realised_today(self) -> Decimal:
        self._rt.roll(self._host.now_ns)
        return _money(self._rt.realised_today)


class StrategyHost:
    def __init__(
        self,
        calendar: TradingCalendar,
        contracts: Iterable[Contract],
        *,
        windows: SessionWindows | None = None,
        factory: Callable[[StrategyDefinition], Strategy] = make_strategy,
    ) -> None:
        self.calendar = calendar
        self.factory = factory  # the strategy of a definition (tests put a failing one in)
        self.windows = windows or SessionWindows()
        self.contracts = {c.id: c for c in contracts}
        self.view: ExecutionView | None = None
        self.history: History = _NoHistory()
        self.now_ns = 0
        self.runtimes: dict[str, Runtime] = {}
        self._series: dict[tuple[str, Timeframe], Series] = {}
        self._active: dict[str, list[Runtime]] = {}  # contract id -> active strategies
        self._by_tag: dict[str, Runtime] = {}
        self._tick_contracts: set[str] = set()
        self._tick_runtimes: dict[str, tuple[Runtime, ...]] = {}  # contract id -> active strategies wanting ticks
        self._quote_contracts: set[str] = set()  # contracts where one of them wants quotes too
        self._stale = False  # a timer or a wish for ticks changed: _refresh before the kernel asks again
        self._next = NEVER
        self._commands: list[tuple[str, ExecutionCommand]] = []
        self._events: list[object] = []
        self._dirty: dict[str, None] = {}
        self._failed: list[AccountId] = []
        self._failure: StrategyFailed | None = None
        self.failures = 0  # run-time failures, counted
        self.marked: dict[str, tuple[Runtime, ...]] = {}  # contract id -> strategies with a trade open in it

    def bind(self, view: ExecutionView, history: History | None = None) -> None:
        """The paper engine (own orders, accounts) and the kernel's candle window (late series)."""
        self.view = view
        if history is not None:
            self.history = history

    # -- loading and lifecycle (commands; the caller runs kernel.commands.run_strategy_commands after) ---------

    def validate(self, definition: StrategyDefinition) -> list[Finding]:
        return check(definition, self.contracts.values(), self.windows)

    def load(self, definition: StrategyDefinition, source: str, fmt: str, now_ns: int) -> tuple[Runtime, bool]:
        """Load a definition: a new immutable version if it differs from the current one (False: unchanged).
        A new version replaces the running one inactive (its unfilled entries cancelled) unless it says enabled."""
        self.now_ns = now_ns
        contract = resolve_contract(definition.instrument, self.contracts.values())
        if contract is None:
            raise InvalidArgument("instrument", f"no contract of {definition.instrument} is traded here")
        old = self.runtimes.get(definition.name)
        if old is not None and old.definition == definition:
            return old, False
        version = old.version + 1 if old is not None else 1
        rt = Runtime(definition, version, contract, source, fmt, self.factory)
        rt.updated_ns = now_ns
        if old is not None:
            self._carry(old, rt)
            if old.status is Status.ACTIVE:
                self._apply(old, (CancelOwn(entries_only=True),))
            self._deactivate(old)
        for older in range(1, version):  # the fills of orders earlier versions left working count for this one
            self._by_tag[f"{TAG_PREFIX}{rt.id}@{older}"] = rt
        self.runtimes[rt.id] = rt
        self._by_tag[rt.tag] = rt
        if old is not None and old.open_trips:
            self._remark()
        self._events.append(StrategyVersion(rt.id, version, source, fmt, now_ns))
        self._event(rt, "loaded", f"version {version} loaded ({definition.kind.value}, {contract.id}, {rt.account_id})")
        self._dirty[rt.id] = None
        if definition.enabled:
            errors = errors_of(self.validate(definition))
            if errors:
                self._event(rt, "not_activated", "enabled, but errors stand: " + "; ".join(str(f) for f in errors))
            else:
                self.activate(rt.id, now_ns)
        return rt, True

    @staticmethod
    def _carry(old: Runtime, rt: Runtime) -> None:
        rt.position, rt.cost, rt.realised = old.position, old.cost, old.realised
        rt.day, rt.realised_today = old.day, old.realised_today
        rt.trades_today, rt.trades = old.trades_today, old.trades
        rt.errors = old.errors
        rt.mark, rt.open_trips = old.mark, dict(old.open_trips)
        rt.r_realised, rt.r_today, rt.r_counts = dict(old.r_realised), dict(old.r_today), dict(old.r_counts)

    def get(self, strategy_id: str) -> Runtime:
        rt = self.runtimes.get(strategy_id)
        if rt is None:
            raise NotFound("strategy_id", f"no strategy {strategy_id!r}")
        return rt

    def activate(self, strategy_id: str, now_ns: int) -> Runtime:
        self.now_ns = now_ns
        rt = self.get(strategy_id)
        if rt.status is Status.ACTIVE:
            return rt
        errors = errors_of(self.validate(rt.definition))
        if errors:
            raise FailedPrecondition("; ".join(str(f) for f in errors))
        view = self.view
        if view is not None and rt.account_id not in {a.account_id for a in view.accounts()}:
            raise FailedPrecondition(f"account {rt.account_id!r} does not exist")
        rt.status = Status.ACTIVE
        rt.updated_ns = now_ns
        self._start(rt)
        self._event(rt, "activated", f"version {rt.version} active on {rt.account_id}")
        return rt

    def deactivate(self, strategy_id: str, now_ns: int) -> Runtime:
        """No new entries; its unfilled entries are cancelled, positions keep their brackets."""
        self.now_ns = now_ns
        rt = self.get(strategy_id)
        if rt.status is Status.INACTIVE:
            return rt
        self._apply(rt, (CancelOwn(entries_only=True),))
        self._deactivate(rt)
        rt.status = Status.INACTIVE
        self._event(rt, "deactivated", "no new entries; unfilled entries cancelled")
        return rt

    def emergency_stop(self, strategy_id: str, now_ns: int) -> Runtime:
        """Cancel every order of the strategy and close its position at market, now; it stays stopped."""
        self.now_ns = now_ns
        rt = self.get(strategy_id)
        self._apply(rt, (CloseOwn(),))
        self._deactivate(rt)
        rt.status = Status.STOPPED
        self._event(rt, "emergency_stop", "orders cancelled, position closed")
        return rt

    def stop_all(self, reason: str, now_ns: int) -> None:
        """The emergency stop of every account: every active strategy is stopped (the kernel has cancelled every
        order and flattened every account already); each is activated again one by one after the resume."""
        self.now_ns = now_ns
        for rt in self.runtimes.values():
            if rt.status is Status.ACTIVE:
                self._deactivate(rt)
                rt.status = Status.STOPPED
                rt.updated_ns = now_ns
                self._event(rt, "emergency_stop", f"emergency stop of every account: {reason}")

    def restore_strategy(
        self, definition: StrategyDefinition, version: int, source: str, fmt: str, record: StrategyRecord | None
    ) -> Runtime:
        """Put a stored strategy back at start (no events): active ones continue on the next tick."""
        contract = resolve_contract(definition.instrument, self.contracts.values())
        if contract is None:
            raise InvalidArgument("instrument", f"no contract of {definition.instrument} is traded here")
        rt = Runtime(definition, version, contract, source, fmt, self.factory)
        if record is not None:
            rt.restore_record(record)
        self.runtimes[rt.id] = rt
        self._by_tag[rt.tag] = rt
        for older in range(1, version):
            self._by_tag.setdefault(f"{TAG_PREFIX}{rt.id}@{older}", rt)
        return rt

    def start_restored(self, now_ns: int) -> None:
        self.now_ns = now_ns
        for rt in self.runtimes.values():
            if rt.status is Status.ACTIVE:
                self._start(rt)

    def _start(self, rt: Runtime) -> None:
        self._bind(rt)
        self._call(rt, rt.strategy.start)
        self._dirty[rt.id] = None
        self._refresh()

    def _bind(self, rt: Runtime) -> None:
        """Its contract's series (with what its indicators need) and its place among the contract's active ones."""
        for operand in rt.strategy.required():
            assert isinstance(operand, IndicatorOperand)
            series = self.series_for(rt.contract.id, operand.timeframe, create=True)
            assert series is not None
            series.require(operand)
        for tf in Timeframe:
            self.series_for(rt.contract.id, tf, create=True)
        self._active.setdefault(rt.contract.id, []).append(rt)

    # -- the front-month roll (kernel.front_roll) -----------------------------------------------------------

    def roll(self, old: Contract, new: Contract, now_ns: int) -> None:
        """The front month changed: every strategy trading `old` trades `new`, at once if it is flat, else once the
        roll's closing fill makes it flat (no calls meanwhile: it places nothing more in `old`). Its state, figures,
        version and tag go on; its series are `new`'s (warmed from the candles the kernel already has)."""
        self.now_ns = now_ns
        self.contracts.setdefault(new.id, new)
        for rt in self.runtimes.values():
            if rt.contract_id == old.id:
                rt.roll_to = new
                if rt.position:
                    self._deactivate(rt)  # back in `_active` (on `new`) when flat, if it was active
                    self._event(rt, "roll_pending", f"front month {new.id} from now; moving once flat in {old.id}")
                self._rebind_if_flat(rt, now_ns)

    def _rebind_if_flat(self, rt: Runtime, now_ns: int) -> None:
        new = rt.roll_to
        if new is None or rt.position:
            return
        self.now_ns = now_ns
        old = rt.contract
        active = self._active.get(old.id, [])
        if rt in active:
            active.remove(rt)
        rt.contract, rt.contract_id, rt.roll_to = new, new.id, None
        last = self.history.last_trade(new.id)
        rt.mark = last.price if last is not None else None
        if rt.status is Status.ACTIVE:
            self._bind(rt)
        rt.updated_ns = self.now_ns
        self._dirty[rt.id] = None
        self._refresh()
        self._remark()
        self._event(rt, "rolled", f"front month rolled from {old.id} to {new.id}; trading {new.id} from now")

    def _deactivate(self, rt: Runtime) -> None:
        active = self._active.get(rt.contract.id, [])
        if rt in active:
            active.remove(rt)
        self._refresh()
        self._dirty[rt.id] = None

    # -- series ---------------------------------------------------------------------------------------------

    def series_for(self, contract_id: str, timeframe: Timeframe, create: bool = False) -> Series | None:
        key = (contract_id, timeframe)
        series = self._series.get(key)
        if series is None and create:
            contract = self.contracts[contract_id]
            series = self._series[key] = Series(contract.spec.tick_size)
            for candle in self.history.recent(contract_id, timeframe, WARM_CANDLES):
                series.push(candle)
        return series

    # -- StrategyStage --------------------------------------------------------------------------------------

    def next_timer_ns(self) -> int:
        return self._next

    def wants_ticks(self, contract_id: str) -> bool:
        return contract_id in self._tick_contracts

    def tick_band(self, contract_id: str) -> tuple[int, int] | None:
        """(low, high): a trade of `contract_id` at a price in [low, high] before `next_timer_ns()` changes nothing
        here but the clock (`quiet_trades`), and its quotes change nothing at all; None when some strategy watching
        its ticks cannot say so (or wants its quotes) or work is waiting (the kernel's quiet fast path)."""
        if self._commands or self._events or self._dirty or self._stale or self._failure is not None:
            return None
        if contract_id in self._quote_contracts:
            return None
        low, high = -NEVER, NEVER
        for rt in self._tick_runtimes.get(contract_id, ()):
            if rt.status is not Status.ACTIVE or rt.ctx is None or rt.strategy.changed:
                return None
            band = rt.strategy.tick_band()
            if band is None:
                return None
            low, high = max(low, band[0]), min(high, band[1])
        return low, high

    def quiet_trades(self, last_ns: int) -> None:
        """Trades inside `tick_band` went by; the last was at `last_ns`."""
        self.now_ns = last_ns

    def on_candles(self, closed: Sequence[Candle], now_ns: int) -> bool:
        self.now_ns = now_ns
        touched: dict[str, list[Candle]] = {}
        series = self._series
        for candle in closed:
            s = series.get((candle.contract_id, candle.timeframe))
            if s is not None and candle.closed and s.push(candle):
                touched.setdefault(candle.contract_id, []).append(candle)
        for contract_id, candles in touched.items():
            for rt in tuple(self._active.get(contract_id, ())):
                self._call(rt, rt.strategy.on_candles, candles)
        return self._finish()

    def on_tick(self, tick: Tick) -> bool:
        if type(tick) is not Trade and tick.contract_id not in self._quote_contracts:
            return False  # only trade prints are wanted here: nothing to do for a quote
        self.now_ns = tick.ts_event
        is_trade = type(tick) is Trade
        for rt in self._tick_runtimes.get(tick.contract_id, ()):
            if is_trade or rt.strategy.wants_quotes:
                self._call(rt, rt.strategy.on_tick, tick)
        return self._finish()

    def on_time(self, now_ns: int) -> bool:
        self.now_ns = now_ns
        for _ in range(TIMER_ROUNDS):
            due = [rt for rts in self._active.values() for rt in rts if rt.strategy.next_timer_ns <= now_ns]
            if not due:
                break
            for rt in due:
                self._call(rt, rt.strategy.on_timer)
        return self._finish()

    def on_execution(self, step: ExecutionStep, view: ExecutionView) -> None:
        self.view = view
        by_tag = self._by_tag
        if not by_tag:
            return
        for event in step.events:
            if type(event) is OrderFilled:
                fill = event.fill
                order = view.order(fill.order_id)
                rt = by_tag.get(order.tag)
                if rt is None:
                    self._outside_fill(fill, view, step.ts_ns)
                    continue
                rt.on_fill(fill, order)
                rt.updated_ns = step.ts_ns
                self._dirty[rt.id] = None
                self._check_loss(rt)
                if rt.roll_to is not None:
                    self._rebind_if_flat(rt, step.ts_ns)
                if order.role is OrderRole.BRACKET_ENTRY:
                    self._check_concurrency(rt)

    def on_trades(self, changes: Sequence[TradeChange], now_ns: int) -> None:
        """Round trips changed (kernel.commands.settle_trades): those its orders opened update its R."""
        runtimes = self.runtimes
        opened_or_closed = False
        for change in changes:
            trip = change.trip
            strategy_id = trip.strategy_id
            if strategy_id is None or trip.account_id is None:
                continue
            rt = runtimes.get(strategy_id)
            if rt is None:
                continue
            was_open = bool(rt.open_trips)
            if not rt.on_trade(change, now_ns):
                continue
            last = self.history.last_trade(rt.contract_id)
            if last is not None:
                rt.mark = last.price
            rt.updated_ns = now_ns
            self._dirty[rt.id] = None
            if was_open != bool(rt.open_trips):
                opened_or_closed = True
        if opened_or_closed:
            self._remark()

    def on_mark(self, tick: Trade) -> bool:
        """A trade print of a contract in `marked`: the open trades there are marked at its price."""
        price, ts = tick.price, tick.ts_event
        changed = False
        for rt in self.marked.get(tick.contract_id, ()):
            if rt.mark != price:
                rt.mark = price  # reads are exact at every print
                if ts - rt.mark_sent_ns >= MARK_EVERY_NS:  # stored and streamed at most this often
                    rt.mark_sent_ns = ts
                    rt.roll(ts)
                    rt.updated_ns = ts
                    self._dirty[rt.id] = None
                    changed = True
        return changed

    def adopt_trips(self, trips: Iterable[RoundTrip]) -> None:
        """After a restart: the restored open round trips its orders opened (the ledger's, as stored with the R
        figures they had counted), so they go on being marked and realise from where they were."""
        for trip in trips:
            rt = self.runtimes.get(trip.strategy_id or "")
            if rt is not None and trip.account_id is not None and trip.is_open:
                rt.open_trips[trip.trade_id] = trip
        self._remark()

    def _remark(self) -> None:
        marking: dict[str, list[Runtime]] = {}
        for rt in self.runtimes.values():
            if rt.open_trips:
                marking.setdefault(rt.contract_id, []).append(rt)
        self.marked = {cid: tuple(rts) for cid, rts in marking.items()}

    def _outside_fill(self, fill: Fill, view: ExecutionView, ts_ns: int) -> None:
        """A fill of an order no strategy placed: if it left the account flat in the contract, the strategies
        holding a position there are flat too."""
        holders = [
            rt for rt in self.runtimes.values()
            if rt.position and rt.account_id == fill.account_id and rt.contract_id == fill.contract_id
        ]  # fmt: skip
        if not holders or view.position(fill.account_id, fill.contract_id).net_qty != 0:
            return
        self.now_ns = ts_ns  # its events carry the fill's instant (a fill on arrival comes with no tick or timer call)
        for rt in holders:
            rt.closed_outside(fill.price, ts_ns)
            rt.updated_ns = ts_ns
            self._dirty[rt.id] = None
            self._event(
                rt,
                "closed_outside",
                f"position closed at {rt.contract.spec.format_ticks(fill.price)} by an order not its own",
            )
            self._rebind_if_flat(rt, ts_ns)

    def _check_loss(self, rt: Runtime) -> None:
        limit = rt.definition.limits.daily_loss
        if limit is None or rt.loss_hit or rt.realised_today > -limit:
            return
        rt.loss_hit = True
        self._event(rt, "daily_loss", f"realised {_money(rt.realised_today)} today reached the limit {limit}")
        if rt.status is Status.ACTIVE:
            self._apply(rt, (CancelOwn(entries_only=True),))
            self._next = 0  # run the cancels on the next call

    def _check_concurrency(self, rt: Runtime) -> None:
        """An entry filled: at the limit of concurrent positions, its other unfilled entries are cancelled."""
        limit = rt.definition.limits.max_concurrent_positions
        if limit is None or rt.status is not Status.ACTIVE:
            return
        if self.open_positions(rt) >= limit and any(o.role in _ENTRY_ROLES for o in self.own_orders(rt)):
            self._event(rt, "max_positions", f"{limit} concurrent positions open: unfilled entries cancelled")
            self._apply(rt, (CancelOwn(entries_only=True),))

    def open_positions(self, rt: Runtime) -> int:
        """Its filled brackets still open: exits working whose entry is no longer working."""
        own = self.own_orders(rt)
        working_entries = {o.order_id for o in own if o.role is OrderRole.BRACKET_ENTRY}
        exits = {o.bracket_id for o in own if o.role in _EXIT_ROLES and o.bracket_id is not None}
        return len(exits - working_entries)

    def take_commands(self) -> Sequence[tuple[str, ExecutionCommand]]:
        if not self._commands:
            return ()
        commands, self._commands = self._commands, []
        if self._next == 0:
            self._refresh()
        return commands

    def command_result(
        self, strategy_id: str, command: ExecutionCommand, step: ExecutionStep | None, refusal: str
    ) -> None:
        if not refusal or isinstance(command, CancelOrder):
            return  # a cancel of an order already gone changes nothing
        rt = self.runtimes.get(strategy_id)
        if rt is not None:
            self._event(rt, "refused", f"{type(command).__name__} refused: {refusal}")

    def take_events(self) -> Sequence[object]:
        if not self._dirty and not self._events:
            return ()
        for strategy_id in self._dirty:
            rt = self.runtimes.get(strategy_id)
            if rt is not None:
                self._events.append(rt.record())
        self._dirty.clear()
        events, self._events = self._events, []
        return events

    def accounts(self, contract_id: str) -> tuple[AccountId, ...]:
        if self._failed:
            failed, self._failed = tuple(dict.fromkeys(self._failed)), []
            return failed
        rts = self._active.get(contract_id, ()) if contract_id else [r for v in self._active.values() for r in v]
        return tuple(dict.fromkeys(rt.account_id for rt in rts))

    def snapshot(self) -> object:
        saved = {
            sid: (_copied(rt), rt.strategy.state(), rt.strategy.next_timer_ns, rt.strategy.wants_ticks)
            for sid, rt in self.runtimes.items()
        }
        actives = {cid: list(rts) for cid, rts in self._active.items()}
        return saved, actives, list(self._commands), list(self._events), dict(self._dirty)

    def restore(self, point: object) -> None:
        assert isinstance(point, tuple)
        saved, actives, self._commands, self._events, self._dirty = point
        self.runtimes = {}
        for sid, (rt, state, timer, ticks) in saved.items():
            rt.strategy.restore(state)
            rt.strategy.next_timer_ns, rt.strategy.wants_ticks = timer, ticks
            rt.ctx = None  # the copy's own context, made on its next call
            self.runtimes[sid] = rt
        by_id = self.runtimes
        self._active = {cid: [by_id.get(r.id, r) for r in rts] for cid, rts in actives.items()}
        self._by_tag = {tag: by_id.get(rt.id, rt) if rt.tag == tag else rt for tag, rt in self._by_tag.items()}
        self._refresh()
        self._remark()

    # -- calls and actions ----------------------------------------------------------------------------------

    def _call(self, rt: Runtime, fn: Callable[..., Sequence[Action]], *args: object) -> None:
        if rt.status is not Status.ACTIVE:
            return
        strategy = rt.strategy
        timer, ticks = strategy.next_timer_ns, strategy.wants_ticks
        ctx = rt.ctx
        if ctx is None:
            ctx = rt.ctx = _Context(self, rt)
        try:
            actions = fn(*args, ctx)
        except Exception as exc:
            self._fail(rt, exc)
            return
        if actions:
            self._apply(rt, actions)
        elif strategy.changed:
            self._dirty[rt.id] = None
            rt.updated_ns = self.now_ns
        strategy.changed = False
        if strategy.next_timer_ns != timer or strategy.wants_ticks != ticks:
            self._stale = True

    def _fail(self, rt: Runtime, exc: Exception) -> None:
        rt.errors += 1
        rt.last_error = f"{type(exc).__name__}: {exc}"[:500]
        rt.status = Status.FAILED
        rt.updated_ns = self.now_ns
        self.failures += 1
        self._deactivate(rt)
        self._event(rt, "failed", f"{rt.last_error}; account {rt.account_id} held until an operator resumes it")
        self._failed.append(rt.account_id)
        self._failure = StrategyFailed(f"strategy {rt.id}@{rt.version} failed: {rt.last_error}")
        self._failure.__cause__ = exc

    def _finish(self) -> bool:
        """After a call: timers and tick wishes brought up to date; the failure raised (the kernel isolates it);
        whether there are commands or events to collect."""
        if self._stale or self._commands:
            self._refresh()
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        return bool(self._commands or self._events or self._dirty)

    def _refresh(self) -> None:
        nxt = NEVER
        wanting: dict[str, tuple[Runtime, ...]] = {}
        for contract_id, rts in self._active.items():
            for rt in rts:
                strategy = rt.strategy
                if strategy.next_timer_ns < nxt:
                    nxt = strategy.next_timer_ns
            ticking = tuple(rt for rt in rts if rt.strategy.wants_ticks)
            if ticking:
                wanting[contract_id] = ticking
        if self._commands:
            nxt = 0
        self._next = nxt
        self._tick_runtimes = wanting
        self._tick_contracts = set(wanting)
        self._quote_contracts = {c for c, rts in wanting.items() if any(rt.strategy.wants_quotes for rt in rts)}
        self._stale = False

    def _apply(self, rt: Runtime, actions: Sequence[Action]) -> None:
        rt.updated_ns = self.now_ns
        self._dirty[rt.id] = None
        for action in actions:
            if isinstance(action, Note):
                self._event(rt, action.kind, action.message)
            elif isinstance(action, Place):
                self._commands.append((rt.id, self._stamped(rt, action.command)))
            elif isinstance(action, CancelOwn):
                for order in self.own_orders(rt):
                    if not action.entries_only or order.role in _ENTRY_ROLES:
                        self._commands.append((rt.id, CancelOrder(order.account_id, order.order_id)))
            elif isinstance(action, CloseOwn):
                for order in self.own_orders(rt):
                    self._commands.append((rt.id, CancelOrder(order.account_id, order.order_id)))
                if rt.position:
                    side = OrderSide.SELL if rt.position > 0 else OrderSide.BUY
                    close = SubmitOrder(
                        rt.account_id, rt.contract.id, side, abs(rt.position), OrderType.MARKET,
                        TimeInForce.DAY, tag=rt.tag, reduce_only=True,
                    )  # fmt: skip
                    self._commands.append((rt.id, close))
        if self._commands:
            self._next = 0

    def _stamped(
        self, rt: Runtime, command: SubmitOrder | SubmitBracket | SubmitBracketBatch
    ) -> SubmitOrder | SubmitBracket | SubmitBracketBatch:
        """The strategy trades only its own account and contract, under its own tag."""
        if isinstance(command, SubmitOrder | SubmitBracket) and (
            command.account_id == rt.account_id and command.contract_id == rt.contract_id and command.tag == rt.tag
        ):
            return command  # built from its context already (the usual case): nothing to copy
        if isinstance(command, SubmitBracketBatch):
            brackets = command.brackets
            return SubmitBracketBatch(
                tuple(replace(b, account_id=rt.account_id, contract_id=rt.contract.id, tag=rt.tag) for b in brackets)
            )
        return replace(command, account_id=rt.account_id, contract_id=rt.contract.id, tag=rt.tag)

    def own_orders(self, rt: Runtime) -> tuple[Order, ...]:
        view = self.view
        if view is None:
            return ()
        try:
            orders = view.open_orders(rt.account_id, rt.contract.id)
        except Exception:  # the account is gone: nothing of the strategy's is open
            return ()
        return tuple(o for o in orders if o.tag.startswith(f"{TAG_PREFIX}{rt.id}@"))

    def _event(self, rt: Runtime, kind: str, message: str) -> None:
        self._events.append(StrategyEvent(rt.id, rt.version, self.now_ns, kind, message))

    # -- status ---------------------------------------------------------------------------------------------

    def records(self) -> list[StrategyRecord]:
        return [rt.record() for rt in self.runtimes.values()]

    def strategies(self) -> Mapping[str, Runtime]:
        return self.runtimes
