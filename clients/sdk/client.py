"""VigilClient: the typed async client, one method per RPC of every Vigil service, plus connection and health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Self

from grpc_health.v1 import health_pb2, health_pb2_grpc

from clients.sdk.access_calls import AccessCalls
from clients.sdk.analytics_calls import AnalyticsCalls
from clients.sdk.backtest_calls import BacktestCalls
from clients.sdk.broker_calls import BrokerAccountCalls
from clients.sdk.commission_calls import CommissionCalls
from clients.sdk.connection import StateCallback
from clients.sdk.copy_calls import CopyCalls
from clients.sdk.data_calls import DataCalls
from clients.sdk.errors import NotFoundError
from clients.sdk.execution_calls import ExecutionCalls
from clients.sdk.market_data_calls import MarketDataCalls
from clients.sdk.models import ConnectionState, ServingStatus
from clients.sdk.notification_calls import NotificationCalls
from clients.sdk.risk_calls import RiskCalls
from clients.sdk.signal_calls import SignalCalls
from clients.sdk.strategy_calls import StrategyCalls
from clients.sdk.trade_calls import TradeCalls
from clients.sdk.transport import API_KEY_ENV, DEFAULT_TARGET, TARGET_ENV

__all__ = ["API_KEY_ENV", "DEFAULT_TARGET", "TARGET_ENV", "VigilClient"]

_SERVING = {
    1: ServingStatus.SERVING,
    2: ServingStatus.NOT_SERVING,
    3: ServingStatus.SERVICE_UNKNOWN,
}


class VigilClient(
    MarketDataCalls,
    SignalCalls,
    ExecutionCalls,
    TradeCalls,
    RiskCalls,
    CommissionCalls,
    AccessCalls,
    AnalyticsCalls,
    StrategyCalls,
    DataCalls,
    BrokerAccountCalls,
    NotificationCalls,
    BacktestCalls,
    CopyCalls,
):
    """Async client for a Vigil server.

    `target` defaults to VIGIL_TARGET, else 127.0.0.1:50051; `api_key` to VIGIL_API_KEY (sent as
    `authorization: Bearer <key>`); explicit arguments win over the environment. TLS: `tls_ca` (else
    VIGIL_TLS_CA) is the CA to trust, `tls_cert`/`tls_key` (else VIGIL_TLS_CLIENT_CERT/KEY) a client
    certificate for mutual TLS, `tls=True` (else VIGIL_TLS=1) TLS with the system's CAs (clients.sdk.tls).

    Unary calls fail fast with a typed VigilError. With `reconnect=True` (the default) streams survive
    server restarts and connection loss: they wait for the server, back off 0.5 s doubling to 10 s between
    attempts, and re-send their request (StreamCandles asks for a fresh snapshot, StreamSignalEvents for
    the pending signals, StreamTradeUpdates for the open trades and StreamRiskEvents for the audit entries
    it missed, so the reader resyncs).
    """

    def __init__(
        self,
        target: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        reconnect: bool = True,
        on_state_change: StateCallback | None = None,
        tls: bool | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        tls_server_name: str | None = None,
    ) -> None:
        super().__init__(
            target, api_key=api_key, timeout=timeout, reconnect=reconnect, on_state_change=on_state_change, tls=tls,
            tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key, tls_server_name=tls_server_name,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"VigilClient(target={self.target!r}, state={self.connection_state.value})"

    async def __aenter__(self) -> Self:
        self._connection.channel()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- connection -----------------------------------------------------------------------------------

    @property
    def connection_state(self) -> ConnectionState:
        return self._connection.state

    def add_state_listener(self, callback: StateCallback) -> Callable[[], None]:
        """Call `callback` on every connection state change; returns a function that removes it."""
        return self._connection.add_callback(callback)

    def watch_connection(self) -> AsyncIterator[ConnectionState]:
        """The current connection state, then each change, until the client is closed."""
        self._connection.channel()
        return self._connection.watch()

    async def wait_connected(self) -> None:
        """Return once connected to the server (bound it with `asyncio.timeout`)."""
        await self._connection.wait_ready()

    async def reconnect(self) -> None:
        """Drop the connection and dial again now; running streams resume on the new one without backoff."""
        await self._connection.replace()

    async def close(self) -> None:
        """Close the channel; running streams end (their iterators stop)."""
        await self._connection.close()

    async def health(self, service: str = "") -> ServingStatus:
        """The grpc.health.v1 answer for `service` ("" is the whole server)."""
        stub = health_pb2_grpc.HealthStub(self._connection.channel())
        try:
            response = await self._unary(stub.Check, health_pb2.HealthCheckRequest(service=service))
        except NotFoundError:
            return ServingStatus.SERVICE_UNKNOWN
        return _SERVING.get(int(response.status), ServingStatus.UNKNOWN)
