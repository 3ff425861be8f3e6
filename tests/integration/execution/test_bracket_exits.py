"""Bracket exits over the real server: distances measured from the entry's fill, reduce-only exits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import grpc
import pytest

from tests.integration.execution.desk import MS, T0, Desk, S, bad_field, open_desk, order
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


async def _submit(desk: Desk, spec: pb.OrderSpec) -> pb.SubmitOrderResponse:
    return await desk.stub.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=spec))


async def _position(desk: Desk) -> int:
    positions = (await desk.stub.ListPositions(pb.ListPositionsRequest(account_id="paper"))).positions
    return sum(p.quantity for p in positions)


async def test_a_bracket_against_an_open_short_closes_it_and_leaves_nothing_working(desk: Desk) -> None:
    await _submit(desk, order(side=SELL))
    await desk.ticks(quote(ES, T0 + S + 300 * MS, "6000.00", "6000.25"))
    await eventually(lambda: _is(desk, -1))
    placed = await desk.stub.SubmitBracket(
        pb.SubmitBracketRequest(
            account_id="paper",
            bracket=pb.BracketSpec(
                entry=order(),
                stop_loss=pb.BracketExit(price="5995.00"),
                take_profit=pb.BracketExit(points="10"),
            ),
        )
    )
    entry_id, sl_id, tp_id = (o.order_id for o in placed.orders)
    await desk.ticks(quote(ES, T0 + S + 600 * MS, "6000.00", "6000.25"))

    async def closed() -> list[pb.Order] | None:
        orders = await _orders(desk, entry_id, sl_id, tp_id)
        return orders if orders[0].status == pb.ORDER_STATUS_FILLED and orders[1].reason else None

    entry, sl, tp = await eventually(closed)
    assert (sl.status, sl.reason) == (pb.ORDER_STATUS_CANCELLED, "cancelled: position_flat")
    assert (tp.status, tp.reason) == (pb.ORDER_STATUS_CANCELLED, "cancelled: position_flat")
    assert not (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper", open_only=True))).orders
    await desk.ticks(quote(ES, T0 + S + 900 * MS, "5990.00", "5990.25"), quote(ES, T0 + 2 * S, "6012.00", "6012.25"))
    assert await _position(desk) == 0


async def _is(desk: Desk, quantity: int) -> bool:
    return await _position(desk) == quantity


async def test_reduce_only_through_the_wire_is_refused_when_flat_and_cut_to_the_position(desk: Desk) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await _submit(desk, order(side=SELL, order_type=pb.ORDER_TYPE_LIMIT, limit_price="6010.00", reduce_only=True))
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "nothing to reduce" in (error.value.details() or "")
    await _submit(desk, order(qty=2))
    await desk.ticks(quote(ES, T0 + S + 300 * MS, "6000.00", "6000.25"))
    await eventually(lambda: _is(desk, 2))
    placed = await _submit(
        desk, order(side=SELL, order_type=pb.ORDER_TYPE_LIMIT, limit_price="6010.00", qty=5, reduce_only=True)
    )
    assert (placed.order.quantity, placed.order.reduce_only) == (2, True)


@pytest.mark.parametrize(
    ("bracket", "field"),
    [
        (pb.BracketSpec(entry=order(), stop_loss=pb.BracketExit(ticks="1000000000"), take_profit_ticks=8),
         "bracket.stop_loss.ticks"),
        (pb.BracketSpec(entry=order(), stop_loss_ticks=8, stop_loss_price="5990.00", take_profit_ticks=8),
         "bracket.stop_loss"),
        (pb.BracketSpec(entry=order(), stop_loss=pb.BracketExit(r_multiple="1"), take_profit_ticks=8),
         "bracket.stop_loss.r_multiple"),
        (pb.BracketSpec(entry=order(), stop_loss_ticks=8, take_profit=pb.BracketExit(points="0.1")),
         "bracket.take_profit.points"),
        (pb.BracketSpec(entry=order(), stop_loss_ticks=8), "bracket.take_profit"),
        (pb.BracketSpec(entry=order(), stop_loss_price="4000.00", take_profit_ticks=8), "bracket.stop_loss_price"),
        (pb.BracketSpec(entry=order(), stop_loss=pb.BracketExit(price="6001.00"), take_profit_ticks=8),
         "bracket.stop_loss.price"),
        (pb.BracketSpec(entry=order(reduce_only=True), stop_loss_ticks=8, take_profit_ticks=8),
         "bracket.entry.reduce_only"),
    ],
)  # fmt: skip
async def test_bad_bracket_exits_name_the_wire_field(desk: Desk, bracket: pb.BracketSpec, field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.SubmitBracket(pb.SubmitBracketRequest(account_id="paper", bracket=bracket))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field(error.value) == field


async def test_a_batch_names_the_bad_leg_of_the_bad_bracket(desk: Desk) -> None:
    good = pb.BracketSpec(entry=order(), stop_loss_ticks=8, take_profit=pb.BracketExit(r_multiple="2"))
    bad = pb.BracketSpec(entry=order(), stop_loss_ticks=8, take_profit=pb.BracketExit(points="5000"))
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.SubmitBracketBatch(pb.SubmitBracketBatchRequest(account_id="paper", brackets=[good, bad]))
    assert bad_field(error.value) == "brackets[1].take_profit.points"
    assert not (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders
