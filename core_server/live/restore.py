"""The start path (crash-only: a restart after kill -9 and a first start are the same code): the kernel's state
put back from the store, stage by stage, before any feed runs.

Order: paper accounts, orders and positions (and the seeded fill streams, reseeded from the journal's position)
-> risk per account (rules, saved state, locks, the emergency stop; a breach revealed meanwhile acts at once)
-> open round trips, reconciled with the positions -> the candle window and the live signals, which catch up
on the candles they missed. A first start opens the default paper account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog

from core_server.execution.changes import StoredExecution, restored_snapshot
from core_server.execution.commands import OpenAccount
from core_server.execution.model import AccountId
from core_server.kernel.kernel import TradingKernel
from core_server.live.journal import KernelJournal
from core_server.model.errors import InvalidArgument
from core_server.model.market_data import ALL_TIMEFRAMES, Candle, Timeframe
from core_server.risk.audit import StoredRisk
from core_server.signals.confirmation import signal_candle_start
from core_server.signals.model import Signal, SignalStatus
from core_server.signals.ports import CandleStore
from core_server.storage.strategies import StoredStrategy
from core_server.strategies.definition import StrategyDefinition
from core_server.strategies.host import StrategyHost
from core_server.strategies.parse import parse_text
from core_server.trades.model import RoundTrip

log = structlog.get_logger(__name__)

SEED_CANDLES = 64  # recent closed candles per series loaded at start
_LOAD_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class DefaultAccount:
    account_id: AccountId
    name: str
    starting_balance: Decimal


def restore_execution(kernel: TradingKernel, journal: KernelJournal, stored: StoredExecution, seed: int) -> None:
    engine = kernel.execution
    if stored.accounts or stored.orders:
        engine.restore(restored_snapshot(stored))
    if stored.last_seq:
        engine.fill_model.reseed(f"{seed}:{stored.last_seq}")
    for account in stored.accounts:
        journal.names[account.account.account_id] = account.name
        journal.account_updated[account.account.account_id] = account.updated_ns
    for order in stored.orders:
        journal.meta[order.order.order_id] = (order.reason, order.updated_ns)
        if order.actor:
            journal.placed_by[order.order.order_id] = order.actor
    log.info("execution.restored", accounts=len(stored.accounts), orders=len(stored.orders), seq=stored.last_seq)


def restore_risk(
    kernel: TradingKernel, journal: KernelJournal, stored: StoredRisk, presets: dict[AccountId, str], default: str,
    now_ns: int,
) -> None:  # fmt: skip
    rules_of = {r.account_id: r for r in stored.rules}
    saved_of = {s.account_id: s for s in stored.states}
    view, risk = kernel.execution, kernel.risk
    for account in view.accounts():
        aid = account.account_id
        kept = rules_of.get(aid)
        rules = kept.rules if kept is not None else risk.default_rules
        presets[aid] = kept.preset if kept is not None else default
        result = risk.restore_account(account, view.positions(aid), rules, saved_of.get(aid), now_ns)
        journal.written(saved_of.get(aid))
        kernel.apply_risk(result, now_ns)
    risk.restore_emergency_stop(stored.emergency_stop)
    log.info("risk.restored", accounts=len(view.accounts()), emergency_stop=stored.emergency_stop)


def restore_trades(kernel: TradingKernel, trips: Sequence[RoundTrip], now_ns: int) -> None:
    kernel.trades.restore_open(trips, kernel.execution, now_ns)
    kernel.commands.settle_trades(now_ns)
    log.info("trades.restored", open=len(trips))


async def warm_candles(kernel: TradingKernel, candles: CandleStore, live: Sequence[Signal], now_ns: int) -> None:
    """Recent closed candles for every contract and timeframe, and each pending signal's candles from its signal
    candle on (enough to decide it), so restored signals and strategies see the history they need."""
    window = kernel.market.window
    for contract_id in kernel.market.contracts:
        for timeframe in ALL_TIMEFRAMES:
            window.seed(
                await candles.list_range(contract_id, timeframe, 0, now_ns + timeframe.duration_ns, SEED_CANDLES)
            )
    for signal in live:
        if signal.status is SignalStatus.PENDING:
            start = signal_candle_start(signal.input)
            tf = signal.timeframe
            window.seed(await candles.list_range(signal.contract_id, tf, 0, start, 1))
            needed = signal.expires_after_candles + 2  # the signal candle, the waited ones, the entry candle
            window.seed(await _load_from(candles, signal.contract_id, tf, start, needed, now_ns))


def restore_signals(kernel: TradingKernel, live: Sequence[Signal], now_ns: int) -> None:
    kernel.signal_flow.restore(live, now_ns)
    log.info("signals.restored", live=len(live))


def restore_strategies(
    kernel: TradingKernel,
    host: StrategyHost,
    stored: Sequence[StoredStrategy],
    now_ns: int,
    resolve: Callable[[StrategyDefinition], StrategyDefinition] = lambda d: d,
) -> None:
    """Every stored strategy at its running version and state; active ones continue (timers due while the server
    was down fire now: a breakout past its cancel time cancels its entries)."""
    for item in stored:
        version, record = item.version, item.record
        try:
            definition = resolve(parse_text(version.source, version.fmt))  # its account name to the id, as loaded
            host.restore_strategy(definition, version.version, version.source, version.fmt, record)
        except InvalidArgument as exc:  # a definition this version no longer reads: kept in the store, not run
            log.error("strategies.restore_refused", strategy=version.strategy_id, field=exc.field, reason=exc.reason)
    host.adopt_trips(kernel.trades.open_trips())  # their open trades (restored first) go on being marked
    host.start_restored(now_ns)
    kernel.commands.run_strategy_commands(now_ns)
    log.info("strategies.restored", strategies=len(stored))


def open_default_account(kernel: TradingKernel, journal: KernelJournal, default: DefaultAccount, now_ns: int) -> None:
    if kernel.execution.accounts():
        return
    journal.names[default.account_id] = default.name
    kernel.execute(OpenAccount(default.account_id, default.starting_balance), now_ns)
    log.info("execution.default_account_opened", account_id=default.account_id, balance=str(default.starting_balance))


async def _load_from(
    candles: CandleStore, contract_id: str, timeframe: Timeframe, start_ns: int, needed: int, now_ns: int
) -> list[Candle]:
    """At least `needed` stored candles from `start_ns` on (fewer if the store has fewer): widening windows,
    since halts and weekends leave no candles."""
    span = (needed + 1) * timeframe.duration_ns
    stop = now_ns + timeframe.duration_ns
    while True:
        end = min(start_ns + span, stop)
        found = await candles.list_range(contract_id, timeframe, start_ns, end, _LOAD_LIMIT)
        if len(found) >= needed or end >= stop:
            return list(found)
        span *= 2
