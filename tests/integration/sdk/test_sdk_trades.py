"""VigilClient TradeService calls against the real server: a tracked trade listed, read and streamed exactly."""

from __future__ import annotations

import asyncio
import contextlib
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
from clients.sdk.order_specs import bracket, market
from clients.sdk.trades import TrackedTrade
from tests.integration.execution.desk import T0, S
from tests.integration.risk.risk_desk import open_risk_desk
from tests.integration.sdk.probes import served
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote
from tests.kit.feeds import trade as trade_print


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


async def test_a_bracket_trade_is_streamed_read_and_closed_with_exact_r_and_dollars(database_url: str) -> None:
    """ES, zero latency, no slippage, $2.50 a side: BUY 2 at the ask 6000.25 with a stop 40 ticks (10 points)
    and a target 20 ticks (5 points) from the fill. A print through 6005.25 takes the target: +0.5 R,
    gross 2 x 5 x $50 = $500, commissions 4 x $2.50 = $10, net $490."""
    async with open_risk_desk(database_url) as rd, VigilClient(rd.desk.running.address) as client:
        reader = TradeReader(client)
        try:
            entry = bracket(market(ES.id, "buy", 2), stop_loss_ticks=40, take_profit_ticks=20)
            await client.submit_bracket("paper", entry)
            await rd.filled_to(2)

            async def opened() -> list[TrackedTrade]:
                return await client.list_trades(open_only=True, account_id="paper")

            (trade,) = await eventually(opened)
            assert (trade.direction, trade.status, trade.quantity) == (TradeDirection.LONG, TradeStatus.OPEN, 2)
            assert (trade.entry_price, trade.initial_stop, trade.target_price) == (
                Decimal("6000.25"),
                Decimal("5990.25"),
                Decimal("6005.25"),
            )
            assert trade.result_r is None and trade.exit_price is None and trade.is_open
            assert (trade.source, trade.open_quantity, trade.commissions) == ("manual", 2, Decimal("5.00"))
            trade_id = trade.trade_id

            await rd.desk.ticks(quote(ES, T0 + 2 * S, "6005.25", "6005.50"), trade_print(ES, T0 + 2 * S, "6005.50"))
            await rd.filled_to(0)

            async def closed() -> TrackedTrade | None:
                done = await client.get_trade(trade_id)
                return done if not done.is_open else None

            done = await eventually(closed)
            assert (done.status, done.exit_price, done.result_r) == (
                TradeStatus.TARGET_HIT,
                Decimal("6005.25"),
                Decimal("0.5"),
            )
            assert (done.gross_pnl, done.commissions, done.net_pnl) == (
                Decimal("500.00"),
                Decimal("10.00"),
                Decimal("490.00"),
            )
            assert done.closed_ns > 0 and done.events
            assert trade_id in {t.trade_id for t in await client.list_trades(closed_only=True, account_id="paper")}

            def streamed() -> bool:
                return any(u.trade.trade_id == trade_id and not u.trade.is_open for u in reader.items)

            await eventually(streamed)
        finally:
            await reader.stop()

        def use_sync_client() -> None:
            with VigilSyncClient(rd.desk.running.address) as sync:
                assert sync.get_trade(trade_id).result_r == Decimal("0.5")
                assert [t.trade_id for t in sync.list_trades(closed_only=True, account_id="paper")] == [trade_id]

        await asyncio.to_thread(use_sync_client)
