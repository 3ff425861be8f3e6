"""Composition root: config -> logs -> store -> kernel (restored) -> shell and desks -> feeds -> gRPC, and the
shutdown order."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import asyncpg
import structlog

from core_server.access.keyring import KeyRing
from core_server.access.rate import RateLimiter
from core_server.api.access_service import AccessServicer
from core_server.api.accounts import AccountResolver
from core_server.api.analytics import AnalyticsServicer
from core_server.api.backtests import BacktestServicer
from core_server.api.brokers import AccountServicer
from core_server.api.commissions import CommissionServicer
from core_server.api.copying import CopyGroupServicer
from core_server.api.data import DataServicer, ImportSettings
from core_server.api.execution import ExecutionServicer
from core_server.api.market_data import MarketDataServicer
from core_server.api.notifications import NotificationServicer
from core_server.api.risk import RiskServicer
from core_server.api.server import GrpcServer, TlsFiles, build_grpc_server
from core_server.api.signals import SignalServicer
from core_server.api.strategies import StrategyServicer
from core_server.api.trades import TradeServicer
from core_server.backtest_jobs.jobs import BacktestJobs
from core_server.brokers.credentials import broker_environment, reconcile_interval_s
from core_server.brokers.desk import BrokerDesk
from core_server.bus import Bus
from core_server.calendar.session_table import load_trading_calendar
from core_server.config import Config, ConfigError
from core_server.excursions.settings import ExcursionSettings, PriceSource
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId
from core_server.execution.price_bands import PriceBands
from core_server.feeds.catalog import FeedPlan, plan_feed
from core_server.kernel.assembly import KernelSettings
from core_server.kernel.kernel import SignalExecution, TradingKernel
from core_server.live.analytics_desk import AnalyticsDesk
from core_server.live.assembly import LiveStores, build_live, restore_live
from core_server.live.broker_fills import KernelMirror
from core_server.live.broker_risk import BrokerRiskCheck
from core_server.live.broker_router import BrokerRouter, route_live_accounts
from core_server.live.commission_desk import CommissionDesk
from core_server.live.execution_desk import ExecutionDesk
from core_server.live.front_month_roll import FrontMonthRoller
from core_server.live.notify_desk import build_notify_desk
from core_server.live.restore import DefaultAccount
from core_server.live.risk_desk import RiskDesk
from core_server.live.shell import LiveKernel
from core_server.live.signal_desk import SignalDesk
from core_server.live.strategy_desk import StrategyDesk, read_strategy_dir
from core_server.live.trade_desk import TradeDesk
from core_server.market_data.candle_writer import CandleWriter
from core_server.market_data.engine import CLOSE_GRACE_NS, MarketDataEngine
from core_server.metrics.registry import ServerMetrics
from core_server.metrics.wiring import MetricsService, server_sources
from core_server.model.clock import NS_PER_MS, Clock, LiveClock
from core_server.model.errors import InvalidArgument, Unavailable
from core_server.model.instruments import Contract
from core_server.model.market_data import ALL_TIMEFRAMES, Timeframe
from core_server.model.symbols import is_continuous, parse_symbol
from core_server.ports import RollingFeed
from core_server.risk.days import MarketHours
from core_server.risk.presets import preset
from core_server.signals.settings import ApprovalMode, SignalSettings, settings_with
from core_server.storage.analytics import AnalyticsRepository
from core_server.storage.api_keys import ApiKeyRepository
from core_server.storage.backtests import BacktestRepository
from core_server.storage.brokers import BrokerRepository
from core_server.storage.candles import CandleRepository
from core_server.storage.commissions import CommissionRepository
from core_server.storage.copying import CopyRepository
from core_server.storage.database import connect_pool, describe_dsn
from core_server.storage.embedded import EmbeddedPostgres, default_data_dir
from core_server.storage.execution import ExecutionRepository
from core_server.storage.journal import JournalRepository
from core_server.storage.migrator import migrate
from core_server.storage.risk import RiskRepository
from core_server.storage.signals import SignalRepository
from core_server.storage.strategies import StrategyRepository
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
    shell: LiveKernel
    bus: Bus
    feed_plan: FeedPlan
    tick_writer: TickWriter
    candle_writer: CandleWriter
    pool: object
    embedded: EmbeddedPostgres | None
    execution: ExecutionDesk
    risk: RiskDesk
    trades: TradeDesk
    signals: SignalDesk
    metrics: MetricsService | None = None
    brokers: BrokerDesk | None = None
    router: BrokerRouter | None = None
    feed_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    service_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopped: bool = False
    backtests: BacktestJobs | None = None

    @property
    def kernel(self) -> TradingKernel:
        return self.shell.kernel

    @property
    def port(self) -> int:
        return self.grpc.port

    @property
    def address(self) -> str:
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting calls, let calls in flight finish (a short grace), drain every writer in order, close the
        store. A step that fails is logged and the next one still runs (core_server.shutdown bounds the whole)."""
        if self.stopped:
            return
        self.stopped = True
        log.info("server.stopping")
        await _step("grpc.not_serving", self.grpc.not_serving())
        await _cancel(self.feed_tasks)
        await _step("grpc.stop", self.grpc.server.stop(SHUTDOWN_GRACE_S))
        if self.metrics is not None:
            await _step("metrics.stop", self.metrics.stop())
        if self.brokers is not None:
            await _step("brokers.close", self.brokers.close())
        await _cancel(self.service_tasks)
        if self.backtests is not None:
            await _step("backtests.stop", self.backtests.close())
        await _step("journal.drain", self.shell.writer.stop())  # every decision the kernel made, in order
        if self.brokers is not None:
            await _step("broker_audit.drain", self.brokers.audits.stop())
        self.bus.close_all()
        # A candle still forming at shutdown will never see the rest of its bucket from this run: store it
        # incomplete (a restart continues it, still incomplete).
        self.candle_writer.put([c._replace(complete=False) for c in self.kernel.market.forming_candles()])
        await _step("candles.drain", self.candle_writer.close())
        await _step("ticks.drain", self.tick_writer.close())
        await _step("store.close", self.pool.close())  # type: ignore[attr-defined]
        await self.stop_embedded()
        log.info("server.stopped")

    async def stop_embedded(self) -> None:
        """Stop the embedded PostgreSQL (also what a shutdown that ran out of time still does)."""
        if self.embedded is not None:
            await _step("store.embedded_stop", self.embedded.stop())


async def _step(name: str, step: Awaitable[object]) -> None:
    try:
        await step
    except Exception:
        log.exception("server.stop_step_failed", step=name)


async def _cancel(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _resolve_contracts(symbols: Sequence[str], now_ns: int) -> tuple[list[Contract], list[Contract]]:
    """The contracts to stream, and those of them that continuous symbols (`NQ1!`, `NQ`) resolved to (they roll)."""
    contracts: dict[str, Contract] = {}
    fronts: dict[str, Contract] = {}
    for symbol in symbols:
        contract = parse_symbol(symbol, now_ns, field="VIGIL_SYMBOLS")
        contracts[contract.id] = contract
        if is_continuous(symbol):
            fronts[contract.id] = contract
    return list(contracts.values()), list(fronts.values())


def tls_files(config: Config) -> TlsFiles | None:
    """The server's TLS material, read once at start (None: plaintext)."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    client_ca = config.tls_client_ca.read_bytes() if config.tls_client_ca is not None else None
    return TlsFiles(config.tls_cert.read_bytes(), config.tls_key.read_bytes(), client_ca)


def _new_id() -> str:
    return str(uuid.uuid4())


def kernel_settings(
    config: Config, plan: FeedPlan, signal_settings: Mapping[str, SignalSettings] | None
) -> tuple[KernelSettings, str]:
    """The kernel's settings from the configuration (and the name of the default risk preset)."""
    paper = config.paper
    fill = FillSettings(
        seed=paper.seed,
        latency_min_ns=paper.latency_ms[0] * NS_PER_MS,
        latency_max_ns=paper.latency_ms[1] * NS_PER_MS,
        max_slippage_ticks=paper.slippage_ticks,
        fill_limits_on_touch=paper.fill_on_touch,
        partial_fills=paper.partial_fills,
    )
    excursions = ExcursionSettings(
        price_source=PriceSource(config.excursion_price),
        break_even_enabled=config.break_even,
        break_even_trigger_r=config.break_even_r,
        break_even_offset_ticks=config.break_even_offset_ticks,
    )
    try:
        default = preset(config.risk_preset) if config.risk_preset else None
    except InvalidArgument as exc:
        raise ConfigError("VIGIL_RISK_PRESET", exc.reason) from None
    if signal_settings is None and config.signal_approval == "manual":
        signal_settings = settings_with(approval=ApprovalMode.MANUAL)
    settings = KernelSettings(
        fill=fill,
        price_bands=PriceBands(paper.price_band, dict(paper.price_bands)),
        default_max_order_size=paper.max_order_size,
        market_hours=MarketHours.DECLARED_OPEN if config.market_declared_open else MarketHours.EXCHANGE,
        commissions=CommissionSchedule.broker(dict(paper.commissions), flat=paper.commission),
        excursions=excursions,
        default_rules=default.rules if default is not None else None,
        quote_price_mode=config.quote_price,
        close_grace_ns=CLOSE_GRACE_NS if plan.realtime else 0,
        signal_settings=signal_settings,
        signal_execution=SignalExecution(
            paper.signal_execution, AccountId(paper.signal_account), paper.signal_target_r
        ),
    )
    return settings, default.name if default is not None else ""


async def start(
    config: Config,
    *,
    clock: Clock | None = None,
    feed_plan: FeedPlan | None = None,
    signal_settings: Mapping[str, SignalSettings] | None = None,
) -> RunningServer:
    """Start the store, the kernel (restored from the store), the feeds and the gRPC server. Raises
    StoreUnreachable / ConfigError.

    `feed_plan` replaces the configured feed (benchmarks and tests inject their own); `signal_settings`
    overrides the per-instrument signal defaults (signals.settings) root by root.
    """
    clock = clock or LiveClock()
    config.check_transport()  # before anything starts: plaintext off loopback is refused
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
    try:
        running = await _assemble(config, clock, pool, embedded, mode, feed_plan, signal_settings, dsn)
    except BaseException:
        await pool.close()
        if embedded is not None:
            await embedded.stop()
        raise
    log.info(
        "server.started",
        address=running.address,
        feed=running.feed_plan.feed.name,
        contracts=list(running.engine.contract_ids()),
        auth="no-key mode (loopback: calls without a key act as the local admin)" if config.no_key_mode else "keys",
        tls="mutual" if config.tls_client_ca else "on" if config.tls else "off",
    )
    return running


async def _assemble(
    config: Config,
    clock: Clock,
    pool: asyncpg.Pool,
    embedded: EmbeddedPostgres | None,
    mode: Literal["embedded", "external"],
    feed_plan: FeedPlan | None,
    signal_settings: Mapping[str, SignalSettings] | None,
    dsn: str = "",
) -> RunningServer:
    tick_repository = TickRepository(pool)
    candle_repository = CandleRepository(pool)
    tick_writer = TickWriter(tick_repository, clock, max_buffer=config.tick_buffer_max, mode=mode)
    candle_writer = CandleWriter(candle_repository, clock)
    bus = Bus()
    now = clock.now_ns()
    contracts, fronts = _resolve_contracts(config.symbols, now)
    if feed_plan is None:
        last_prices = await _last_prices(candle_repository, contracts) if config.feed == "simulated" else {}
        feed_plan = plan_feed(config, clock, contracts, tick_repository, last_prices)
    plan = feed_plan
    settings, default_preset = kernel_settings(config, plan, signal_settings)
    stores = LiveStores(
        JournalRepository(pool),
        ExecutionRepository(pool),
        RiskRepository(pool),
        TradeRepository(pool),
        SignalRepository(pool),
        candle_repository,
        CommissionRepository(pool),
        strategies=StrategyRepository(pool),
        copying=CopyRepository(pool),
    )
    core = build_live(
        clock,
        bus,
        stores,
        settings,
        contracts,
        quote_only=plan.quote_only,
        ticks=tick_writer,
        candles=candle_writer,
        forming_interval_ns=config.forming_interval_ms * NS_PER_MS,
        default_preset=default_preset,
        id_factory=_new_id,
    )
    market, shell = core.market, core.shell
    market.store_ticks(plan.store_ticks)
    binding = market.attach(plan.feed, contracts, realtime=plan.realtime, quote_only=plan.quote_only)
    await _restore_forming(core.kernel, candle_repository, contracts)
    paper = config.paper
    default = DefaultAccount(AccountId(paper.account_name), paper.account_name, paper.account_balance)
    await restore_live(core, stores, seed=paper.seed, default_account=default, default_preset=default_preset)
    if config.strategy_dir is not None:
        await core.strategies.load_files(read_strategy_dir(config.strategy_dir))

    accounts = AccountResolver(core.execution)
    keys = KeyRing(ApiKeyRepository(pool), config.api_keys)
    await keys.load()
    if not config.listens_on_loopback and not keys.has_static_keys and not keys.has_named_keys:
        raise ConfigError(
            "VIGIL_API_KEYS",
            f"listening on {config.listen} (not loopback) needs a key: set VIGIL_API_KEYS, create named keys "
            "(vigil keys create) while listening on 127.0.0.1, or listen on 127.0.0.1",
        )
    reconcile_every = reconcile_interval_s()
    mirror = KernelMirror(core.execution, clock)
    brokers = BrokerDesk(
        BrokerRepository(pool), clock, broker_environment(),
        account_exists=lambda account_id: core.execution.account_named(account_id) is not None,
        pre_trade=BrokerRiskCheck(shell), mirror=mirror,
    )  # fmt: skip
    router = route_live_accounts(brokers, shell, core.execution, mirror)  # LIVE accounts: every path to the broker
    await brokers.load()
    core.risk.stop_hooks.append(brokers.emergency_stop)
    analytics = AnalyticsDesk(
        shell, AnalyticsRepository(pool), core.trades, core.execution, load_trading_calendar(), bus=bus
    )
    try:
        notify = build_notify_desk(config.env, clock, bus, analytics)
    except ValueError as error:
        variable, _, reason = str(error).partition(": ")
        raise ConfigError(variable.split("[")[0], reason or str(error)) from None
    metrics = MetricsService(ServerMetrics())
    sources = server_sources(shell, market, tick_writer, candle_writer, core.risk, bus, brokers.audits)
    await metrics.start(config.metrics_listen, sources, bus)
    backtests = BacktestJobs(
        BacktestRepository(pool),
        dsn,
        clock,
        workers=config.backtest_workers,
        stored=_stored_strategy(core.strategies),
        commission=lambda root: core.kernel.execution.commissions.rate(root),
    )
    await backtests.recover()
    grpc_server = build_grpc_server(
        config.listen,
        keys,
        MarketDataServicer(clock, bus, market, candle_repository, tick_writer.status, load_trading_calendar()),
        SignalServicer(clock, core.signals, signal_account=paper.signal_account if paper.signal_execution else ""),
        trades=TradeServicer(clock, core.trades, accounts),
        execution=ExecutionServicer(clock, core.execution, accounts),
        risk=RiskServicer(core.risk, accounts),
        data=DataServicer(
            pool,
            clock,
            ImportSettings(
                config.import_dirs, config.listens_on_loopback, config.upload_dir, quote_price=config.quote_price
            ),
        ),
        backtests=BacktestServicer(backtests),
        commissions=CommissionServicer(CommissionDesk(shell), accounts),
        copying=CopyGroupServicer(core.copying, accounts),
        brokers=AccountServicer(brokers, accounts, core.execution),
        access=AccessServicer(clock, keys, accounts),
        open_mode=config.no_key_mode,
        analytics=AnalyticsServicer(analytics),
        notifications=NotificationServicer(notify),
        tls=tls_files(config),
        limiter=RateLimiter(config.order_rate, config.order_burst),
        now_ns=clock.now_ns,
        metrics=metrics.metrics,
        strategies=StrategyServicer(core.strategies),
    )
    await grpc_server.server.start()
    await grpc_server.serving()
    market.add_feed_state_listener(grpc_server.feed_states_changed)
    market.add_feed_state_listener(notify.feed_states_changed)
    running = RunningServer(
        config, grpc_server, market, shell, bus, plan, tick_writer, candle_writer, pool, embedded,
        core.execution, core.risk, core.trades, core.signals, metrics, brokers=brokers, backtests=backtests,
        router=router,
    )  # fmt: skip
    running.service_tasks = [
        asyncio.create_task(tick_writer.run(), name="tick-writer"),
        asyncio.create_task(candle_writer.run(), name="candle-writer"),
        asyncio.create_task(core.writer.run(), name="journal-writer"),
        asyncio.create_task(shell.run_timer(), name="kernel-timer"),
        asyncio.create_task(brokers.run_periodic(reconcile_every), name="broker-reconcile"),
        asyncio.create_task(brokers.audits.run(), name="broker-audit-writer"),
        asyncio.create_task(market.run(), name="forming-candles"),
        asyncio.create_task(analytics.warm(), name="analytics-warm"),  # the first analytics query finds the trades read
        *notify.start(),
    ]
    running.feed_tasks = [asyncio.create_task(plan.feed.run(binding), name=f"feed-{plan.feed.name}")]
    if fronts and plan.realtime:
        if isinstance(plan.feed, RollingFeed):
            roller = FrontMonthRoller(clock, shell, market, binding, plan.feed, fronts)
            roller.resume_missed()  # a roll that passed while the server was stopped runs at the first check
            running.service_tasks.append(asyncio.create_task(roller.run(), name="front-month-roll"))
        else:
            log.warning("contract.rolls_off", feed=plan.feed.name, reason="the feed cannot add contracts while it runs")
    return running


def _stored_strategy(desk: StrategyDesk) -> Callable[[str], tuple[str, int] | None]:
    """A loaded strategy's current definition and version, for backtests that name it."""

    def find(strategy_id: str) -> tuple[str, int] | None:
        view = desk.find(strategy_id)
        return (view.source, view.record.version) if view is not None else None

    return find


async def _last_prices(candles: CandleRepository, contracts: Sequence[Contract]) -> dict[str, Decimal]:
    """Each contract's last stored price (its latest 1m candle's close, forming ones included: the shutdown stores
    them), so a restarted simulator continues where the market stood rather than at its seed price. Best effort."""
    prices: dict[str, Decimal] = {}
    try:
        for contract in contracts:
            latest = await candles.latest(contract.id, Timeframe.M1)
            if latest is not None:
                prices[contract.id] = contract.spec.price_from_ticks(latest.close)
    except Unavailable as exc:
        log.warning("simulator.last_prices_skipped", reason=str(exc))
    return prices


async def _restore_forming(kernel: TradingKernel, candles: CandleRepository, contracts: Sequence[Contract]) -> None:
    """Continue the candles that were forming when the server last stopped (best effort)."""
    try:
        for contract in contracts:
            for timeframe in ALL_TIMEFRAMES:
                latest = await candles.latest(contract.id, timeframe)
                if latest is not None and not latest.closed:
                    kernel.market.seed_forming([latest])
    except Unavailable as exc:
        log.warning("candles.restore_skipped", reason=str(exc))
