"""VigilClient TradeService calls against the real server: a tracked trade listed, read and streamed exactly."""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal

import pytest

from clients.sdk import (
    InvalidArgumentError,
    NotFoundError,
    TradeDirection,
    TradeStatus,
    TradeUpdate,
    VigilClient,
    VigilSyncClient,
)
from core_server.app import RunningServer
from core_server.excursions.model import Direction, TradeSpec
from core_server.excursions.tracked import TradeSource
from tests.integration.sdk.probes import nq_bid, served
from tests.kit.eventually import eventually

TICK = Decimal("0.25")  # NQ


class TradeReader:
    """Collects stream_trade_updates in the background until stopped."""

    def __init__(self, client: VigilClient) -> None:
        self.items: list[TradeUpdate] = []
        self._task = asyncio.create_task(self._read(client))

    async def _read(self, client: VigilClient) -> None:
        async for update in client.stream_trade_updates(send_open=True):
            self.items.append(update)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_list_trades_refuses_contradictory_filters_and_get_trade_an_unknown_id(client: VigilClient) -> None:
    await served(client.list_trades(), "TradeService")
    assert await client.list_trades(closed_only=True, symbol="NQ") == []
    with pytest.raises(InvalidArgumentError) as caught:
        await client.list_trades(open_only=True, closed_only=True)
    assert caught.value.field == "closed_only"
    with pytest.raises(NotFoundError):
        await client.get_trade("no-such-trade")


async def test_a_tracked_trade_is_streamed_read_and_closed_with_exact_r(
    client: VigilClient, running_server: RunningServer
) -> None:
    await served(client.list_trades(), "TradeService")
    tracking = running_server.trades
    assert tracking is not None
    bid = await nq_bid(client)
    contract_id = (await client.get_quote("NQ")).quote.contract_id
    entry = int(bid / TICK)
    reader = TradeReader(client)
    try:
        # Far from the market: the excursion moves, but neither stop nor target is hit during the test.
        spec = TradeSpec("sdk-t-1", contract_id, Direction.LONG, 2, entry, entry - 4000, time.time_ns())
        tracking.open_trade(spec, TradeSource.MANUAL)

        def streamed() -> bool:
            return any(u.trade.trade_id == "sdk-t-1" for u in reader.items)

        await eventually(streamed)
        trade = await client.get_trade("sdk-t-1")
        assert (trade.direction, trade.status, trade.quantity) == (TradeDirection.LONG, TradeStatus.OPEN, 2)
        assert (trade.entry_price, trade.initial_stop) == (bid, bid - 1000)
        assert trade.result_r is None and trade.exit_price is None and trade.is_open
        assert trade.mfe_r >= 0 >= trade.mae_r
        assert "sdk-t-1" in {t.trade_id for t in await client.list_trades(open_only=True, symbol="NQ")}

        tracking.close_trade("sdk-t-1", entry + 2000, time.time_ns())

        async def closed() -> bool:
            return (await client.get_trade("sdk-t-1")).status is TradeStatus.CLOSED

        await eventually(closed)
        done = await client.get_trade("sdk-t-1")
        assert (done.exit_price, done.result_r) == (bid + 500, Decimal("0.5"))
        assert done.closed_ns > 0 and done.events and done.events[-1].kind == "closed"
        assert "sdk-t-1" in {t.trade_id for t in await client.list_trades(closed_only=True)}
    finally:
        await reader.stop()

    def use_sync_client() -> None:
        with VigilSyncClient(running_server.address) as sync:
            assert sync.get_trade("sdk-t-1").result_r == Decimal("0.5")
            assert [t.trade_id for t in sync.list_trades(closed_only=True)] == ["sdk-t-1"]

    await asyncio.to_thread(use_sync_client)
