"""Slippage over a real server and PostgreSQL: a market order's fills are measured against the quote it met when
it was accepted (stored with the order, shown as its reference price), a stop's against its stop; imported trades
have no reference price and pay none.

Paper fills draw 0..2 ticks of adverse slippage, a hash of (seed 12, order id, quantity filled before): the
entry O-1 draws 2, the stop O-2 draws 0. NQ: 0.25 a tick, $5 a tick.
- The market bracket buys 2 NQ when the ask is 25000.00: filled at 25000.50 = 2 ticks = $10 a contract, $20.
- Its stop at 24975.00 is gapped through to a 24970.00 bid: 20 ticks x 2 contracts x $5 = $200 (draw 0).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import grpc
import pytest

from clients.sdk.analytics import AnalyticsFilter, ImportFormat
from clients.sdk.client import VigilClient
from core_server.app import RunningServer, start
from core_server.feeds.catalog import FeedPlan
from core_server.model.clock import TestClock
from core_server.model.feed_status import FeedState
from tests.integration.api.test_trade_service import EXACT, OPENED, market, nq_long, play
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, NQ, ScriptedFeed
from tests.kit.server import server_config
from vigil.v1 import analytics_pb2 as pb
from vigil.v1 import analytics_pb2_grpc as pb_grpc
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import execution_pb2_grpc as xpb_grpc


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    clock = TestClock(OPENED)
    plan = FeedPlan(ScriptedFeed([NQ, ES], clock=clock), realtime=False, quote_only=False, store_ticks=False)
    paper = replace(EXACT, commission=Decimal("2.50"), slippage_ticks=2, seed=12)
    config = server_config(database_url, symbols=("NQZ2026", "ESZ2026"), paper=paper, break_even=True)
    running = await start(config, clock=clock, feed_plan=plan)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)
    binding.on_ticks([market(NQ, "25000.00", OPENED), market(ES, "6000.00", OPENED)])
    try:
        yield running
    finally:
        await running.stop()


async def stopped_out(server: RunningServer, channel: grpc.aio.Channel) -> None:
    await nq_long(xpb_grpc.ExecutionServiceStub(channel))
    play(server, "24970.00")
    await eventually(lambda: server.kernel.trades.open_trips() == [])


async def slippage(channel: grpc.aio.Channel, **filter_: object) -> str:
    stub = pb_grpc.AnalyticsServiceStub(channel)
    request = pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(**filter_))  # type: ignore[arg-type]
    return (await stub.GetStatistics(request)).overall.slippage


async def test_market_slippage_is_the_fill_against_the_quote_at_acceptance(
    server: RunningServer, channel: grpc.aio.Channel
) -> None:
    await stopped_out(server, channel)
    listed = await xpb_grpc.ExecutionServiceStub(channel).ListOrders(xpb.ListOrdersRequest(account_id="paper"))
    entry = next(o for o in listed.orders if o.type == xpb.ORDER_TYPE_MARKET)
    stop = next(o for o in listed.orders if o.type == xpb.ORDER_TYPE_STOP)
    limit = next(o for o in listed.orders if o.type == xpb.ORDER_TYPE_LIMIT)
    assert (entry.reference_price, entry.average_fill_price) == ("25000.00", "25000.500000")
    assert (stop.reference_price, limit.reference_price) == ("24975.00", "")  # a stop's is its stop; a limit none
    assert await slippage(channel) == "220.00"  # $20 on the market entry + $200 on the stop


async def test_the_sdk_shows_the_reference_price(server: RunningServer, channel: grpc.aio.Channel) -> None:
    await stopped_out(server, channel)
    async with VigilClient(server.address) as client:
        orders = await client.list_orders("paper")
    assert sorted(str(o.reference_price) for o in orders) == ["24975.00", "25000.00", "None"]


async def test_an_imported_trade_of_the_same_hour_pays_no_slippage(
    server: RunningServer, channel: grpc.aio.Channel
) -> None:
    await stopped_out(server, channel)
    # A broker's record of the same hour and contract: an imported trade has no orders, so no reference price; its
    # slippage is unknown and counts 0 (the paper fills of that hour are not its own), and the paper figure stays.
    text = (
        "symbol,_priceFormat,_priceFormatType,_tickSize,buyFillId,sellFillId,qty,buyPrice,sellPrice,pnl,"
        "boughtTimestamp,soldTimestamp,duration\n"
        "NQZ6,-2,0,0.25,1,2,1,25000.00,25010.00,$200.00,11/19/2026 14:59:00,11/19/2026 15:30:00,31min\n"
    )
    async with VigilClient(server.address) as client:
        summary = await client.import_trades(text, ImportFormat.TRADOVATE_PERFORMANCE, "apex", "UTC")
        assert summary.imported == 1
        assert (await client.get_statistics(AnalyticsFilter(sources=("imported",)))).overall.trades == 1
    assert await slippage(channel, sources=["imported"]) == "0.00"
    assert await slippage(channel) == "220.00"
