"""CommandRunner: every execution command the kernel runs, and the one bounded guard loop around it.

A command (from a client, a strategy, a confirmed signal, a trade's break-even move or a risk action) goes to
the paper engine; the pre-trade decisions and the events it caused go to risk; the commands risk asks for in
return (cancel all, flatten) run at once, within the same tick or command, for at most GUARD_ROUNDS rounds.
Every engine call is recorded as an ExecutionStep and shown to the trade and strategy stages in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core_server.copying.engine import CopyEngine
from core_server.execution.changes import account_id_of
from core_server.execution.commands import ExecutionCommand
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent, OrderRejected
from core_server.execution.model import AccountId
from core_server.kernel.isolation import Isolation
from core_server.kernel.output import Cause, ExecutionStep, KernelOutput, Stage
from core_server.kernel.ports import StrategyStage
from core_server.model.errors import VigilError
from core_server.risk.engine import RiskEngine
from core_server.risk.events import NOTHING, RiskResult
from core_server.trades.ledger import TradeLedger

GUARD_ROUNDS = 4  # risk's commands may cause more decisions; a bounded number of rounds, never a loop
TRADE_ROUNDS = 2  # a break-even move may cause a fill that closes the trade; never more

RejectionListener = Callable[[OrderRejected, str], None]  # (event, the order's tag)


class CommandRunner:
    def __init__(
        self,
        execution: PaperExecutionEngine,
        risk: RiskEngine,
        trades: TradeLedger,
        strategies: StrategyStage | None,
        output: KernelOutput,
        isolation: Isolation,
    ) -> None:
        self.execution = execution
        self.risk = risk
        self.trades = trades
        self.strategies = strategies
        self.output = output
        self.isolation = isolation
        self.rejection_listeners: list[RejectionListener] = []
        self.copier: CopyEngine | None = None  # copy groups (kernel.copying): source commands fan out to followers

    def attach_copier(self, copier: CopyEngine) -> None:
        self.copier = copier
        copier.run = lambda command, now, group_id: self.execute(command, now, Cause.COPY, group_id)
        self.rejection_listeners.append(copier.rejected)

    # -- running commands -----------------------------------------------------------------------------------

    def execute(
        self, command: ExecutionCommand, ts: int, cause: Cause, actor: str = "", rounds: int = GUARD_ROUNDS
    ) -> tuple[ExecutionEvent, ...]:
        """One command and its consequences; VigilError (refused, nothing changed) propagates after risk's
        decisions about it are recorded."""
        copier = self.copier
        plan = copier.plan(command, cause, actor) if copier is not None and copier.active and cause != "copy" else None
        try:
            events = self.execution.execute(command, ts)
        except VigilError:
            self._risk_after((), ts, rounds)  # a refusal may still carry decisions (a denied modify)
            raise
        arrived = self.execution.advance_to(ts)  # zero-latency orders (a flatten's) arrive within the step
        if arrived:
            events = events + arrived
        self.record(ts, command, events, cause, actor)
        self._risk_after(events, ts, rounds)
        if plan is not None:
            copier.follow(plan, command, events, ts)  # type: ignore[union-attr]
        return events

    def _risk_after(self, events: Sequence[ExecutionEvent], ts: int, rounds: int) -> None:
        risk = self.risk
        try:
            decided = risk.take_pending()
            result = risk.on_execution_events(events) if events else NOTHING
        except Exception as exc:
            self.isolation.failed(Stage.RISK, ts, "", _accounts_of(events), exc)
            return
        for part in (decided, result):
            if part is not NOTHING:
                self.risk_result(part, ts, rounds)

    def risk_result(self, result: RiskResult, ts: int, rounds: int = GUARD_ROUNDS) -> None:
        """Record risk's events and run the commands it asks for now (bounded)."""
        self.output.add_risk(result.events)
        if not result.actions:
            return
        if rounds <= 0:
            self.isolation.guard_exhausted(ts, result.actions)
            return
        for action in result.actions:
            try:
                self.execute(action, ts, Cause.RISK, "", rounds - 1)
            except VigilError:
                continue  # e.g. nothing left to cancel: nothing to do, nothing changed

    def advance(self, now_ns: int) -> None:
        """Time passing: arrivals and day expiry in the engine, then risk's flat-by and day roll."""
        try:
            events = self.execution.advance_to(now_ns)
        except Exception as exc:
            self.isolation.failed(Stage.EXECUTION, now_ns, "", (), exc)
            events = ()
        if events:
            self.record(now_ns, None, events, Cause.TIME)
        try:
            first = self.risk.on_execution_events(events) if events else NOTHING
            later = self.risk.advance_to(now_ns)
        except Exception as exc:
            self.isolation.failed(Stage.RISK, now_ns, "", _accounts_of(events), exc)
            return
        for part in (first, later):
            if part is not NOTHING:
                self.risk_result(part, now_ns)

    def record(
        self,
        ts: int,
        command: ExecutionCommand | None,
        events: tuple[ExecutionEvent, ...],
        cause: Cause,
        actor: str = "",
    ) -> ExecutionStep:
        step = ExecutionStep(ts, command, events, cause, actor)
        self.output.execution.append(step)
        if not events:
            return step
        view = self.execution
        try:
            self.trades.on_execution(step, view)
        except Exception as exc:
            self.isolation.failed(Stage.TRADES, ts, "", _accounts_of(events), exc)
        strategies = self.strategies
        if strategies is not None:
            try:
                strategies.on_execution(step, view)
            except Exception as exc:
                self.isolation.failed(Stage.STRATEGIES, ts, "", _accounts_of(events), exc)
            followed = strategies.take_events()  # what the fills changed (positions, P&L) goes with them
            if followed:
                self.output.strategies.extend(followed)
        copier = self.copier
        if copier is not None and copier.active and (cause is Cause.TICK or cause is Cause.TIME):
            copier.source_moved(events, ts)  # the source's own stop or target filled: followers close too
        if self.rejection_listeners:
            for event in events:
                if isinstance(event, OrderRejected):
                    tag = view.order(event.order_id).tag
                    for listener in self.rejection_listeners:
                        listener(event, tag)
        return step

    # -- stages that ask for commands ------------------------------------------------------------------------

    def settle_trades(self, ts: int) -> None:
        """Run what the trades asked for (break-even stop moves), then collect their changes."""
        trades = self.trades
        for _ in range(TRADE_ROUNDS):
            commands = trades.take_commands()
            if not commands:
                break
            for command in commands:
                try:
                    self.execute(command, ts, Cause.TRADES)
                except VigilError as exc:  # e.g. the quote lags the trade that moved it: tried again next tick
                    trades.command_refused(command, str(exc))
        changes = trades.take_changes()
        if changes:
            self.output.trades.extend(changes)
            strategies = self.strategies
            if strategies is not None:  # their P&L in R follows the round trips their orders opened
                try:
                    strategies.on_trades(changes, ts)
                except Exception as exc:
                    accounts = tuple(dict.fromkeys(AccountId(c.trip.account_id) for c in changes if c.trip.account_id))
                    self.isolation.failed(Stage.STRATEGIES, ts, "", accounts, exc)
                followed = strategies.take_events()
                if followed:
                    self.output.strategies.extend(followed)

    def run_strategy_commands(self, ts: int) -> None:
        strategies = self.strategies
        if strategies is None:
            return
        for strategy_id, command in strategies.take_commands():
            before = len(self.output.execution)
            try:
                self.execute(command, ts, Cause.STRATEGY, strategy_id)
            except VigilError as exc:
                strategies.command_result(strategy_id, command, None, str(exc))
                continue
            step = self.output.execution[before]
            strategies.command_result(strategy_id, command, step, "")
        events = strategies.take_events()
        if events:
            self.output.strategies.extend(events)

    # -- state ----------------------------------------------------------------------------------------------

    def snapshot(self) -> object:
        strategies = self.strategies
        return self.trades.snapshot(), strategies.snapshot() if strategies is not None else None

    def restore(self, point: object) -> None:
        assert isinstance(point, tuple)
        self.trades.restore(point[0])
        if self.strategies is not None:
            self.strategies.restore(point[1])

    def exposed(self, contract_id: str) -> tuple[AccountId, ...]:
        """Accounts with an open order or position in the contract: what a failing stage may leave unsafe."""
        view = self.execution
        found: dict[AccountId, None] = {}
        for account in view.accounts():
            aid = account.account_id
            if view.open_orders(aid, contract_id) or view.position(aid, contract_id).net_qty:
                found[aid] = None
        return tuple(found)


def _accounts_of(events: Sequence[ExecutionEvent]) -> tuple[AccountId, ...]:
    return tuple(dict.fromkeys(account_id_of(e) for e in events))
