"""A paper round trip through the live server, checked to the cent against a hand computation.

The replay is stepped and the clock is a TestClock, so latency comes from the seeded stream in a known order and
slippage from the seeded draw of each fill (VIGIL_PAPER_SEED=1: the first latency draw is 87.716323 ms, the second
54.912119 ms; the slippage of O-1's first fill is 2 ticks, of O-2's 1 tick: BLAKE2b keyed "slippage:1" of
"O-1:0" and "O-2:0", modulo 3):

    T0+1s     BUY 1 ESZ2026 MKT          ask 6000.25 -> arrives T0+1.0877s, fills at the next quote (T0+1.1s)
                                         at 6000.25 + 2 ticks = 6000.75
    T0+3s     SELL 1 ESZ2026 MKT         bid 6005.50 -> fills at T0+3.1s at 6005.50 - 1 tick = 6005.25
    gross     (6005.25 - 6000.75) x $50 = $225.00; commissions 2 x $2.88 (ES's default) = $5.76; net $219.24
"""

from __future__ import annotations

from tests.integration.execution.desk import MS, T0, S, open_desk, order
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote
from vigil.v1 import execution_pb2 as pb


async def test_a_four_and_a_half_point_es_winner_books_225_gross_and_219_24_net(database_url: str) -> None:
    async with open_desk(database_url) as desk:
        bought = await desk.stub.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=order()))
        await desk.ticks(
            quote(ES, T0 + S + 100 * MS, "6000.00", "6000.25"), quote(ES, T0 + 2 * S, "6005.50", "6005.75")
        )
        desk.clock.set_ns(T0 + 3 * S)
        sold = await desk.stub.SubmitOrder(
            pb.SubmitOrderRequest(account_id="paper", order=order(side=pb.ORDER_SIDE_SELL))
        )
        await desk.ticks(quote(ES, T0 + 3 * S + 100 * MS, "6005.50", "6005.75"))

        async def two_fills() -> list[pb.Fill]:
            fills = (await desk.stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
            return list(fills) if len(fills) == 2 else []

        sell_fill, buy_fill = await eventually(two_fills)
        account = (await desk.stub.GetAccount(pb.GetAccountRequest(account_id="paper"))).account

    assert (buy_fill.order_id, buy_fill.price, buy_fill.ts_ns, buy_fill.commission, buy_fill.liquidity) == (
        bought.order.order_id,
        "6000.75",
        T0 + S + 100 * MS,
        "2.88",
        "taker",
    )
    assert (sell_fill.order_id, sell_fill.price, sell_fill.ts_ns) == (
        sold.order.order_id,
        "6005.25",
        T0 + 3 * S + 100 * MS,
    )
    assert (account.realized_pnl, account.commissions, account.balance, account.equity) == (
        "225.00",
        "5.76",
        "50219.24",
        "50219.24",
    )
    (position,) = account.positions
    assert (position.quantity, position.realized_pnl, position.unrealized_pnl) == (0, "225.00", "0")
