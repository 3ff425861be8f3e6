"""A resuming SDK stream whose server comes back with a different store (restored from a backup, or a fresh
database): its log no longer reaches the last seq the client saw, and the server refuses that since_seq
(INVALID_ARGUMENT). The stream must not die of it: it starts again from the new log's present and goes on
delivering, as it did before resumable streams. Orders (the shared resume helper), risk and signals (their own)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from clients.sdk import VigilClient, limit
from core_server.app import RunningServer, start
from tests.kit.eventually import eventually
from tests.kit.server import server_config


async def _collect(stream: AsyncGenerator[Any, None], into: list[Any]) -> None:
    async for item in stream:
        into.append(item)


async def test_an_order_stream_goes_on_after_the_server_returns_with_a_fresh_store(
    running_server: RunningServer, second_database_url: str
) -> None:
    address = running_server.address
    async with VigilClient(address) as client:
        events: list[Any] = []
        reader = asyncio.create_task(_collect(client.stream_order_events("paper"), events))
        try:

            async def placed() -> str:
                quote = None
                while quote is None:
                    try:
                        quote = (await client.get_quote("NQ")).quote
                    except Exception:  # no quote yet
                        await asyncio.sleep(0.05)
                order = limit("NQ", "buy", 1, quote.bid - 100)
                return (await client.submit_order("paper", order)).order.order_id

            # A stream without since_seq starts when the server subscribes it: only then may the order come.
            await eventually(lambda: running_server.bus.subscribed("orders.paper"))
            first = await placed()
            await eventually(lambda: any(e.order and e.order.order_id == first for e in events), timeout=30)
            assert max(e.seq for e in events) > 1  # the client has seen seqs the fresh store does not reach

            await running_server.stop()
            second = await start(server_config(second_database_url, listen=address))
            try:
                seen = len(events)
                # The stream resumes (refused: the new log is short) and starts again from the new present.
                await eventually(lambda: second.bus.subscribed("orders.paper"), timeout=30)
                await placed()

                def delivered() -> bool:
                    if reader.done():
                        raise AssertionError(f"the stream ended: {reader.exception()!r}")
                    return len(events) > seen

                await eventually(delivered, timeout=30)
            finally:
                await second.stop()
        finally:
            reader.cancel()
