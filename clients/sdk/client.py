"""VigilClient: the typed async client, one method per MarketDataService and SignalService RPC plus health."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clients.sdk import convert, convert_signals
from clients.sdk.connection import Backoff, Connection, StateCallback
from clients.sdk.errors import NotFoundError, UnavailableError, error_from_rpc
from clients.sdk.models import (
    Candle,
    ConnectionState,
    Contract,
    FeedStatusReport,
    Instrument,
    QuoteBatch,
    QuoteSnapshot,
    ServingStatus,
    Tick,
    Timeframe,
)
from clients.sdk.signals import Signal, SignalInput, SignalStatus, SignalUpdate, SubmitResult
from vigil.v1 import market_data_pb2 as pb
from vigil.v1 import market_data_pb2_grpc as pb_grpc
from vigil.v1 import signals_pb2, signals_pb2_grpc

log = structlog.get_logger(__name__)

DEFAULT_TARGET = "127.0.0.1:50051"
API_KEY_ENV = "VIGIL_API_KEY"

_Resp = TypeVar("_Resp")
_T = TypeVar("_T")
if TYPE_CHECKING:
    from typing import TypeAlias

    _Stub: TypeAlias = pb_grpc.MarketDataServiceAsyncStub
    _Call: TypeAlias = grpc.aio.UnaryStreamCall[Any, _Resp]

_SERVING = {
    1: ServingStatus.SERVING,
    2: ServingStatus.NOT_SERVING,
    3: ServingStatus.SERVICE_UNKNOWN,
}


class VigilClient:
    """Async client for a Vigil server.

    Unary calls fail fast with a typed VigilError. With `reconnect=True` (the default) streams survive
    server restarts and connection loss: they wait for the server, back off 0.5 s doubling to 10 s between
    attempts, and re-send their request (StreamCandles asks for a fresh snapshot and StreamSignalEvents for
    the pending signals, so the reader resyncs).
    """

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        reconnect: bool = True,
        on_state_change: StateCallback | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.reconnect_streams = reconnect
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {key}"),) if key else ()
        self._connection = Connection(target, on_state_change)

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
        await self._connection.channel().channel_ready()

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

    # -- unary calls ----------------------------------------------------------------------------------

    async def list_instruments(self) -> list[Instrument]:
        response = await self._unary(self._stub().ListInstruments, pb.ListInstrumentsRequest())
        return [convert.instrument_from_pb(i) for i in response.instruments]

    async def resolve_symbol(self, symbol: str, at_ns: int = 0) -> Contract:
        """The canonical contract for any symbol form (NQZ6, NQ1!, NQ, CON.F.US.ENQ.Z26), as of `at_ns`."""
        response = await self._unary(self._stub().ResolveSymbol, pb.ResolveSymbolRequest(symbol=symbol, at_ns=at_ns))
        return convert.contract_from_pb(response.contract)

    async def get_quote(self, symbol: str) -> QuoteSnapshot:
        response = await self._unary(self._stub().GetQuote, pb.GetQuoteRequest(symbol=symbol))
        return convert.quote_snapshot_from_pb(response)

    async def list_candles(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start_ns: int = 0,
        end_ns: int = 0,
        limit: int = 500,
        include_forming: bool = False,
    ) -> list[Candle]:
        """Candles starting in [start_ns, end_ns), oldest first; end 0 is now, start 0 means `limit` back."""
        request = pb.ListCandlesRequest(
            symbol=symbol,
            timeframe=convert.timeframe_to_pb(timeframe),
            start_ns=start_ns,
            end_ns=end_ns,
            limit=limit,
            include_forming=include_forming,
        )
        response = await self._unary(self._stub().ListCandles, request)
        return [convert.candle_from_pb(c) for c in response.candles]

    async def list_recent_ticks(self, symbol: str, limit: int = 100, trades_only: bool = False) -> list[Tick]:
        """The most recent ticks the server holds in memory, newest last."""
        request = pb.ListRecentTicksRequest(symbol=symbol, limit=limit, trades_only=trades_only)
        response = await self._unary(self._stub().ListRecentTicks, request)
        return [convert.tick_from_pb(t) for t in response.ticks]

    async def get_feed_status(self) -> FeedStatusReport:
        response = await self._unary(self._stub().GetFeedStatus, pb.GetFeedStatusRequest())
        return convert.feed_status_report_from_pb(response)

    # -- streams --------------------------------------------------------------------------------------

    def stream_quotes(
        self, symbols: Iterable[str] = (), include_trades: bool = False, max_batch: int = 500
    ) -> AsyncGenerator[QuoteBatch, None]:
        """Quote batches for `symbols` (empty: every streaming contract); trades too if asked."""
        request = pb.StreamQuotesRequest(symbols=list(symbols), include_trades=include_trades, max_batch=max_batch)

        def open_call(resumed: bool) -> _Call[pb.StreamQuotesResponse]:
            return self._stub().StreamQuotes(request, metadata=self._metadata, wait_for_ready=self.reconnect_streams)

        return self._resilient_stream("StreamQuotes", open_call, convert.quote_batch_from_pb)

    def stream_candles(
        self,
        symbol: str,
        timeframes: Iterable[Timeframe | str] = (),
        closed_only: bool = False,
        send_snapshot: bool = True,
    ) -> AsyncGenerator[list[Candle], None]:
        """Forming-candle updates and closed candles of `timeframes` (empty: all six) for one symbol.

        After a reconnect the request is re-sent with a snapshot (unless `closed_only`), so the first
        message on the new stream carries the forming candles again; closed candles that completed while
        disconnected are not replayed (fetch them with list_candles).
        """
        tfs = [convert.timeframe_to_pb(tf) for tf in timeframes]
        first = pb.StreamCandlesRequest(
            symbol=symbol, timeframes=tfs, closed_only=closed_only, send_snapshot=send_snapshot
        )
        again = pb.StreamCandlesRequest(
            symbol=symbol, timeframes=tfs, closed_only=closed_only, send_snapshot=send_snapshot or not closed_only
        )

        def open_call(resumed: bool) -> _Call[pb.StreamCandlesResponse]:
            request = again if resumed else first
            return self._stub().StreamCandles(request, metadata=self._metadata, wait_for_ready=self.reconnect_streams)

        def to_candles(response: pb.StreamCandlesResponse) -> list[Candle]:
            return [convert.candle_from_pb(c) for c in response.candles]

        return self._resilient_stream("StreamCandles", open_call, to_candles)

    def stream_feed_status(self, interval_ms: int = 1000) -> AsyncGenerator[FeedStatusReport, None]:
        """The feed and store health every `interval_ms` (at least 100)."""
        request = pb.StreamFeedStatusRequest(interval_ms=interval_ms)

        def open_call(resumed: bool) -> _Call[pb.StreamFeedStatusResponse]:
            return self._stub().StreamFeedStatus(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        return self._resilient_stream("StreamFeedStatus", open_call, convert.feed_status_report_from_pb)

    # -- signals --------------------------------------------------------------------------------------

    async def submit_signal(self, signal_input: SignalInput) -> SubmitResult:
        """Validate a new signal. A rejection is a decision in the result (status REJECTED, see checks), not an
        error; a repeat of an earlier idempotency key returns the original signal with `duplicate=True`."""
        request = signals_pb2.SubmitSignalRequest(input=convert_signals.signal_input_to_pb(signal_input))
        response = await self._unary(self._signal_stub().SubmitSignal, request)
        return convert_signals.submit_result_from_pb(response)

    async def get_signal(self, signal_id: str) -> Signal:
        """One signal with its checks and lifecycle events."""
        request = signals_pb2.GetSignalRequest(signal_id=signal_id)
        response = await self._unary(self._signal_stub().GetSignal, request)
        return convert_signals.signal_from_pb(response.signal)

    async def list_signals(
        self,
        statuses: Iterable[SignalStatus | str] = (),
        symbol: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        """Signals received in [from_ns, to_ns) (0: unbounded), newest first; empty filters match all."""
        request = signals_pb2.ListSignalsRequest(
            statuses=[convert_signals.status_to_pb(s) for s in statuses],
            symbol=symbol,
            strategy=strategy,
            from_ns=from_ns,
            to_ns=to_ns,
            limit=limit,
        )
        response = await self._unary(self._signal_stub().ListSignals, request)
        return [convert_signals.signal_from_pb(s) for s in response.signals]

    async def cancel_signal(self, signal_id: str, reason: str = "") -> Signal:
        """Cancel a pending or approval-waiting signal; the signal as it stands afterwards."""
        request = signals_pb2.CancelSignalRequest(signal_id=signal_id, reason=reason)
        response = await self._unary(self._signal_stub().CancelSignal, request)
        return convert_signals.signal_from_pb(response.signal)

    async def approve_signal(self, signal_id: str) -> Signal:
        """Approve a confirmed signal that waits for manual approval; the signal as it stands afterwards."""
        request = signals_pb2.ApproveSignalRequest(signal_id=signal_id)
        response = await self._unary(self._signal_stub().ApproveSignal, request)
        return convert_signals.signal_from_pb(response.signal)

    def stream_signal_events(self, send_pending: bool = True) -> AsyncGenerator[SignalUpdate, None]:
        """Signal lifecycle events as they happen, first the current pending signals if `send_pending`.

        After a reconnect the request is re-sent asking for the pending signals, so the reader resyncs;
        events that happened while disconnected are not replayed (fetch them with list_signals).
        """

        def open_call(resumed: bool) -> _Call[signals_pb2.StreamSignalEventsResponse]:
            request = signals_pb2.StreamSignalEventsRequest(send_pending=send_pending or resumed)
            return self._signal_stub().StreamSignalEvents(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        return self._resilient_stream("StreamSignalEvents", open_call, convert_signals.signal_update_from_pb)

    # -- plumbing -------------------------------------------------------------------------------------

    def _stub(self) -> _Stub:
        return pb_grpc.MarketDataServiceStub(self._connection.channel())

    def _signal_stub(self) -> signals_pb2_grpc.SignalServiceAsyncStub:
        return signals_pb2_grpc.SignalServiceStub(self._connection.channel())

    async def _unary(self, method: Callable[..., Awaitable[_Resp]], request: object) -> _Resp:
        try:
            return await method(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.aio.AioRpcError as error:
            raise error_from_rpc(error) from None
        except asyncio.CancelledError:
            # reconnect() or close() closed the channel under this call: not a cancellation of the caller.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise UnavailableError("the connection was closed during the call") from None

    async def _resilient_stream(
        self,
        name: str,
        open_call: Callable[[bool], _Call[_Resp]],
        to_model: Callable[[_Resp], _T],
    ) -> AsyncGenerator[_T, None]:
        backoff = Backoff()
        resumed = False
        while True:
            generation = self._connection.generation
            call = open_call(resumed)
            reason = "ended"
            try:
                async for response in call:
                    backoff.reset()
                    yield to_model(response)
            except grpc.aio.AioRpcError as error:
                if not (self.reconnect_streams and error.code() is grpc.StatusCode.UNAVAILABLE):
                    raise error_from_rpc(error) from None
                reason = error.details() or "unavailable"
            except asyncio.CancelledError:
                # Closing the channel cancels its calls; only a cancellation of our own task propagates.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                if self._connection.closed:
                    return
                if self._connection.generation == generation:
                    raise
                reason = "reconnect requested"
            finally:
                call.cancel()
            if not self.reconnect_streams or self._connection.closed:
                return
            if self._connection.generation == generation:
                delay = backoff.next_delay()
                log.info("sdk.stream_reconnecting", stream=name, reason=reason, delay_s=delay)
                await self._connection.sleep(delay)
            resumed = True
