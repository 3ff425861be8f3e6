"""VigilClient streams against a real server: batches, forming candles, typed errors and reconnection."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TypeVar

import pytest

from clients.sdk import (
    Candle,
    ConnectionState,
    FeedState,
    InvalidArgumentError,
    NotFoundError,
    Quote,
    Timeframe,
    VigilClient,
)
from core_server.app import RunningServer, start
from tests.kit.eventually import eventually
from tests.kit.server import server_config

T = TypeVar("T")


async def take(stream: AsyncIterator[T], count: int) -> list[T]:
    items: list[T] = []
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        async for item in stream:
            items.append(item)
            if len(items) >= count:
                break
    return items


class Collector:
    """Reads a stream in the background so nothing waits in a buffer while the server restarts."""

    def __init__(self, stream: AsyncIterator[T]) -> None:
        self.items: list[object] = []
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: AsyncIterator[T]) -> None:
        async for item in stream:
            self.items.append(item)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_stream_quotes_yields_batches_of_exact_quotes_for_the_requested_symbol(client: VigilClient) -> None:
    batches = await take(client.stream_quotes(["ES1!"]), 5)

    quotes = [q for b in batches for q in b.quotes]
    assert quotes and all(q.contract_id.startswith("ES") for q in quotes)
    assert all(isinstance(q.bid, Decimal) and q.bid % Decimal("0.25") == 0 and q.ask > q.bid for q in quotes)
    assert all(b.trades == () and b.conflated >= 0 for b in batches)


async def test_stream_quotes_with_trades_also_yields_trade_prints(client: VigilClient) -> None:
    trades = []
    async with contextlib.aclosing(client.stream_quotes(include_trades=True)) as stream:
        async for batch in stream:
            trades.extend(batch.trades)
            if len(trades) >= 5:
                break

    assert {t.contract_id for t in trades} <= {"NQZ2026", "MNQZ2026", "ESZ2026", "MESZ2026"}
    assert all(t.size > 0 and t.price % Decimal("0.25") == 0 for t in trades)


async def test_stream_candles_starts_with_a_snapshot_then_yields_forming_updates(client: VigilClient) -> None:
    messages = await take(client.stream_candles("NQ", ["1m", Timeframe.M5]), 4)

    snapshot = messages[0]
    assert {c.timeframe for c in snapshot} == {Timeframe.M1, Timeframe.M5}
    assert all(not c.closed for c in snapshot)
    updates = [c for m in messages[1:] for c in m]
    assert updates and all(c.contract_id == "NQZ2026" and c.timeframe in (Timeframe.M1, Timeframe.M5) for c in updates)
    assert all(c.low <= c.close <= c.high for c in updates)


async def test_stream_feed_status_yields_reports(client: VigilClient) -> None:
    reports = await take(client.stream_feed_status(interval_ms=100), 2)

    assert all(r.feeds and r.feeds[0].state is FeedState.STREAMING for r in reports)
    assert reports[1].server_time_ns > reports[0].server_time_ns


async def test_stream_errors_that_retrying_cannot_fix_raise_typed_exceptions(client: VigilClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await take(client.stream_candles("BOGUS"), 1)
    assert caught.value.field == "symbol"

    with pytest.raises(NotFoundError):
        await take(client.stream_quotes(["YM"]), 1)

    with pytest.raises(InvalidArgumentError) as caught:
        await take(client.stream_feed_status(interval_ms=10), 1)
    assert caught.value.field == "interval_ms"


async def test_streams_survive_a_server_restart_on_the_same_port(
    running_server: RunningServer, database_url: str
) -> None:
    address = running_server.address
    states: list[ConnectionState] = []
    async with VigilClient(address, on_state_change=states.append) as client:
        quotes = Collector(client.stream_quotes(["NQ"]))
        candles = Collector(client.stream_candles("NQ", ["1m"]))
        await eventually(lambda: quotes.items and candles.items)

        await running_server.stop()
        await eventually(lambda: client.connection_state is ConnectionState.RECONNECTING)
        second = await start(server_config(database_url, listen=address))
        try:
            restarted_ns = time.time_ns()

            def fresh_quote() -> bool:
                return any(q.ts_event_ns > restarted_ns for b in quotes.items for q in b.quotes)  # type: ignore[attr-defined]

            await eventually(fresh_quote, timeout=30)
            seen = len(candles.items)
            await eventually(lambda: len(candles.items) > seen + 1, timeout=30)
            assert client.connection_state is ConnectionState.CONNECTED
            latest: list[Candle] = candles.items[-1]  # type: ignore[assignment]
            assert all(c.contract_id == "NQZ2026" for c in latest)
        finally:
            await quotes.stop()
            await candles.stop()
            await second.stop()

    assert states[:2] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
    dropped = states.index(ConnectionState.RECONNECTING)
    assert ConnectionState.CONNECTED in states[dropped:]
    assert states[-1] is ConnectionState.CLOSED


async def test_a_stream_opened_before_the_server_starts_delivers_once_it_is_up(
    database_url: str, unused_address: str
) -> None:
    async with VigilClient(unused_address) as client:
        waiting = Collector(client.stream_quotes(["ES"]))
        await eventually(lambda: client.connection_state is ConnectionState.RECONNECTING)
        assert waiting.items == []
        running = await start(server_config(database_url, listen=unused_address))
        try:
            await eventually(lambda: waiting.items, timeout=30)
        finally:
            await waiting.stop()
            await running.stop()


async def test_reconnect_moves_running_streams_to_a_new_connection(client: VigilClient) -> None:
    quotes = Collector(client.stream_quotes(["MNQ"]))
    try:
        await eventually(lambda: quotes.items)
        await client.reconnect()
        marker = time.time_ns()

        def fresh() -> bool:
            return any(q.ts_event_ns > marker for b in quotes.items for q in b.quotes)  # type: ignore[attr-defined]

        await eventually(fresh)
        assert client.connection_state is ConnectionState.CONNECTED
    finally:
        await quotes.stop()


async def test_closing_the_client_ends_its_streams(vigil_server: str) -> None:
    client = VigilClient(vigil_server)
    received: list[Quote] = []

    async def read() -> None:
        async for batch in client.stream_quotes():
            received.extend(batch.quotes)

    reader = asyncio.create_task(read())
    await eventually(lambda: received)
    await client.close()
    await asyncio.wait_for(reader, 10)  # ends by itself, without an error
    assert client.connection_state is ConnectionState.CLOSED
