"""Backtest: the one TradingKernel (kernel.assembly.build_kernel, as live builds it) driven over ticks in event time.

Time. There is no wall clock: time is the ticks' `ts_event`. Before each tick, everything the kernel says is due
at or before it (`next_due_ns`: order arrivals and expiries, risk's flat-by and day roll, strategy timers) runs
at exactly its due instant through `advance_to`, as a live timer firing at that instant would; a scheduled
command runs at its instant after the time before it has passed. After the last tick, what falls due before the
end of the range runs too. The same config, ticks, commands and seed therefore give the same decisions.

Rolls. A run on a continuous symbol holds every front month of its range (backtest.rolls) and gets the ticks of all
of them. At each roll instant (17:00 CT, the roll day's trading-day open) the kernel cancels the old contract's
orders, closes its positions at market (exit reason `roll`) and moves the strategies to the new front month
(kernel.front_roll); a roll is scheduled like a command, so the quiet fast path never runs past one.

Speed. The per-tick loop does one comparison against the next due instant and one kernel call; the due instant
is read again only after a tick that changed orders, risk or candles (the kernel's output grew; strategies run their
timers from candle closes), or after every tick a strategy wants to see, since nothing else moves it.
Output is drained into the record once per batch.

Quiet ticks. Most ticks change nothing but prices (no order or stop near, no candle closing, nobody holding the
contract). Before a tick the driver offers the batch to kernel.quiet.quiet_run, which applies the run of such
ticks that follows in one step, exactly as the full chain would, and stops at the first tick that needs the chain
(that tick then runs through it); after a refusal the next QUIET_BACKOFF ticks go through the chain before it is
offered again. `fast=False` runs every tick through the chain: the parity tests
(tests/unit/backtest/test_fast_path_parity.py) compare both paths output by output. A batch may be columnar
(model.column_ticks.ColumnTicks, as StoreTicks reads the store): the quiet path then works on its numpy columns and
counts the ticks it applies, and a Quote/Trade is built only for a tick the loop reads (those the full chain runs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from core_server.backtest.config import BacktestConfig
from core_server.backtest.recorder import BacktestRecord
from core_server.backtest.rolls import Roll
from core_server.backtest.source import TickSource
from core_server.calendar.sessions import TradingCalendar
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.commands import ExecutionCommand, OpenAccount
from core_server.execution.model import AccountId, Order, OrderId
from core_server.kernel.assembly import KernelSettings, build_kernel, counter
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.ports import StrategyStage
from core_server.kernel.quiet import quiet_run
from core_server.model.errors import NotFound, VigilError
from core_server.risk.days import MarketHours

Progress = Callable[[int, int, int], None]  # (ticks done, ticks expected or 0, event time reached)
NEVER = 1 << 62
QUIET_BACKOFF = 8  # ticks run through the full chain before the fast path is tried again after it declined


class BacktestCancelled(Exception):
    """The caller asked the run to stop; nothing of it is reported."""


def kernel_settings(config: BacktestConfig) -> KernelSettings:
    return KernelSettings(
        fill=config.fill.settings(config.seed),
        commissions=CommissionSchedule(default=config.commission),
        signals=False,
        market_hours=MarketHours.EXCHANGE,
    )


class Backtest:
    """One run. `strategies`: any StrategyStage (strategies.host.StrategyHost) trading `config.account_id`;
    `commands`: (instant, command) pairs run at their instants (a recorded session's commands). `config.rolls`
    run at their instants the same way (kernel.front_roll): one kernel and one account across every front month."""

    def __init__(
        self,
        config: BacktestConfig,
        *,
        strategies: StrategyStage | None = None,
        commands: Sequence[tuple[int, ExecutionCommand]] = (),
        calendar: TradingCalendar | None = None,
        settings: KernelSettings | None = None,
        accounts: Sequence[tuple[str, Decimal]] = (),
        fast: bool = True,
    ) -> None:
        self.config = config
        self.fast = fast  # False: every tick through the full chain (the parity tests' reference path)
        self.kernel: TradingKernel = build_kernel(
            settings or kernel_settings(config),
            config.contracts,
            complete_from_ns=config.start_ns,
            calendar=calendar,
            strategies=strategies,
            trade_id_factory=counter("T-"),
        )
        self.record = BacktestRecord()
        # Scheduled: the front-month rolls (kernel.front_roll) and the commands, in time order (stable: a roll before
        # a command of the same instant, same-instant commands in their order).
        scheduled: list[tuple[int, ExecutionCommand | Roll]] = [(roll.at_ns, roll) for roll in config.rolls]
        self.commands = sorted([*scheduled, *commands], key=lambda pair: pair[0])
        self.refused: list[tuple[int, str]] = []  # (instant, why) of scheduled commands the kernel refused
        start = config.start_ns
        opened = [(config.account_id, config.balance), *accounts]
        for account_id, balance in opened:
            self.kernel.execute(OpenAccount(AccountId(account_id), balance), start)
        rules = config.rules
        if rules is not None:
            for account_id, _ in opened:
                risk = self.kernel.risk
                self.kernel.apply_risk(risk.set_rules(AccountId(account_id), rules, start), start)
        self.record.add(self.kernel.take_output())

    def run(
        self,
        source: TickSource,
        *,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> BacktestRecord:
        kernel, record = self.kernel, self.record
        output = kernel.output
        on_tick, next_due = kernel.on_tick, kernel.next_due_ns
        start, end = self.config.start_ns, self.config.end_ns
        commands, c = self.commands, 0
        next_command = commands[0][0] if commands else NEVER
        total, done, reached = source.total_hint(), 0, start
        due = next_due()
        strategies = kernel.strategies
        ticks_to_strategies = strategies.wants_ticks if strategies is not None else None
        finished = False
        quiet = quiet_run if self.fast else None
        for batch in source.batches():
            if cancelled is not None and cancelled():
                raise BacktestCancelled
            i, n, retry_at = 0, len(batch), 0
            while i < n:
                tick = batch[i]
                ts = tick.ts_event
                if ts < start:
                    i += 1
                    continue
                if ts >= end:
                    finished = True
                    break
                if ts >= next_command or ts >= due:
                    while True:
                        if next_command <= ts and next_command <= due:
                            c = self._command(c)
                            next_command = commands[c][0] if c < len(commands) else NEVER
                        elif due <= ts:
                            due = self._advance(due, ts)
                        else:
                            break
                        due = next_due()
                if quiet is not None and i >= retry_at:
                    j = quiet(kernel, batch, i, start, min(due, next_command, end))
                    if j > i:  # quiet ticks applied; batch[j] (if any) needs the full chain
                        i, retry_at = j, j + 1
                        continue
                    retry_at = i + QUIET_BACKOFF
                i += 1
                if ticks_to_strategies is not None and ticks_to_strategies(tick.contract_id):
                    on_tick(tick)
                    due = next_due()
                    continue
                before = len(output.execution) + len(output.risk) + len(output.candles)
                on_tick(tick)
                if len(output.execution) + len(output.risk) + len(output.candles) != before:
                    due = next_due()
            done += len(batch)
            if batch:
                reached = batch[-1].ts_event
            record.add(kernel.take_output())
            if progress is not None:
                progress(done, total, reached)
            if finished:
                break
        # What falls due after the last tick and before the end of the range.
        while True:
            if next_command < end and next_command <= due:
                c = self._command(c)
                next_command = commands[c][0] if c < len(commands) else NEVER
            elif due < end:
                due = self._advance(due, end - 1)
            else:
                break
            due = next_due()
        record.add(kernel.take_output())
        record.final_orders(self._order)
        if progress is not None:
            progress(done, total, reached)
        return record

    def _order(self, order_id: str) -> Order | None:
        try:
            return self.kernel.execution.order(OrderId(order_id))
        except NotFound:
            return None

    def _command(self, index: int) -> int:
        at, command = self.commands[index]
        self.kernel.advance_to(at)
        if isinstance(command, Roll):
            self.refused.extend((at, why) for why in self.kernel.roll_front_month(command.old, command.new, at))
            return index + 1
        try:
            self.kernel.execute(command, at)
        except VigilError as exc:  # refused: a decision, recorded with what the kernel produced
            self.refused.append((at, str(exc)))
        return index + 1

    def _advance(self, due: int, limit: int) -> int:
        self.kernel.advance_to(due)
        after = self.kernel.next_due_ns()
        if after <= due:  # nothing moved it on: let it run with the next tick's time instead of looping
            self.kernel.advance_to(limit)
        return after
