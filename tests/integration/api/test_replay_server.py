"""The replay feed through the whole server: a hand-written CSV gives exact candles; a replay of stored
ticks delivers them again without storing them twice."""

from pathlib import Path

import asyncpg
import grpc

from core_server.app import start
from core_server.model.feed_status import FeedState
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import utc
from vigil.v1 import common_pb2, market_data_pb2, market_data_pb2_grpc

CSV = """ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor
2026-11-19T15:30:00.100Z,NQZ6,quote,25340.00,25340.25,5,6,,,
2026-11-19T15:30:05Z,NQZ6,trade,,,,,25340.25,2,buy
2026-11-19T15:30:20Z,NQZ6,trade,,,,,25345.50,1,buy
2026-11-19T15:30:40Z,NQZ6,trade,,,,,25338.25,4,sell
2026-11-19T15:30:59.999999999Z,NQZ6,trade,,,,,25341.00,1,buy
2026-11-19T15:31:00Z,NQZ6,trade,,,,,25342.00,3,buy
"""
MINUTE_NS = utc(2026, 11, 19, 15, 30)


async def test_a_csv_replay_builds_exact_candles(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ticks.csv"
    path.write_text(CSV)
    running = await start(
        server_config(database_url, feed="replay", replay_file=path, replay_speed=0.0, symbols=("NQZ2026",))
    )
    try:
        binding = running.engine.bindings[0]
        await eventually(lambda: binding.state is FeedState.FINISHED)
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)
            request = market_data_pb2.ListCandlesRequest(
                symbol="NQZ2026",
                timeframe=common_pb2.TIMEFRAME_1M,
                start_ns=MINUTE_NS,
                end_ns=MINUTE_NS + 120 * 10**9,
                include_forming=True,
            )

            async def both_candles():
                response = await stub.ListCandles(request)
                return response if len(response.candles) == 2 else None  # the closed one is stored within ~1 s

            response = await eventually(both_candles)
    finally:
        await running.stop()
    first, second = response.candles
    assert (first.open, first.high, first.low, first.close, first.volume, first.closed) == (
        "25340.25",
        "25345.50",
        "25338.25",
        "25341.00",
        8,
        True,
    )
    assert first.start_ns == MINUTE_NS and first.end_ns == MINUTE_NS + 60 * 10**9
    assert (second.open, second.close, second.volume, second.closed) == ("25342.00", "25342.00", 3, False)
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM ticks") == 0  # a replay stores no ticks again
    finally:
        await connection.close()


async def test_a_replay_of_stored_ticks_delivers_them_without_storing_them_twice(database_url: str) -> None:
    live = await start(server_config(database_url))
    await eventually(lambda: live.tick_writer.status().written_ticks > 500)
    await live.stop()
    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetchval("SELECT count(*) FROM ticks")
        first, last = await connection.fetchrow("SELECT min(ts_event_ns), max(ts_event_ns) FROM ticks")
    finally:
        await connection.close()

    replay = await start(
        server_config(database_url, feed="replay", replay_from=str(first), replay_to=str(last + 1), replay_speed=0.0)
    )
    try:
        binding = replay.engine.bindings[0]
        await eventually(lambda: binding.state is FeedState.FINISHED)
        assert replay.feed_plan.feed.status().total_ticks == stored
    finally:
        await replay.stop()
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM ticks") == stored
    finally:
        await connection.close()
