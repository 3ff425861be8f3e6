"""Per-key rate limits on the RPCs that place orders (issue 14 §1): past its burst a key gets RESOURCE_EXHAUSTED
with the exact wait (message, RetryInfo detail, retry-after-ms trailer), nothing changes, other keys and cancels
go through. Real server, real PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from clients.sdk import ResourceExhaustedError, VigilClient, limit
from core_server.access.keys import Role
from core_server.app import start
from tests.integration.api.test_access_roles import ADMIN, bearer, create_key, resting_buy_price
from tests.kit.server import server_config
from vigil.v1 import execution_pb2, execution_pb2_grpc

INTERVAL_MS = 1_000_000  # 0.001 orders a second: one token every 1000 s


async def test_a_key_over_its_order_rate_waits_and_nothing_changes(database_url: str) -> None:
    running = await start(server_config(database_url, api_keys=(ADMIN,), order_rate=Decimal("0.001"), order_burst=2))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            bot = await create_key(channel, "bot", Role.TRADER)
            execution = execution_pb2_grpc.ExecutionServiceStub(channel)
            order = execution_pb2.OrderSpec(
                symbol="NQ", side=execution_pb2.ORDER_SIDE_BUY, type=execution_pb2.ORDER_TYPE_LIMIT, quantity=1,
                limit_price=await resting_buy_price(channel), time_in_force=execution_pb2.TIME_IN_FORCE_GTC,
            )  # fmt: skip
            request = execution_pb2.SubmitOrderRequest(account_id="paper", order=order)
            placed = [await execution.SubmitOrder(request, metadata=bearer(bot)) for _ in range(2)]
            with pytest.raises(grpc.aio.AioRpcError) as limited:
                await execution.SubmitOrder(request, metadata=bearer(bot))
            error = limited.value
            assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "key:bot is over its order rate (0.001/s, burst 2)" in (error.details() or "")
            trailers = dict(error.trailing_metadata() or ())
            wait_ms = int(trailers["retry-after-ms"])
            assert INTERVAL_MS - 60_000 < wait_ms <= INTERVAL_MS  # about one interval, whatever the test's pace
            assert f"retry in {wait_ms} ms" in (error.details() or "")
            status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
            retry = error_details_pb2.RetryInfo()
            assert status.details[0].Unpack(retry)
            assert retry.retry_delay.ToMilliseconds() in (wait_ms, wait_ms - 1)
            # Nothing was placed by the refused call; another key and cancels are not held back.
            listed = await execution.ListOrders(
                execution_pb2.ListOrdersRequest(account_id="paper"), metadata=bearer(bot)
            )
            assert len(listed.orders) == 2
            await execution.SubmitOrder(request, metadata=bearer(ADMIN))
            for p in placed:
                await execution.CancelOrder(
                    execution_pb2.CancelOrderRequest(order_id=p.order.order_id), metadata=bearer(bot)
                )
        async with VigilClient(running.address, api_key=(await _secret(running.address))) as sdk:
            spec = limit("NQ", "buy", 1, order.limit_price)
            await sdk.submit_order("paper", spec)
            await sdk.submit_order("paper", spec)
            with pytest.raises(ResourceExhaustedError, match="retry in"):
                await sdk.submit_order("paper", spec)
    finally:
        await running.stop()


async def _secret(address: str) -> str:
    async with grpc.aio.insecure_channel(address) as channel:
        return await create_key(channel, "sdk", Role.TRADER)
