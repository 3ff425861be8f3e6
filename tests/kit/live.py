"""Test kit: the live core (kernel, journal, shell, desks) on real PostgreSQL, assembled as the server does, with a
store that can go down or refuse rows on purpose and a scripted feed driven by the test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from core_server.bus import Bus
from core_server.excursions.settings import ExcursionSettings
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId
from core_server.kernel.assembly import KernelSettings, counter
from core_server.kernel.kernel import SignalExecution
from core_server.kernel.ports import StrategyStage
from core_server.live.assembly import LiveCore, LiveStores, build_live, build_shell, restore_live
from core_server.live.ports import JournalBatch
from core_server.live.restore import DefaultAccount
from core_server.live.shell import LiveKernel
from core_server.market_data.engine import FeedBinding, MarketDataEngine
from core_server.model.clock import TestClock
from core_server.model.errors import Unavailable
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, Tick
from core_server.ports import CandleRecorder, TickRecorder
from core_server.storage.candles import CandleRepository
from core_server.storage.commissions import CommissionRepository
from core_server.storage.copying import CopyRepository
from core_server.storage.execution import ExecutionRepository
from core_server.storage.journal import JournalRepository
from core_server.storage.risk import RiskRepository
from core_server.storage.signals import SignalRepository
from core_server.storage.strategies import StrategyRepository
from core_server.storage.trades import TradeRepository
from tests.kit.feeds import ScriptedFeed

PAPER = AccountId("paper")


class FlakyJournal:
    """The real journal repository, with writes refused while `down` (an outage) or `refuse_rows` (a bug)."""

    def __init__(self, repository: JournalRepository) -> None:
        self.repository = repository
        self.down = False
        self.refuse_rows = False
        self.commits = 0

    async def commit(self, batches: Sequence[JournalBatch]) -> None:
        if self.down:
            raise Unavailable("store unavailable: connection refused")
        if self.refuse_rows:
            raise ValueError("row refused")
        await self.repository.commit(batches)
        self.commits += 1


@dataclass
class CandleLog:
    """A CandleRecorder that keeps what the market-data shell hands it (and can store it later)."""

    closed: list[Candle] = field(default_factory=list)

    def put(self, candles: Sequence[Candle]) -> None:
        self.closed += [c for c in candles if c.closed]


@dataclass
class LiveRig:
    clock: TestClock
    bus: Bus
    core: LiveCore
    store: FlakyJournal
    stores: LiveStores
    binding: FeedBinding
    candles: CandleLog

    def play(self, ticks: Sequence[Tick]) -> None:
        self.binding.on_ticks(ticks)

    def advance(self, ns: int) -> None:
        self.clock.set_ns(ns)
        self.core.shell.advance()

    async def stored(self) -> None:
        """Everything queued so far is in the store (raises Unavailable while it is down)."""
        await self.core.writer.flush()


class MemoryJournal:
    """A JournalStore that keeps the batches in memory (unit tests of the shell without a database)."""

    def __init__(self) -> None:
        self.batches: list[JournalBatch] = []

    async def commit(self, batches: Sequence[JournalBatch]) -> None:
        self.batches.extend(batches)


def bare_shell(
    contracts: Sequence[Contract],
    clock: TestClock,
    *,
    ticks: TickRecorder | None = None,
    candles: CandleRecorder | None = None,
    settings: KernelSettings | None = None,
    strategies: StrategyStage | None = None,
) -> tuple[LiveKernel, MarketDataEngine]:
    """A LiveKernel and its market-data shell over an in-memory journal: no database, no desks."""
    return build_shell(
        clock, Bus(), MemoryJournal(), settings or KernelSettings(signals=False), contracts, ticks=ticks,
        candles=candles, strategies=strategies,
    )  # fmt: skip


def live_settings(**overrides: Any) -> KernelSettings:
    """The server's defaults, with zero latency and slippage so tests read exact prices."""
    values: dict[str, Any] = {
        "fill": FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=0),
        "commissions": CommissionSchedule(default=Decimal("2.50")),
        "excursions": ExcursionSettings(),
        "signal_execution": SignalExecution(True, PAPER, Decimal(2)),
    }
    values.update(overrides)
    return KernelSettings(**values)


async def open_live(
    pool: asyncpg.Pool,
    contracts: Sequence[Contract],
    start_ns: int,
    *,
    settings: KernelSettings | None = None,
    realtime: bool = False,
    id_prefix: str = "id-",
) -> LiveRig:
    clock = TestClock(start_ns)
    bus = Bus()
    store = FlakyJournal(JournalRepository(pool))
    stores = LiveStores(
        store,
        ExecutionRepository(pool),
        RiskRepository(pool),
        TradeRepository(pool),
        SignalRepository(pool),
        CandleRepository(pool),
        CommissionRepository(pool),
        strategies=StrategyRepository(pool),
        copying=CopyRepository(pool),
    )
    candles = CandleLog()
    core = build_live(
        clock, bus, stores, settings or live_settings(), contracts, candles=candles, id_factory=counter(id_prefix)
    )
    binding = core.market.attach(ScriptedFeed(contracts, clock=clock), contracts, realtime=realtime, quote_only=False)
    await restore_live(core, stores, seed=1, default_account=DefaultAccount(PAPER, "paper", Decimal(50_000)))
    return LiveRig(clock, bus, core, store, stores, binding, candles)
