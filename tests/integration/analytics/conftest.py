"""Fixtures: a real server (scripted NQ ticks, TestClock) with two closed trades from real paper fills."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import grpc
import pytest

from core_server.app import RunningServer, start
from core_server.feeds.catalog import FeedPlan
from core_server.model.clock import TestClock
from core_server.model.feed_status import FeedState
from tests.integration.api.test_trade_service import EXACT, OPENED, S, market, nq_long, play
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, NQ, ScriptedFeed
from tests.kit.server import server_config
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import trades_pb2 as tpb
from vigil.v1 import trades_pb2_grpc as tpb_grpc


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    """The trade-service server (scripted NQ and ES, TestClock, exact fills) with a flat $2.50 a side, the fee the
    hand-computed figures of these tests use (VIGIL_COMMISSION)."""
    clock = TestClock(OPENED)
    plan = FeedPlan(ScriptedFeed([NQ, ES], clock=clock), realtime=False, quote_only=False, store_ticks=False)
    paper = replace(EXACT, commission=Decimal("2.50"))
    config = server_config(database_url, symbols=("NQZ2026", "ESZ2026"), paper=paper, break_even=True)
    running = await start(config, clock=clock, feed_plan=plan)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)
    binding.on_ticks([market(NQ, "25000.00", OPENED), market(ES, "6000.00", OPENED)])
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(server.address) as opened:
        yield opened


@pytest.fixture
async def two_trades(server: RunningServer, channel: grpc.aio.Channel) -> list[tpb.TrackedTrade]:
    orders = xpb_grpc.ExecutionServiceStub(channel)
    trades = tpb_grpc.TradeServiceStub(channel)
    await nq_long(orders)
    play(server, "24985.00", "25025.00", "25000.00")
    server.engine.bindings[0].on_ticks([market(NQ, "25000.00", OPENED + 10 * S)])
    await nq_long(orders)
    play(server, "24990.00", "24975.00", at=11)

    async def closed() -> list[tpb.TrackedTrade]:
        return list((await trades.ListTrades(tpb.ListTradesRequest(closed_only=True))).trades)

    await eventually(lambda: len(server.kernel.trades.open_trips()) == 0)
    listed = await closed()
    assert len(listed) == 2
    return sorted(listed, key=lambda t: t.closed_ns)
