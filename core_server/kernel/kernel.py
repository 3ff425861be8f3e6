"""TradingKernel: the one synchronous chain that live trading, backtests and the test kits all drive.

Every tick runs through the stages in one fixed order:

    anomaly filter -> candles (all six timeframes) -> strategies (closed candles, ticks, due timers)
    -> paper fills -> risk evaluation and its same-tick actions (then what the fills asked of strategies)
    -> trades (round trips, excursions; the strategies' R follows their round trips)
    -> strategies' open trades marked at the print (only contracts where one has a trade open)
    -> signal validation (closed candles, then the opens that give entries)

Time without ticks (`advance_to`) runs the same order: candles closing on time, strategy timers, arrivals and
day expiry, risk's flat-by and day roll, then signals. Commands (`execute`, `submit_signal`, the risk
commands, a continuous backtest's front-month roll: kernel.front_roll) enter at the execution stage and run on
through risk and trades.

The kernel reads time only from what it is given (tick times, `now_ns`), never awaits, logs or stores: it
appends everything it decided to `output` (kernel.output.KernelOutput), which its driver drains. A stage that
raises is isolated (kernel.isolation): recorded as a StageFailure, the accounts it touched are locked from new
risk until an operator resumes them, and the other stages and the next ticks go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core_server.copying.engine import CopyEngine
from core_server.execution.commands import ExecutionCommand
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent
from core_server.execution.model import AccountId
from core_server.kernel.commands import CommandRunner
from core_server.kernel.front_roll import roll_front_month
from core_server.kernel.isolation import Isolation
from core_server.kernel.market import ContractMarket, MarketStage, quote_price
from core_server.kernel.output import Cause, KernelOutput, Stage
from core_server.kernel.ports import StrategyStage
from core_server.kernel.signal_flow import SignalFlow
from core_server.model.errors import NotFound
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, FeedGap, Tick, Trade
from core_server.risk.engine import RiskEngine
from core_server.risk.events import NOTHING, RiskEvent, RiskResult
from core_server.signals.model import SignalEventKind, SignalInput, SubmitResult
from core_server.signals.validator import SignalValidator
from core_server.trades.ledger import TradeLedger

_NO_CANDLES: tuple[Candle, ...] = ()


@dataclass(frozen=True, slots=True)
class SignalExecution:
    """Whether confirmed signals trade, on which account, with the take-profit at how many R from the fill."""

    enabled: bool
    account_id: AccountId
    target_r: Decimal


class TradingKernel:
    """Owns the market stage and runs the engines it is given in the documented order."""

    def __init__(
        self,
        *,
        market: MarketStage,
        execution: PaperExecutionEngine,
        risk: RiskEngine,
        trades: TradeLedger,
        signals: SignalValidator | None = None,
        signal_execution: SignalExecution | None = None,
        strategies: StrategyStage | None = None,
        close_grace_ns: int = 0,
        trade_id_factory: Callable[[], str] | None = None,
    ) -> None:
        self.market = market
        self.execution = execution
        self.risk = risk
        self.trades = trades
        self.signals = signals
        self.strategies = strategies
        self.output = KernelOutput()
        self.close_grace_ns = close_grace_ns  # live: a tick stamped just before a bucket end may arrive late
        self.unknown_contract_ticks = 0
        self.isolation = Isolation(self.output, risk)
        self.commands = CommandRunner(execution, risk, trades, strategies, self.output, self.isolation)
        self.signal_flow = SignalFlow(signals, signal_execution, self.commands, trades, self.output, trade_id_factory)
        signal_account = signal_execution.account_id if signal_execution and signal_execution.enabled else None
        self.copying = CopyEngine(execution, self._strategy_of, self.output, signal_account)
        self.commands.attach_copier(self.copying)
        execution.add_pre_trade_check(risk)
        self._markets = market.contracts
        self._mode = market.quote_price_mode
        # The per-tick calls, bound once.
        self._on_quote = execution.on_quote
        self._on_trade = execution.on_trade
        self._risk_on_tick = risk.on_tick

    def _strategy_of(self, signal_id: str) -> str | None:
        signals = self.signals
        if signals is None:
            return None
        try:
            return signals.get(signal_id).input.strategy
        except NotFound:
            return None

    # -- contracts ------------------------------------------------------------------------------------------

    def add_contract(self, contract: Contract, *, complete_from_ns: int, quote_only: bool = False) -> ContractMarket:
        return self.market.add_contract(contract, complete_from_ns=complete_from_ns, quote_only=quote_only)

    # -- ticks: the hot path --------------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> None:
        market = self._markets.get(tick.contract_id)
        if market is None:
            self.unknown_contract_ticks += 1
            return
        price = tick.price if type(tick) is Trade else quote_price(tick, self._mode)  # type: ignore[arg-type]
        released, rejected = market.anomaly_filter.push(tick, price)
        if rejected:
            market.anomalies += len(rejected)
            self.output.anomalies.extend(rejected)
        for good in released:
            self._tick(market, good)

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        for tick in ticks:
            self.on_tick(tick)

    def _tick(self, market: ContractMarket, tick: Tick) -> None:
        out = self.output
        out.ticks.append(tick)
        ts = tick.ts_event
        is_trade = type(tick) is Trade
        # 1. candles
        try:
            if is_trade:
                market.last_trade = tick  # type: ignore[assignment]
                closed = market.aggregator.update(ts, tick.price, tick.size)  # type: ignore[union-attr]
            else:
                market.last_quote = tick  # type: ignore[assignment]
                closed = (
                    market.aggregator.update(ts, quote_price(tick, self._mode), 0)  # type: ignore[arg-type]
                    if market.quote_only
                    else _NO_CANDLES
                )
            if closed:
                self._candles_closed(closed)
        except Exception as exc:
            closed = _NO_CANDLES
            self.isolation.failed(Stage.MARKET, ts, market.id, (), exc)
        # 2. strategies
        strategies = self.strategies
        if strategies is not None:
            self._strategies(strategies, market, tick, closed, ts)
        # 3. fills
        execution_events: tuple[ExecutionEvent, ...] = ()
        try:
            execution_events = self._on_trade(tick) if is_trade else self._on_quote(tick)  # type: ignore[arg-type]
        except Exception as exc:
            self.isolation.failed(Stage.EXECUTION, ts, market.id, self.commands.exposed(market.id), exc)
        # 4. risk and its same-tick actions
        try:
            result = self._risk_on_tick(tick, execution_events)
        except Exception as exc:
            result = NOTHING
            self.isolation.failed(Stage.RISK, ts, market.id, self.commands.exposed(market.id), exc)
        if execution_events:
            self.commands.record(ts, None, execution_events, Cause.TICK)
        if result is not NOTHING:
            self.commands.risk_result(result, ts)
        if execution_events and strategies is not None:  # a fill may bring a strategy to a limit: it acts now
            self.commands.run_strategy_commands(ts)
        # 5. trades: round trips from the fills (recorded as they happened), excursions from the price
        trades = self.trades
        try:
            trades.on_tick(tick)
        except Exception as exc:
            self.isolation.failed(Stage.TRADES, ts, market.id, trades.open_accounts(market.id), exc)
        if trades.has_work:
            self.commands.settle_trades(ts)
        # 5b. strategies' open trades marked at the print (only where one has a trade open)
        if is_trade and strategies is not None and market.id in strategies.marked:
            self._mark(strategies, tick, ts)  # type: ignore[arg-type]
        # 6. signals
        signals = self.signals
        if signals is not None and signals.pending_count:
            self.signal_flow.after_tick(market, closed, ts)

    def _mark(self, strategies: StrategyStage, tick: Trade, ts: int) -> None:
        try:
            if strategies.on_mark(tick) is False:
                return
        except Exception as exc:
            self.isolation.failed(Stage.STRATEGIES, ts, tick.contract_id, strategies.accounts(tick.contract_id), exc)
        events = strategies.take_events()
        if events:
            self.output.strategies.extend(events)

    def _candles_closed(self, closed: Sequence[Candle]) -> None:
        window = self.market.window
        for candle in closed:
            window.add(candle)
        self.output.candles.extend(closed)

    def _strategies(
        self, strategies: StrategyStage, market: ContractMarket, tick: Tick, closed: Sequence[Candle], ts: int
    ) -> None:
        wants_ticks = strategies.wants_ticks(market.id)
        if not closed and not wants_ticks and ts < strategies.next_timer_ns():
            return
        # Three calls, each isolated: one that raises never keeps the others from running on this tick. Each says
        # whether it left commands or events to collect (False: nothing to run, the common tick).
        collect = False
        if closed:
            try:
                collect = strategies.on_candles(closed, ts) is not False
            except Exception as exc:
                collect = True
                self.isolation.failed(Stage.STRATEGIES, ts, market.id, strategies.accounts(market.id), exc)
        if ts >= strategies.next_timer_ns():
            try:
                collect = (strategies.on_time(ts) is not False) or collect
            except Exception as exc:
                collect = True
                self.isolation.failed(Stage.STRATEGIES, ts, market.id, strategies.accounts(market.id), exc)
        if wants_ticks or strategies.wants_ticks(market.id):  # (a timer may just have asked for ticks)
            try:
                collect = (strategies.on_tick(tick) is not False) or collect
            except Exception as exc:
                collect = True
                self.isolation.failed(Stage.STRATEGIES, ts, market.id, strategies.accounts(market.id), exc)
        if collect:
            self.commands.run_strategy_commands(ts)

    # -- time -----------------------------------------------------------------------------------------------

    def advance_to(self, now_ns: int) -> None:
        """Time passes without a tick: candles close on time, timers fire, orders arrive or expire, risk rolls."""
        cutoff = now_ns - self.close_grace_ns
        closed_all: list[Candle] = []
        for market in self._markets.values():
            if not market.close_by_time:
                continue
            try:
                closed = market.aggregator.close_due(cutoff)
            except Exception as exc:
                self.isolation.failed(Stage.MARKET, now_ns, market.id, (), exc)
                continue
            if closed:
                self._candles_closed(closed)
                closed_all.extend(closed)
        strategies = self.strategies
        if strategies is not None and (closed_all or now_ns >= strategies.next_timer_ns()):
            if closed_all:
                try:
                    strategies.on_candles(closed_all, now_ns)
                except Exception as exc:
                    self.isolation.failed(Stage.STRATEGIES, now_ns, "", strategies.accounts(""), exc)
            if now_ns >= strategies.next_timer_ns():
                try:
                    strategies.on_time(now_ns)
                except Exception as exc:
                    self.isolation.failed(Stage.STRATEGIES, now_ns, "", strategies.accounts(""), exc)
            self.commands.run_strategy_commands(now_ns)
        self.commands.advance(now_ns)
        if strategies is not None:  # arrivals that filled may have brought a strategy to a limit
            self.commands.run_strategy_commands(now_ns)
        self.commands.settle_trades(now_ns)
        if self.signals is not None and closed_all:
            self.signal_flow.after_time(closed_all, now_ns)

    def next_due_ns(self) -> int:
        """The earliest instant something happens without a tick (a backtest jumps between these)."""
        due = min(self.execution.next_due_ns(), self.risk.next_due_ns())
        if self.strategies is not None:
            due = min(due, self.strategies.next_timer_ns())
        return due

    def on_gap(self, gap: FeedGap) -> None:
        """An unfilled feed gap: every candle overlapping it is incomplete (closed ones are re-stored)."""
        if gap.filled:
            return
        targets = [m for m in self._markets.values() if not gap.contract_id or m.id == gap.contract_id]
        for market in targets:
            changed = market.aggregator.mark_gap(gap.start_ns, gap.end_ns)
            if changed:
                self._candles_closed(changed)

    def cut_short(self, contract_id: str, at_ns: int) -> None:
        """The contract's feed ended at `at_ns`: its forming candles will never see the rest of their buckets."""
        market = self._markets.get(contract_id)
        if market is not None:
            market.aggregator.cut_short(at_ns)

    # -- commands -------------------------------------------------------------------------------------------

    def execute(
        self, command: ExecutionCommand, now_ns: int, *, cause: Cause = Cause.API, actor: str = ""
    ) -> tuple[ExecutionEvent, ...]:
        """Run one execution command now. InvalidArgument/NotFound/FailedPrecondition: refused, nothing changed
        (the risk decisions it caused are still recorded). Returns the command's own events."""
        events = self.commands.execute(command, now_ns, cause, actor)
        if self.strategies is not None:  # what its fills asked of a strategy (a limit reached) acts now
            self.commands.run_strategy_commands(now_ns)
        self.commands.settle_trades(now_ns)
        return events

    def submit_signal(self, signal_input: SignalInput, *, authenticated: bool, now_ns: int) -> SubmitResult:
        result = self.signal_flow.submit(signal_input, authenticated=authenticated, now_ns=now_ns)
        self.commands.settle_trades(now_ns)  # an exit or reversal may have closed a round trip
        return result

    def approve_signal(self, signal_id: str, now_ns: int) -> None:
        self.signal_flow.approve(signal_id, now_ns)

    def cancel_signal(self, signal_id: str, reason: str, now_ns: int) -> None:
        self.signal_flow.cancel(signal_id, reason, now_ns)

    def emergency_stop(self, reason: str, now_ns: int) -> None:
        """Block new risk everywhere, cancel every order, flatten every account and stop every strategy, within
        this call (SPEC §6)."""
        self.commands.risk_result(self.risk.emergency_stop(now_ns, reason), now_ns)
        if self.strategies is not None:
            self.strategies.stop_all(reason, now_ns)
            self.commands.run_strategy_commands(now_ns)
        self.commands.settle_trades(now_ns)

    def roll_front_month(self, old: Contract, new: Contract, now_ns: int) -> list[str]:
        """The front month changes from `old` to `new` (a continuous backtest's roll, kernel.front_roll): every
        account's orders in `old` cancelled and its position closed at market, the strategies moved to `new`.
        Returns why any of those commands was refused."""
        return roll_front_month(self.commands, self.strategies, old, new, now_ns)

    def resume(self, reason: str, now_ns: int) -> None:
        self.commands.risk_result(self.risk.resume(now_ns, reason), now_ns)

    def apply_risk(self, result: RiskResult, now_ns: int) -> None:
        """A risk decision made outside the chain (new rules, a restored account): record it and act on it."""
        self.commands.risk_result(result, now_ns)
        self.commands.settle_trades(now_ns)

    def record_risk_events(self, events: Sequence[RiskEvent]) -> None:
        self.output.add_risk(events)

    # -- rollback (the live shell undoes a command it could not store) --------------------------------------

    def rollback_point(self) -> object:
        return (
            self.execution.rollback_point(),
            self.risk.snapshot(),
            self.commands.snapshot(),
            self.output.mark(),
            self.copying.snapshot(),
        )

    def restore(self, point: object) -> None:
        assert isinstance(point, tuple)
        self.execution.restore(point[0])
        self.risk.restore(point[1])
        self.commands.restore(point[2])
        self.output.truncate(point[3])
        self.copying.restore_point(point[4])

    def take_output(self) -> KernelOutput:
        """Everything produced since the last call; the kernel starts a new output."""
        notes = self.copying.take_notes()
        if notes and self.signals is not None:
            self._note_copies(self.signals, notes)
        return self.output.take()

    def _note_copies(self, signals: SignalValidator, notes: Sequence[tuple[str, str, int]]) -> None:
        """Each signal whose orders copy groups fanned out gets a `copied` event, after its own (Signal Lab)."""
        for signal_id, detail, ts in notes:
            try:
                self.output.signals.append(signals.note(signal_id, SignalEventKind.COPIED, detail, ts))
            except NotFound:
                continue  # settled and forgotten since: the copy outcomes still say what happened
