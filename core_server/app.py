"""Composition root: config -> logs -> store -> bus -> engines -> feeds -> gRPC, and the shutdown order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import structlog

from core_server.api.execution import ExecutionServicer
from core_server.api.market_data import MarketDataServicer
from core_server.api.risk import RiskServicer
from core_server.api.server import GrpcServer, build_grpc_server
from core_server.api.signals import SignalServicer
from core_server.api.trades import TradeServicer
from core_server.bus import Bus
from core_server.calendar.session_table import load_trading_calendar
from core_server.config import Config, ConfigError
from core_server.excursions.live import TradeTracking
from core_server.excursions.model import Direction, TradeSpec
from core_server.excursions.settings import ExcursionSettings, PriceSource
from core_server.excursions.tracked import TradeSource
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.fill_model import FillSettings
from core_server.execution.live import DefaultAccount, LiveExecution
from core_server.execution.model import AccountId
from core_server.execution.signal_orders import SignalOrders
from core_server.feeds.catalog import FeedPlan, plan_feed
from core_server.market_data.candle_writer import CandleWriter
from core_server.market_data.engine import MarketDataEngine
from core_server.model.clock import NS_PER_MS, Clock, LiveClock
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract
from core_server.model.market_data import ALL_TIMEFRAMES
from core_server.model.symbols import parse_symbol
from core_server.paper_trades import PaperTradeOpener
from core_server.risk.engine import RiskEngine
from core_server.risk.live import LiveRisk
from core_server.risk.presets import preset
from core_server.signals.engine import SignalEngine
from core_server.signals.settings import ApprovalMode, SignalSettings, settings_with
from core_server.signals.trade_record import TradeRecord
from core_server.storage.candles import CandleRepository
from core_server.storage.database import connect_pool, describe_dsn
from core_server.storage.embedded import EmbeddedPostgres, default_data_dir
from core_server.storage.execution import ExecutionRepository
from core_server.storage.migrator import migrate
from core_server.storage.risk import RiskRepository
from core_server.storage.signals import SignalRepository
from core_server.storage.tick_writer import TickWriter
from core_server.storage.ticks import TickRepository
from core_server.storage.trades import TradeRepository

log = structlog.get_logger(__name__)

SHUTDOWN_GRACE_S = 2.0


@dataclass
class RunningServer:
    """A started Vigil server; `stop()` shuts everything down in order."""

    config: Config
    grpc: GrpcServer
    engine: MarketDataEngine
    signals: SignalEngine
    bus: Bus
    feed_plan: FeedPlan
    tick_writer: TickWriter
    candle_writer: CandleWriter
    pool: object
    embedded: EmbeddedPostgres | None
    trades: TradeTracking | None = None
    execution: LiveExecution | None = None
    signal_orders: SignalOrders | None = None
    risk: LiveRisk | None = None
    feed_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    service_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopped: bool = False

    @property
    def port(self) -> int:
        return self.grpc.port

    @property
    def address(self) -> str:
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    async def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        log.info("server.stopping")
        await self.grpc.not_serving()
        await _cancel(self.feed_tasks)
        await self.grpc.server.stop(SHUTDOWN_GRACE_S)
        await self.signals.stop()  # decides on the candles already closed and stores every decision
        if self.trades is not None:
            await self.trades.stop()  # stores every excursion change (and trades the last decisions opened)
        if self.signal_orders is not None:
            await self.signal_orders.stop()  # brackets of the last confirmed signals
        if self.execution is not None:
            await self.execution.stop()  # stores every queued fill, trigger and expiry
        if self.risk is not None:
            await self.risk.stop()  # stores the last audit entries and lock states
        self.bus.close_all()
        await _cancel(self.service_tasks)
        # A candle still forming at shutdown will never see the rest of its bucket from this run: store it
        # incomplete (a restart continues it, still incomplete).
        self.candle_writer.put([c._replace(complete=False) for c in self.engine.forming_candles()])
        await self.candle_writer.flush()
        await self.tick_writer.close()
        await self.pool.close()  # type: ignore[attr-defined]
        if self.embedded is not None:
            await self.embedded.stop()
        log.info("server.stopped")


async def _cancel(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _resolve_contracts(symbols: Sequence[str], now_ns: int) -> list[Contract]:
    contracts: dict[str, Contract] = {}
    for symbol in symbols:
        contract = parse_symbol(symbol, now_ns, field="VIGIL_SYMBOLS")
        contracts[contract.id] = contract
    return list(contracts.values())


async def start(
    config: Config,
    *,
    clock: Clock | None = None,
    feed_plan: FeedPlan | None = None,
    signal_settings: Mapping[str, SignalSettings] | None = None,
) -> RunningServer:
    """Start the store, engines, feeds and the gRPC server. Raises StoreUnreachable / ConfigError.

    `feed_plan` replaces the configured feed (benchmarks and tests inject their own); `signal_settings`
    overrides the per-instrument signal defaults (signals.settings) root by root.
    """
    clock = clock or LiveClock()
    if signal_settings is None and config.signal_approval == "manual":
        signal_settings = settings_with(approval=ApprovalMode.MANUAL)
    embedded: EmbeddedPostgres | None = None
    mode: Literal["embedded", "external"]
    if config.database_url:
        dsn, mode = config.database_url, "external"
    else:
        embedded = EmbeddedPostgres(config.data_dir or default_data_dir())
        dsn, mode = await embedded.start(), "embedded"
    try:
        pool = await connect_pool(dsn)
        await migrate(pool)
    except BaseException:
        if embedded is not None:
            await embedded.stop()
        raise
    log.info("store.ready", mode=mode, database=describe_dsn(dsn))

    tick_repository = TickRepository(pool)
    candle_repository = CandleRepository(pool)
    tick_writer = TickWriter(tick_repository, clock, max_buffer=config.tick_buffer_max, mode=mode)
    candle_writer = CandleWriter(candle_repository)
    bus = Bus()
    engine = MarketDataEngine(
        clock,
        bus,
        ticks=tick_writer,
        candles=candle_writer,
        quote_price_mode=config.quote_price,
        forming_interval_ns=config.forming_interval_ms * NS_PER_MS,
    )
    contracts = _resolve_contracts(config.symbols, clock.now_ns())
    plan = feed_plan or plan_feed(config, clock, contracts, tick_repository)
    engine.store_ticks(plan.store_ticks)
    binding = engine.attach(plan.feed, contracts, realtime=plan.realtime, quote_only=plan.quote_only)
    await _restore_forming(engine, candle_repository, contracts)
    try:
        execution = await _start_execution(config, clock, bus, engine, pool)
        risk = await _start_risk(config, clock, bus, pool, execution)
        signals = await _start_signals(clock, bus, engine, pool, candle_repository, signal_settings)
        signal_orders = _signal_orders(config, execution, signals, risk)
        trades = await _start_trades(config, bus, engine, pool, signals)
    except BaseException:
        await pool.close()
        if embedded is not None:
            await embedded.stop()
        raise

    servicer = MarketDataServicer(clock, bus, engine, candle_repository, tick_writer.status, load_trading_calendar())
    grpc_server = build_grpc_server(
        config.listen,
        config.api_keys,
        servicer,
        SignalServicer(clock, signals),
        trades=TradeServicer(clock, trades),
        execution=ExecutionServicer(clock, execution),
        risk=RiskServicer(risk),
    )
    await grpc_server.server.start()
    await grpc_server.serving()

    running = RunningServer(config, grpc_server, engine, signals, bus, plan, tick_writer, candle_writer, pool, embedded)
    running.trades = trades
    running.execution, running.signal_orders, running.risk = execution, signal_orders, risk
    running.service_tasks = [
        asyncio.create_task(tick_writer.run(), name="tick-writer"),
        asyncio.create_task(candle_writer.run(), name="candle-writer"),
        asyncio.create_task(engine.run(), name="market-data-timers"),
        asyncio.create_task(PaperTradeOpener(execution, trades).run(), name="paper-trades"),
    ]
    running.feed_tasks = [asyncio.create_task(plan.feed.run(binding), name=f"feed-{plan.feed.name}")]
    log.info(
        "server.started",
        address=running.address,
        feed=plan.feed.name,
        contracts=[c.id for c in contracts],
        auth="api-key" if config.api_keys else "open (loopback only)",
    )
    return running


async def _start_signals(
    clock: Clock,
    bus: Bus,
    engine: MarketDataEngine,
    pool: object,
    candles: CandleRepository,
    settings: Mapping[str, SignalSettings] | None,
) -> SignalEngine:
    """The signal engine, after the market data (it reads its state and candles) and before the feeds start,
    so its pending signals are restored and caught up before the first new candle."""
    signals = SignalEngine(
        clock,
        bus,
        engine,
        SignalRepository(pool),
        candles,
        calendar=load_trading_calendar(),
        settings=settings,
    )
    await signals.start()
    return signals


async def _start_trades(
    config: Config, bus: Bus, engine: MarketDataEngine, pool: object, signals: SignalEngine
) -> TradeTracking:
    """Trade tracking, after the signal engine (each trade a confirmed signal opens is tracked from then on) and
    before the feeds, so the open trades are restored before the first new tick."""
    settings = ExcursionSettings(
        price_source=PriceSource(config.excursion_price),
        break_even_enabled=config.break_even,
        break_even_trigger_r=config.break_even_r,
        break_even_offset_ticks=config.break_even_offset_ticks,
    )
    trades = TradeTracking(bus, engine, TradeRepository(pool), settings)
    signals.add_trade_listener(lambda record: _track_signal_trade(trades, record))
    await trades.start()  # also restores the trades the signal engine opened while starting
    return trades


def _track_signal_trade(trades: TradeTracking, record: TradeRecord) -> None:
    """Track a confirmed signal's trade from its creation on, at the entry, stop and size it committed to."""
    spec = TradeSpec(
        trade_id=record.trade_id,
        contract_id=record.contract_id,
        direction=Direction(record.direction),  # BULLISH = LONG = 1, BEARISH = SHORT = 2
        quantity=record.quantity,
        entry=record.entry_price,
        stop=record.stop_price,
        opened_ns=record.created_ns,
    )
    trades.open_trade(spec, TradeSource.SIGNAL, signal_id=record.signal_id)


async def _start_execution(
    config: Config, clock: Clock, bus: Bus, engine: MarketDataEngine, pool: object
) -> LiveExecution:
    """Paper execution, restored from the store before the feeds start; fills happen within each tick."""
    paper = config.paper
    fill = FillSettings(
        seed=paper.seed,
        latency_min_ns=paper.latency_ms[0] * NS_PER_MS,
        latency_max_ns=paper.latency_ms[1] * NS_PER_MS,
        max_slippage_ticks=paper.slippage_ticks,
        fill_limits_on_touch=paper.fill_on_touch,
        partial_fills=paper.partial_fills,
    )
    execution = LiveExecution(
        clock,
        bus,
        ExecutionRepository(pool),
        fill_settings=fill,
        commissions=CommissionSchedule(default=paper.commission),
        default_account=DefaultAccount(AccountId(paper.account_name), paper.account_name, paper.account_balance),
    )
    await execution.start()
    engine.add_tick_listener(execution.on_tick)
    return execution


async def _start_risk(config: Config, clock: Clock, bus: Bus, pool: object, execution: LiveExecution) -> LiveRisk:
    """Risk on every paper account, restored (locks included) right after paper execution. Accounts without
    rules of their own get the VIGIL_RISK_PRESET preset's rules, or none (no limits) when it is unset."""
    name = config.env.get("VIGIL_RISK_PRESET", "").strip()
    try:
        default = preset(name) if name else None
    except InvalidArgument as exc:
        raise ConfigError("VIGIL_RISK_PRESET", exc.reason) from None
    engine = RiskEngine(default_rules=default.rules if default is not None else None)
    risk = LiveRisk(
        clock, bus, RiskRepository(pool), engine, execution, default_preset=default.name if default is not None else ""
    )
    await risk.start()
    return risk


def _signal_orders(
    config: Config, execution: LiveExecution, signals: SignalEngine, risk: LiveRisk
) -> SignalOrders | None:
    """Confirmed signals place a bracket on the signal account (VIGIL_SIGNAL_EXECUTION=on), unless stopped."""
    if not config.paper.signal_execution:
        return None
    orders = SignalOrders(
        execution,
        AccountId(config.paper.signal_account),
        config.paper.signal_target_r,
        signals.record_order_refused,
        stopped=lambda: risk.emergency_stopped,
    )
    signals.add_trade_listener(orders.on_trade)
    return orders


async def _restore_forming(engine: MarketDataEngine, candles: CandleRepository, contracts: Sequence[Contract]) -> None:
    """Continue the candles that were forming when the server last stopped (best effort)."""
    from core_server.model.errors import Unavailable

    try:
        for contract in contracts:
            for timeframe in ALL_TIMEFRAMES:
                latest = await candles.latest(contract.id, timeframe)
                if latest is not None and not latest.closed:
                    engine.seed_forming([latest])
    except Unavailable as exc:
        log.warning("candles.restore_skipped", reason=str(exc))
