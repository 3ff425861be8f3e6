"""Shared rig of the execution tests: a real server on a stepped replay of ES quotes and a TestClock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from core_server.app import RunningServer, start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import NS_PER_MS, NS_PER_SECOND, TestClock
from core_server.model.market_data import Tick
from tests.kit.feeds import ES, quote
from tests.kit.server import server_config
from tests.kit.stepped_source import SteppedTickSource
from tests.kit.time import utc
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import execution_pb2_grpc as pb_grpc

T0 = utc(2026, 11, 18, 15, 0)  # Wednesday 09:00 CT, regular session
MS, S = NS_PER_MS, NS_PER_SECOND


@dataclass
class Desk:
    running: RunningServer
    stub: pb_grpc.ExecutionServiceStub
    clock: TestClock
    source: SteppedTickSource

    async def ticks(self, *ticks: Tick) -> None:
        await self.source.step(ticks)


@asynccontextmanager
async def open_desk(
    database_url: str, first: list[Tick] | None = None, clock: TestClock | None = None, **config: Any
) -> AsyncIterator[Desk]:
    clock = clock or TestClock(T0)
    source = SteppedTickSource([ES.id], [first if first is not None else [quote(ES, T0, "6000.00", "6000.25")]])
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=(ES.id,), **config), clock=clock, feed_plan=plan)
    try:
        await source.paused.wait()
        if clock.now_ns() < T0 + S:  # a clock given later than the first quote stays where it is
            clock.set_ns(T0 + S)
        async with grpc.aio.insecure_channel(running.address) as channel:
            yield Desk(running, pb_grpc.ExecutionServiceStub(channel), clock, source)
    finally:
        await running.stop()


def bad_field(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    detail = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(detail)
    return detail.field_violations[0].field


def order(
    side: int = pb.ORDER_SIDE_BUY, order_type: int = pb.ORDER_TYPE_MARKET, qty: int = 1, **fields: Any
) -> pb.OrderSpec:
    return pb.OrderSpec(symbol=ES.id, side=side, type=order_type, quantity=qty, **fields)
