"""The database going away under a running server: live data continues, history is UNAVAILABLE,
and every tick buffered during the outage is written once the database is back."""

from pathlib import Path

import asyncpg
import grpc
import pytest

from core_server.app import start
from core_server.storage.embedded import EmbeddedPostgres
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from vigil.v1 import common_pb2, market_data_pb2, market_data_pb2_grpc


async def test_an_outage_keeps_live_data_flowing_and_loses_no_ticks(embedded_data_dir: Path) -> None:
    database = EmbeddedPostgres(embedded_data_dir)
    dsn = await database.start()
    running = await start(server_config(dsn))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)

            async def status() -> market_data_pb2.GetFeedStatusResponse:
                return await stub.GetFeedStatus(market_data_pb2.GetFeedStatusRequest())

            await eventually(lambda: _written(status))
            await database.stop()

            down = await eventually(lambda: _store_down(status))
            assert down.store.buffered_ticks > 0
            quote = await stub.GetQuote(market_data_pb2.GetQuoteRequest(symbol="NQ"))
            assert quote.quote.ts_init_ns > 0
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ListCandles(
                    market_data_pb2.ListCandlesRequest(symbol="NQ", timeframe=common_pb2.TIMEFRAME_1M)
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            buffered_then = (await status()).store.buffered_ticks
            await eventually(lambda: _buffer_grew(status, buffered_then))

            await database.start()
            recovered = await eventually(lambda: _recovered(status), timeout=30)
            assert recovered.store.dropped_ticks == 0
            history = await stub.ListCandles(
                market_data_pb2.ListCandlesRequest(symbol="NQ", timeframe=common_pb2.TIMEFRAME_1M)
            )
            assert history is not None
        feed = running.engine.bindings[0].feed
        await running.stop()
        delivered = feed.status().total_ticks
        held = sum(state.market.anomaly_filter.held for state in running.engine.states())  # awaiting confirmation
        connection = await asyncpg.connect(dsn)
        try:
            stored = await connection.fetchval("SELECT count(*) FROM ticks")
        finally:
            await connection.close()
        assert stored == delivered - held
    finally:
        await running.stop()
        await database.stop()


async def _written(status) -> bool:
    response = await status()
    return response.store.written_ticks > 0


async def _store_down(status):
    response = await status()
    return response if not response.store.available else None


async def _buffer_grew(status, before: int) -> bool:
    return (await status()).store.buffered_ticks > before


async def _recovered(status):
    response = await status()
    return response if response.store.available and response.store.buffered_ticks == 0 else None
