"""Fixtures for the UDF datafeed and edge: the edge app under aiohttp's TestClient on a real Vigil server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from clients.http_edge import EdgeConfig, create_edge_app
from clients.sdk import VigilClient
from core_server.app import RunningServer, start
from core_server.model.feed_status import FeedState
from tests.kit.eventually import eventually
from tests.kit.server import server_config

Edge = TestClient  # type: ignore[type-arg]
EdgeFactory = Callable[..., AbstractAsyncContextManager[Edge]]

# A hand-written tape for NQZ2026: Friday 2026-11-20 just before the 16:00 CT close, then the Sunday 17:00 CT
# open of Monday's trade date. November is CST (UTC-6).
TAPE = """ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor
2026-11-20T21:58:00.500Z,NQZ6,quote,25341.00,25341.25,5,6,,,
2026-11-20T21:58:10Z,NQZ6,trade,,,,,25341.25,2,buy
2026-11-20T21:58:40Z,NQZ6,trade,,,,,25343.50,1,buy
2026-11-20T21:59:05Z,NQZ6,trade,,,,,25340.00,3,sell
2026-11-20T21:59:50Z,NQZ6,trade,,,,,25341.25,1,buy
2026-11-22T23:00:30Z,NQZ6,trade,,,,,25350.75,4,buy
2026-11-22T23:01:15Z,NQZ6,trade,,,,,25352.00,1,buy
2026-11-22T23:01:45Z,NQZ6,trade,,,,,25349.25,2,sell
"""


@asynccontextmanager
async def edge_on(address: str, **overrides: object) -> AsyncIterator[Edge]:
    config = EdgeConfig(target=address, **overrides)  # type: ignore[arg-type]
    client = VigilClient(address)
    try:
        async with TestClient(TestServer(create_edge_app(config, client))) as http:
            yield http
    finally:
        await client.close()


@pytest.fixture
async def replay_server(database_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server that replayed TAPE (as fast as possible) and has stopped feeding."""
    path = tmp_path / "tape.csv"
    path.write_text(TAPE)
    running = await start(
        server_config(database_url, feed="replay", replay_file=path, replay_speed=0.0, symbols=("NQZ2026",))
    )
    try:
        binding = running.engine.bindings[0]
        await eventually(lambda: binding.state is FeedState.FINISHED)
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def replay_edge(replay_server: RunningServer) -> AsyncIterator[Edge]:
    async with edge_on(replay_server.address) as http:
        yield http


@pytest.fixture
async def live_edge(vigil_server: str) -> AsyncIterator[Edge]:
    """The edge on a server streaming the seeded simulator (NQ, MNQ, ES, MES front months)."""
    async with edge_on(vigil_server) as http:
        yield http
