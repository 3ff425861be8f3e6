"""The simulator continues from the last stored price after a restart instead of jumping back to its seed price."""

from __future__ import annotations

import time
from decimal import Decimal

import grpc

from core_server.app import start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import LiveClock
from core_server.model.market_data import Aggressor, Trade
from core_server.model.symbols import parse_symbol
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.stepped_source import SteppedTickSource
from vigil.v1 import market_data_pb2, market_data_pb2_grpc


async def test_a_restarted_simulator_starts_at_the_last_stored_price(database_url: str) -> None:
    now = time.time_ns()
    nq = parse_symbol("NQ", now).spec
    contract_id = parse_symbol("NQ", now).id
    last = nq.ticks_from_price("30000.00")  # far from the simulator's seed price, 25340.00
    ticks = [Trade(contract_id, now + i, now + i, last + i % 2, 1, Aggressor.BUY) for i in range(5)]
    ticks.append(Trade(contract_id, now + 10, now + 10, last, 1, Aggressor.SELL))
    source = SteppedTickSource([contract_id], [ticks])
    clock = LiveClock()
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=True)
    first = await start(server_config(database_url, symbols=("NQ",)), clock=clock, feed_plan=plan)
    try:
        await source.paused.wait()
        await eventually(lambda: first.engine.state(contract_id).last_trade is not None)  # type: ignore[union-attr]
    finally:
        await first.stop()  # the forming candles are stored

    second = await start(server_config(database_url, symbols=("NQ", "MNQ")))
    try:
        async with grpc.aio.insecure_channel(second.address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)

            async def quoted() -> tuple[Decimal, Decimal] | None:
                try:
                    nq_quote = (await stub.GetQuote(market_data_pb2.GetQuoteRequest(symbol="NQ"))).quote
                    mnq_quote = (await stub.GetQuote(market_data_pb2.GetQuoteRequest(symbol="MNQ"))).quote
                except grpc.aio.AioRpcError as error:  # no quote yet
                    assert error.code() == grpc.StatusCode.NOT_FOUND
                    return None
                return Decimal(nq_quote.bid), Decimal(mnq_quote.bid)

            found = await eventually(quoted)
            assert found is not None
            nq_bid, mnq_bid = found
            assert abs(nq_bid - Decimal("30000.00")) < 50  # a few seconds of random walk, not 4,660 points away
            assert abs(mnq_bid - Decimal("30000.00")) < 50  # the micro shares its mini's book
    finally:
        await second.stop()
