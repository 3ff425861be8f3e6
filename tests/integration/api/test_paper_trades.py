"""A hand-placed bracket becomes a tracked trade (R from its stop-loss); flattening ends it at the fill."""

from __future__ import annotations

from decimal import Decimal

from clients.sdk import NotFoundError, TradeStatus, VigilClient, bracket, market
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
