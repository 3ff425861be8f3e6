"""Client side of the order-submit benchmark, in its own process (and core): prints latencies as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from decimal import Decimal

import grpc
import uvloop

from bench.machine import pin_to_core
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import execution_pb2_grpc as pb_grpc
from vigil.v1 import market_data_pb2 as md
from vigil.v1 import market_data_pb2_grpc as md_grpc

WARM_UP = 200


async def _resting_price(channel: grpc.aio.Channel) -> str:
    """A buy limit that rests: 5% under the bid, inside the server's 10% price band, on ES's 0.25 grid."""
    market = md_grpc.MarketDataServiceStub(channel)
    while True:
        try:
            bid = Decimal((await market.GetQuote(md.GetQuoteRequest(symbol="ES"))).quote.bid)
            break
        except grpc.aio.AioRpcError:  # no quote yet
            await asyncio.sleep(0.1)
    return str((bid * Decimal("0.95") * 4).to_integral_value() / 4)


async def _submits(address: str, count: int) -> list[float]:
    latencies: list[float] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.ExecutionServiceStub(channel)
        price = await _resting_price(channel)
        request = pb.SubmitOrderRequest(
            account_id="paper",
            order=pb.OrderSpec(symbol="ES", side=pb.ORDER_SIDE_BUY, type=pb.ORDER_TYPE_LIMIT, quantity=1,
                               limit_price=price, time_in_force=pb.TIME_IN_FORCE_GTC),
        )  # fmt: skip
        for i in range(count + WARM_UP):
            started = time.perf_counter()
            response = await stub.SubmitOrder(request)
            if i >= WARM_UP:
                latencies.append(time.perf_counter() - started)
            # A trader has a handful of working orders, not thousands: cancel it (not timed) so the book,
            # the rollback point and the risk exposure check stay the size they are in real use.
            await stub.CancelOrder(pb.CancelOrderRequest(order_id=response.order.order_id))
    return latencies


if __name__ == "__main__":
    pin_to_core(1)
    print(json.dumps(uvloop.run(_submits(sys.argv[1], int(sys.argv[2])))))
