"""Assembles the grpc.aio server: servicers, health, reflection and interceptors.

Health: every service is SERVING once started. While a feed is STOPPED (it died, or was stopped) nothing new
reaches candles, fills or risk, so MarketDataService and the server as a whole ("") report NOT_SERVING until
it streams again; a graceful shutdown makes everything NOT_SERVING for good.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from core_server.access.keyring import KeyRing
from core_server.access.rate import RateLimiter
from core_server.api.access_service import AccessServicer
from core_server.api.analytics import AnalyticsServicer
from core_server.api.backtests import BacktestServicer
from core_server.api.brokers import AccountServicer
from core_server.api.commissions import CommissionServicer
from core_server.api.copying import CopyGroupServicer
from core_server.api.data import DataServicer
from core_server.api.execution import ExecutionServicer
from core_server.api.interceptors import AccessInterceptor, RequestContextInterceptor
from core_server.api.market_data import MarketDataServicer
from core_server.api.metrics_interceptor import MetricsInterceptor
from core_server.api.notifications import NotificationServicer
from core_server.api.risk import RiskServicer
from core_server.api.signals import SignalServicer
from core_server.api.strategies import StrategyServicer
from core_server.api.trades import TradeServicer
from core_server.metrics.registry import ServerMetrics
from core_server.model.feed_status import FeedState
from vigil.v1 import (
    access_pb2,
    access_pb2_grpc,
    accounts_pb2,
    accounts_pb2_grpc,
    analytics_pb2,
    analytics_pb2_grpc,
    backtests_pb2,
    backtests_pb2_grpc,
    commissions_pb2,
    commissions_pb2_grpc,
    copying_pb2,
    copying_pb2_grpc,
    data_pb2,
    data_pb2_grpc,
    execution_pb2,
    execution_pb2_grpc,
    market_data_pb2,
    market_data_pb2_grpc,
    notifications_pb2,
    notifications_pb2_grpc,
    risk_pb2,
    risk_pb2_grpc,
    signals_pb2,
    signals_pb2_grpc,
    strategies_pb2,
    strategies_pb2_grpc,
    trades_pb2,
    trades_pb2_grpc,
)

# Reflection answers from the default descriptor pool, which holds a service only once the _pb2
# module declaring it is imported; taking names from the descriptors makes that import explicit.
SERVICE_NAMES: tuple[str, ...] = (
    market_data_pb2.DESCRIPTOR.services_by_name["MarketDataService"].full_name,
    signals_pb2.DESCRIPTOR.services_by_name["SignalService"].full_name,
    execution_pb2.DESCRIPTOR.services_by_name["ExecutionService"].full_name,
    trades_pb2.DESCRIPTOR.services_by_name["TradeService"].full_name,
    risk_pb2.DESCRIPTOR.services_by_name["RiskService"].full_name,
    data_pb2.DESCRIPTOR.services_by_name["DataService"].full_name,
    backtests_pb2.DESCRIPTOR.services_by_name["BacktestService"].full_name,
    commissions_pb2.DESCRIPTOR.services_by_name["CommissionService"].full_name,
    accounts_pb2.DESCRIPTOR.services_by_name["AccountService"].full_name,
    access_pb2.DESCRIPTOR.services_by_name["AccessService"].full_name,
    analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name,
    copying_pb2.DESCRIPTOR.services_by_name["CopyGroupService"].full_name,
    strategies_pb2.DESCRIPTOR.services_by_name["StrategyService"].full_name,
    notifications_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name,
)
FEED_SERVICES = ("", SERVICE_NAMES[0])  # what a stopped feed takes down: market data, and the server as a whole
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """PEM bytes: the certificate chain and key the server presents; with `client_ca`, clients must present a
    certificate signed by it (mutual TLS)."""

    cert_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None


@dataclass(slots=True)
class GrpcServer:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int

    feed_stopped: bool = False
    _updates: set[asyncio.Task[None]] = field(default_factory=set)

    async def serving(self) -> None:
        await self.health.set("", _SERVING)
        for name in SERVICE_NAMES:
            await self.health.set(name, _SERVING)

    async def not_serving(self) -> None:
        await self.health.enter_graceful_shutdown()

    def feed_states_changed(self, states: Sequence[FeedState]) -> None:
        """A MarketDataEngine feed-state listener (synchronous: called from the feed's own task)."""
        stopped = FeedState.STOPPED in states
        if stopped is self.feed_stopped:
            return
        self.feed_stopped = stopped
        task = asyncio.get_running_loop().create_task(self._set_feed_health(_NOT_SERVING if stopped else _SERVING))
        self._updates.add(task)  # asyncio keeps only weak references to tasks
        task.add_done_callback(self._updates.discard)

    async def _set_feed_health(self, status: health_pb2.HealthCheckResponse.ServingStatus) -> None:
        for name in FEED_SERVICES:
            await self.health.set(name, status)


def build_grpc_server(
    listen: str,
    keys: KeyRing,
    market_data: MarketDataServicer,
    signals: SignalServicer,
    *,
    execution: ExecutionServicer,
    trades: TradeServicer,
    risk: RiskServicer,
    backtests: BacktestServicer | None = None,
    access: AccessServicer,
    analytics: AnalyticsServicer,
    strategies: StrategyServicer,
    notifications: NotificationServicer,
    commissions: CommissionServicer | None = None,
    copying: CopyGroupServicer | None = None,
    brokers: AccountServicer | None = None,
    open_mode: bool = False,
    tls: TlsFiles | None = None,
    limiter: RateLimiter | None = None,
    now_ns: Callable[[], int] = time.time_ns,
    metrics: ServerMetrics | None = None,
    data: DataServicer | None = None,
) -> GrpcServer:
    """`open_mode`: no-key mode (calls without a key act as the local admin); see AccessInterceptor."""
    interceptors: list[grpc.aio.ServerInterceptor] = [
        RequestContextInterceptor(),
        AccessInterceptor(keys, open_mode=open_mode, limiter=limiter, now_ns=now_ns),
    ]
    if metrics is not None:
        interceptors.insert(0, MetricsInterceptor(metrics))  # outermost: refused calls count too
        market_data.observe_delivery(metrics.delivered)
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[("grpc.so_reuseport", 0), ("grpc.max_send_message_length", 16 * 1024 * 1024)],
    )
    market_data_pb2_grpc.add_MarketDataServiceServicer_to_server(market_data, server)
    signals_pb2_grpc.add_SignalServiceServicer_to_server(signals, server)
    execution_pb2_grpc.add_ExecutionServiceServicer_to_server(execution, server)
    trades_pb2_grpc.add_TradeServiceServicer_to_server(trades, server)
    risk_pb2_grpc.add_RiskServiceServicer_to_server(risk, server)
    if backtests is not None:
        backtests_pb2_grpc.add_BacktestServiceServicer_to_server(backtests, server)
    if commissions is not None:
        commissions_pb2_grpc.add_CommissionServiceServicer_to_server(commissions, server)
    if copying is not None:
        copying_pb2_grpc.add_CopyGroupServiceServicer_to_server(copying, server)
    if brokers is not None:
        accounts_pb2_grpc.add_AccountServiceServicer_to_server(brokers, server)
    access_pb2_grpc.add_AccessServiceServicer_to_server(access, server)
    analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server(analytics, server)
    strategies_pb2_grpc.add_StrategyServiceServicer_to_server(strategies, server)
    if data is not None:
        data_pb2_grpc.add_DataServiceServicer_to_server(data, server)
    notifications_pb2_grpc.add_NotificationServiceServicer_to_server(notifications, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    if tls is None:
        port = server.add_insecure_port(listen)
    else:
        credentials = grpc.ssl_server_credentials(
            [(tls.private_key, tls.cert_chain)],
            root_certificates=tls.client_ca,
            require_client_auth=tls.client_ca is not None,
        )
        port = server.add_secure_port(listen, credentials)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    return GrpcServer(server, health_servicer, port)
