"""The live core put together: kernel, journal writer, market-data shell, LiveKernel and the desks, then restored.

The composition root (app.py) calls this with the real repositories; the test kits call it with the same
repositories (or a store that fails on purpose), so live behaviour is tested on the very assembly users run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core_server.bus import Bus
from core_server.calendar.session_table import load_trading_calendar
from core_server.calendar.windows import SessionWindows
from core_server.durable import DurableWriter
from core_server.execution.commission_rates import CommissionStore
from core_server.execution.ports import ExecutionStore
from core_server.kernel.assembly import KernelSettings, build_kernel
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.ports import StrategyStage
from core_server.live.commission_desk import restore_commissions
from core_server.live.copy_desk import CopyDesk, CopyStore, restore_copying
from core_server.live.execution_desk import ExecutionDesk
from core_server.live.journal import KernelJournal
from core_server.live.ports import JournalBatch, JournalStore
from core_server.live.restore import (
    DefaultAccount,
    open_default_account,
    restore_execution,
    restore_risk,
    restore_signals,
    restore_strategies,
    restore_trades,
    warm_candles,
)
from core_server.live.risk_desk import RiskDesk
from core_server.live.shell import LiveKernel
from core_server.live.signal_desk import SignalDesk
from core_server.live.strategy_desk import NoStrategyStore, StrategyDesk
from core_server.live.trade_desk import TradeDesk
from core_server.market_data.engine import MarketDataEngine
from core_server.model.clock import Clock
from core_server.model.instruments import Contract
from core_server.ports import CandleRecorder, TickRecorder
from core_server.risk.audit import RiskStore, snapshot_of
from core_server.signals.ports import CandleStore, SignalStore
from core_server.storage.strategies import StrategyRepository
from core_server.storage.trades import TradeRepository
from core_server.strategies.host import StrategyHost


@dataclass(frozen=True, slots=True)
class LiveStores:
    journal: JournalStore
    execution: ExecutionStore
    risk: RiskStore
    trades: TradeRepository
    signals: SignalStore
    candles: CandleStore
    commissions: CommissionStore | None = None  # per-account commission overrides (None: none are kept)
    strategies: StrategyRepository | None = None  # None: strategies are not kept (benchmarks, old kits)
    copying: CopyStore | None = None  # copy groups and follower outcomes (None: groups live in memory only)


@dataclass
class LiveCore:
    kernel: TradingKernel
    journal: KernelJournal
    writer: DurableWriter[JournalBatch]
    market: MarketDataEngine
    shell: LiveKernel
    execution: ExecutionDesk
    risk: RiskDesk
    trades: TradeDesk
    signals: SignalDesk
    strategies: StrategyDesk
    copying: CopyDesk


def build_live(
    clock: Clock,
    bus: Bus,
    stores: LiveStores,
    settings: KernelSettings,
    contracts: Sequence[Contract],
    *,
    quote_only: bool = False,
    ticks: TickRecorder | None = None,
    candles: CandleRecorder | None = None,
    forming_interval_ns: int = 250_000_000,
    default_preset: str = "",
    id_factory: Callable[[], str] | None = None,
    session_windows: SessionWindows | None = None,
) -> LiveCore:
    calendar = load_trading_calendar()
    host = StrategyHost(calendar, contracts, windows=session_windows)
    kernel = build_kernel(
        settings,
        contracts,
        complete_from_ns=clock.now_ns(),
        quote_only=quote_only,
        calendar=calendar,
        strategies=host,
        signal_id_factory=id_factory,
        trade_id_factory=id_factory,
    )
    host.bind(kernel.execution, kernel.market)
    journal = KernelJournal(bus, kernel.execution, kernel.risk)
    writer: DurableWriter[JournalBatch] = DurableWriter(
        "journal", stores.journal.commit, clock, on_stored=journal.stored
    )
    market = MarketDataEngine(
        clock, bus, kernel.market, ticks=ticks, candles=candles, forming_interval_ns=forming_interval_ns
    )
    shell = LiveKernel(clock, kernel, journal, writer, market)
    market.shell = shell
    risk = RiskDesk(shell, bus, stores.risk, default_preset=default_preset)
    journal.risk_status = risk.status
    kernel.output.status_of = lambda aid: snapshot_of(risk.status(aid))  # audit entries keep their status then
    execution = ExecutionDesk(shell, bus, stores.execution)
    strategy_store = stores.strategies or NoStrategyStore()
    return LiveCore(
        kernel,
        journal,
        writer,
        market,
        shell,
        execution,
        risk,
        TradeDesk(shell, bus, stores.trades),
        SignalDesk(shell, bus, stores.signals),
        StrategyDesk(shell, bus, strategy_store, host, execution.account_named),
        CopyDesk(shell, bus, stores.copying, id_factory),
    )


def build_shell(
    clock: Clock,
    bus: Bus,
    journal_store: JournalStore,
    settings: KernelSettings,
    contracts: Sequence[Contract],
    *,
    ticks: TickRecorder | None = None,
    candles: CandleRecorder | None = None,
    strategies: StrategyStage | None = None,
) -> tuple[LiveKernel, MarketDataEngine]:
    """A LiveKernel and its market-data shell without desks (benchmarks and unit tests of the shell)."""
    kernel = build_kernel(settings, contracts, complete_from_ns=clock.now_ns(), strategies=strategies)
    journal = KernelJournal(bus, kernel.execution, kernel.risk)
    writer: DurableWriter[JournalBatch] = DurableWriter(
        "journal", journal_store.commit, clock, on_stored=journal.stored
    )
    market = MarketDataEngine(clock, bus, kernel.market, ticks=ticks, candles=candles)
    shell = LiveKernel(clock, kernel, journal, writer, market)
    market.shell = shell
    return shell, market


async def restore_live(
    core: LiveCore, stores: LiveStores, *, seed: int, default_account: DefaultAccount, default_preset: str = ""
) -> None:
    """Crash-only: the same start whether the last stop was clean or a kill -9. What restoring decided (a breach
    found, a trade reconciled, a signal settled on the candles it missed) is stored before anything new happens;
    Unavailable if the store cannot take it (the server cannot start without its state)."""
    kernel, journal, clock = core.kernel, core.journal, core.shell.clock
    restore_execution(kernel, journal, await stores.execution.load(), seed)
    now = clock.now_ns()
    open_default_account(kernel, journal, default_account, now)
    if stores.commissions is not None:
        restore_commissions(kernel, await stores.commissions.load())
    restore_risk(kernel, journal, await stores.risk.load(), core.risk.presets, default_preset, now)
    restore_trades(kernel, await stores.trades.open_trades(), now)
    if stores.copying is not None:
        await restore_copying(kernel, stores.copying)
    live = await stores.signals.live()
    await warm_candles(kernel, stores.candles, live, now)
    restore_signals(kernel, live, now)
    if stores.strategies is not None:
        desk = core.strategies
        restore_strategies(kernel, desk.host, await stores.strategies.load(), now, desk.resolve)
    output = kernel.take_output()
    core.market.publish(output)
    await core.writer.commit(journal.batch_of(output, now))
    core.shell.archive_finished(now)  # the orders that finished before this start are read from the store
