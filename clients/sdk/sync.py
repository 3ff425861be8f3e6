"""VigilSyncClient: a blocking facade over VigilClient for scripts, on its own event-loop thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator
from types import TracebackType
from typing import Any, Self, TypeVar

from clients.sdk.client import DEFAULT_TARGET, VigilClient
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

_T = TypeVar("_T")


class VigilSyncClient:
    """The same calls as VigilClient, blocking; streams are plain iterators (close them, or break out)."""

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        reconnect: bool = True,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="vigil-sdk-loop", daemon=True)
        self._thread.start()
        self._closed = False

        async def make() -> VigilClient:
            return VigilClient(target, api_key=api_key, timeout=timeout, reconnect=reconnect)

        self._client = self._run(make())

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"VigilSyncClient(target={self._client.target!r}, state={self.connection_state.value})"

    @property
    def connection_state(self) -> ConnectionState:
        return self._client.connection_state

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._run(self._client.close())
        self._run(self._loop.shutdown_asyncgens())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """True once connected to the server; False if `timeout` seconds passed first."""
        future = asyncio.run_coroutine_threadsafe(self._client.wait_connected(), self._loop)
        try:
            future.result(timeout)
        except TimeoutError:
            future.cancel()
            return False
        return True

    def health(self, service: str = "") -> ServingStatus:
        return self._run(self._client.health(service))

    def list_instruments(self) -> list[Instrument]:
        return self._run(self._client.list_instruments())

    def resolve_symbol(self, symbol: str, at_ns: int = 0) -> Contract:
        return self._run(self._client.resolve_symbol(symbol, at_ns))

    def get_quote(self, symbol: str) -> QuoteSnapshot:
        return self._run(self._client.get_quote(symbol))

    def list_candles(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start_ns: int = 0,
        end_ns: int = 0,
        limit: int = 500,
        include_forming: bool = False,
    ) -> list[Candle]:
        return self._run(self._client.list_candles(symbol, timeframe, start_ns, end_ns, limit, include_forming))

    def list_recent_ticks(self, symbol: str, limit: int = 100, trades_only: bool = False) -> list[Tick]:
        return self._run(self._client.list_recent_ticks(symbol, limit, trades_only))

    def get_feed_status(self) -> FeedStatusReport:
        return self._run(self._client.get_feed_status())

    def stream_quotes(
        self, symbols: Iterable[str] = (), include_trades: bool = False, max_batch: int = 500
    ) -> Iterator[QuoteBatch]:
        return self._iterate(self._client.stream_quotes(tuple(symbols), include_trades, max_batch))

    def stream_candles(
        self,
        symbol: str,
        timeframes: Iterable[Timeframe | str] = (),
        closed_only: bool = False,
        send_snapshot: bool = True,
    ) -> Iterator[list[Candle]]:
        return self._iterate(self._client.stream_candles(symbol, tuple(timeframes), closed_only, send_snapshot))

    def stream_feed_status(self, interval_ms: int = 1000) -> Iterator[FeedStatusReport]:
        return self._iterate(self._client.stream_feed_status(interval_ms))

    def submit_signal(self, signal_input: SignalInput) -> SubmitResult:
        return self._run(self._client.submit_signal(signal_input))

    def get_signal(self, signal_id: str) -> Signal:
        return self._run(self._client.get_signal(signal_id))

    def list_signals(
        self,
        statuses: Iterable[SignalStatus | str] = (),
        symbol: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        return self._run(self._client.list_signals(tuple(statuses), symbol, strategy, from_ns, to_ns, limit))

    def cancel_signal(self, signal_id: str, reason: str = "") -> Signal:
        return self._run(self._client.cancel_signal(signal_id, reason))

    def approve_signal(self, signal_id: str) -> Signal:
        return self._run(self._client.approve_signal(signal_id))

    def stream_signal_events(self, send_pending: bool = True) -> Iterator[SignalUpdate]:
        return self._iterate(self._client.stream_signal_events(send_pending))

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _iterate(self, stream: AsyncIterator[_T]) -> Iterator[_T]:
        async def step() -> tuple[bool, _T | None]:
            try:
                return True, await anext(stream)
            except StopAsyncIteration:
                return False, None

        try:
            while True:
                more, item = self._run(step())
                if not more:
                    return
                yield item  # type: ignore[misc]
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None and not self._loop.is_closed():
                self._run(close())
