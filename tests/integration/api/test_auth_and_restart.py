"""API keys accepted and refused; history surviving a server restart; a clear exit without a database."""

import os
import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from core_server.app import start
from core_server.config import ConfigError
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from vigil.v1 import common_pb2, market_data_pb2, market_data_pb2_grpc


async def test_api_keys_are_required_when_configured_and_health_stays_open(database_url: str) -> None:
    running = await start(server_config(database_url, api_keys=("k-one", "k-two")))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ListInstruments(market_data_pb2.ListInstrumentsRequest())
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ListInstruments(
                    market_data_pb2.ListInstrumentsRequest(), metadata=(("authorization", "Bearer nope"),)
                )
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            call = stub.StreamQuotes(market_data_pb2.StreamQuotesRequest())
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                async for _ in call:
                    pass
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            ok = await stub.ListInstruments(
                market_data_pb2.ListInstrumentsRequest(), metadata=(("authorization", "Bearer k-two"),)
            )
            assert len(ok.instruments) == 8
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
            assert health.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await running.stop()


async def test_candles_and_ticks_survive_a_server_restart(database_url: str) -> None:
    first = await start(server_config(database_url))
    try:
        async with grpc.aio.insecure_channel(first.address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)

            async def forming():
                response = await stub.ListCandles(
                    market_data_pb2.ListCandlesRequest(
                        symbol="NQ", timeframe=common_pb2.TIMEFRAME_1M, include_forming=True
                    )
                )
                return response.candles[-1] if response.candles and response.candles[-1].tick_count > 5 else None

            before = await eventually(forming)
    finally:
        await first.stop()

    second = await start(server_config(database_url))
    try:
        async with grpc.aio.insecure_channel(second.address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)
            stored = await stub.ListCandles(
                market_data_pb2.ListCandlesRequest(
                    symbol="NQZ2026",
                    timeframe=common_pb2.TIMEFRAME_1M,
                    start_ns=before.start_ns,
                    end_ns=before.end_ns + 1,
                )
            )
            [candle] = [c for c in stored.candles if c.start_ns == before.start_ns]
            assert candle.tick_count >= before.tick_count
            assert candle.open == before.open
            assert not candle.complete  # the restart missed ticks
        assert await second.tick_writer._repository.count() > 0  # type: ignore[attr-defined]
    finally:
        await second.stop()


def test_the_server_exits_with_a_clear_message_when_the_database_is_unreachable() -> None:
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://vigil@127.0.0.1:1/vigil",
        "VIGIL_LISTEN": "127.0.0.1:0",
        "VIGIL_LOG_FORMAT": "json",
    }
    result = subprocess.run([sys.executable, "-m", "core_server"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot reach PostgreSQL" in result.stderr


async def test_a_non_loopback_listener_without_any_key_is_refused_at_start(database_url: str) -> None:
    with pytest.raises(ConfigError, match="VIGIL_API_KEYS"):
        await start(server_config(database_url, listen="0.0.0.0:0", insecure=True))
