"""Over gRPC, after a restart (which archives the finished orders it restored out of the engine's memory, as the
trading-day roll does): ListOrders still lists the finished order from the store, and CancelOrder / ModifyOrder
on it answer FAILED_PRECONDITION as for any finished order."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest

from core_server.app import start
from core_server.execution.model import OrderId
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import execution_pb2_grpc as pb_grpc
from vigil.v1 import market_data_pb2, market_data_pb2_grpc


async def _resting_limit(channel: grpc.aio.Channel) -> str:
    market = market_data_pb2_grpc.MarketDataServiceStub(channel)

    async def bid() -> Decimal | None:
        try:
            return Decimal((await market.GetQuote(market_data_pb2.GetQuoteRequest(symbol="ES"))).quote.bid)
        except grpc.aio.AioRpcError:  # no quote yet
            return None

    found = await eventually(bid)
    assert found is not None
    return str((found * Decimal("0.95") * 4).to_integral_value() / 4)  # rests: 5% under the bid, in the band


async def test_a_finished_order_archived_at_restart_is_listed_and_refused_as_finished(database_url: str) -> None:
    first = await start(server_config(database_url, symbols=("ES",)))
    try:
        async with grpc.aio.insecure_channel(first.address) as channel:
            stub = pb_grpc.ExecutionServiceStub(channel)
            price = await _resting_limit(channel)
            spec = pb.OrderSpec(symbol="ES", side=pb.ORDER_SIDE_BUY, type=pb.ORDER_TYPE_LIMIT, quantity=1,
                                limit_price=price, time_in_force=pb.TIME_IN_FORCE_GTC)  # fmt: skip
            placed = (await stub.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=spec))).order
            await stub.CancelOrder(pb.CancelOrderRequest(order_id=placed.order_id))
    finally:
        await first.stop()

    second = await start(server_config(database_url, symbols=("ES",)))
    try:
        await eventually(lambda: not second.kernel.execution.holds(OrderId(placed.order_id)) or None)
        async with grpc.aio.insecure_channel(second.address) as channel:
            stub = pb_grpc.ExecutionServiceStub(channel)
            listed = (await stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders
            assert [o.order_id for o in listed] == [placed.order_id]
            assert listed[0].status == pb.ORDER_STATUS_CANCELLED and listed[0].limit_price == placed.limit_price
            assert not (await stub.ListOrders(pb.ListOrdersRequest(account_id="paper", open_only=True))).orders
            for call in (
                stub.CancelOrder(pb.CancelOrderRequest(order_id=placed.order_id)),
                stub.ModifyOrder(pb.ModifyOrderRequest(order_id=placed.order_id, quantity=2)),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await call
                assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
                assert "cancelled" in (refused.value.details() or "")
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await stub.CancelOrder(pb.CancelOrderRequest(order_id="O-424242"))
            assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await second.stop()
