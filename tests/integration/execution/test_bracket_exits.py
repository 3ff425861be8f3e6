"""Bracket exits over the real server: distances measured from the entry's fill, reduce-only exits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.integration.execution.desk import MS, T0, Desk, S, open_desk, order
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote
from vigil.v1 import execution_pb2 as pb

BUY, SELL = pb.ORDER_SIDE_BUY, pb.ORDER_SIDE_SELL
TICK = Decimal("0.25")


@pytest.fixture
async def desk(database_url: str) -> AsyncIterator[Desk]:
    async with open_desk(database_url) as d:
        yield d


async def _orders(desk: Desk, *ids: str) -> list[pb.Order]:
    listed = {o.order_id: o for o in (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders}
    return [listed[i] for i in ids]


async def test_tick_distances_are_measured_from_the_entry_fill_not_the_quote_at_submission(desk: Desk) -> None:
    placed = await desk.stub.SubmitBracket(
        pb.SubmitBracketRequest(
            account_id="paper", bracket=pb.BracketSpec(entry=order(), stop_loss_ticks=20, take_profit_ticks=40)
        )
    )
    entry_id, sl_id, tp_id = (o.order_id for o in placed.orders)
    # The market moves 2 points before the entry arrives: the fill is at 6002.25 plus seeded slippage.
    await desk.ticks(quote(ES, T0 + S + 300 * MS, "6002.00", "6002.25"))

    async def anchored() -> list[pb.Order] | None:
        orders = await _orders(desk, entry_id, sl_id, tp_id)
        return orders if orders[1].status == pb.ORDER_STATUS_WORKING else None

    entry, sl, tp = await eventually(anchored)
    fill = Decimal(entry.average_fill_price)
    assert fill >= Decimal("6002.25")
    assert (Decimal(sl.stop_price), Decimal(tp.limit_price)) == (fill - 20 * TICK, fill + 40 * TICK)
