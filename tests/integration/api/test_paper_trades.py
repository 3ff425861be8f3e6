"""A hand-placed bracket becomes a tracked trade (R from its stop-loss); flattening ends it at the fill."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.sdk import NotFoundError, TradeStatus, VigilClient, bracket, market
from core_server.app import RunningServer
from tests.kit.eventually import eventually


async def test_a_hand_placed_bracket_is_tracked_in_r_and_ends_when_the_account_is_flattened(vigil_server: str) -> None:
    async with VigilClient(vigil_server) as client:
        account = (await client.create_account("by-hand", Decimal("50000"))).account_id

        async def quoted() -> bool:
            try:
                return (await client.get_quote("NQ")).quote is not None
            except NotFoundError:
                return False

        await eventually(quoted)
        placed = await client.submit_bracket(
            account, bracket(market("NQ", "buy", 1), stop_loss_ticks=40, take_profit_ticks=80)
        )
        entry_order, stop_loss, take_profit = placed.orders

        async def tracked():
            trades = [t for t in await client.list_trades(open_only=True) if t.account_id == account]
            return trades[0] if trades else None

        trade = await eventually(tracked)
        fills = await eventually(lambda: client.list_fills(account))
        assert trade.entry_price == fills[0].price  # the actual fill, not a reference price
        # the bracket's own exits: 40 and 80 ticks (10 and 20 points) from the entry's actual fill
        assert (stop_loss.stop_price, take_profit.limit_price) == (None, None)  # set when the entry fills
        assert (trade.initial_stop, trade.target_price) == (fills[0].price - 10, fills[0].price + 20)
        assert trade.entry_price - trade.initial_stop > 0
        assert trade.signal_id in ("", None)

        await client.flatten_account(account)

        async def ended():
            done = await client.get_trade(trade.trade_id)
            return done if done.status is not TradeStatus.OPEN else None

        done = await eventually(ended)
        closing = [f for f in await client.list_fills(account) if f.order_id != fills[0].order_id]
        assert done.status in (TradeStatus.CLOSED, TradeStatus.STOPPED_OUT, TradeStatus.TARGET_HIT)
        if done.status is TradeStatus.CLOSED:
            assert done.exit_price == closing[-1].price


async def test_a_fill_is_listed_as_soon_as_its_order_shows_filled(
    running_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read your own writes: ListFills stores what is queued before it reads, so a fill is never missing from it
    while its order already shows FILLED (seen as a rare flake when the writer had not run yet)."""
    monkeypatch.setattr(running_server.shell.writer, "_interval_s", 3600.0)  # the writer's own rhythm: never
    async with VigilClient(running_server.address) as client:
        account = (await client.create_account("read-own-writes", Decimal("50000"))).account_id

        async def quoted() -> bool:
            try:
                return (await client.get_quote("NQ")).quote is not None
            except NotFoundError:
                return False

        await eventually(quoted)
        order_id = (await client.submit_order(account, market("NQ", "buy", 1))).order.order_id

        async def filled() -> bool:
            (order,) = [o for o in await client.list_orders(account) if o.order_id == order_id]
            return order.status.value == "filled"

        await eventually(filled)
        assert [f.order_id for f in await client.list_fills(account)] == [order_id]
