"""Fixtures for bridge tests: the bridge app under aiohttp's TestClient, wired to a fake SignalService."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer

from clients.sdk import VigilClient
from clients.webhook_bridge import BridgeConfig, create_app
from clients.webhook_bridge.access import SecretBook
from tests.kit.signal_service_fake import NOW_NS, FakeSignalServer, start_fake_signal_server

ORB_SECRET = "orb-s3cret-value"
SHARED_SECRET = "shared-s3cret-value"
CONFIG = BridgeConfig(secrets=SecretBook({"orb": ORB_SECRET}, default=SHARED_SECRET), forward_timeout_s=2.0)

Bridge = TestClient  # type: ignore[type-arg]
BridgeFactory = Callable[..., AbstractAsyncContextManager[Bridge]]


@pytest.fixture
async def core() -> AsyncIterator[FakeSignalServer]:
    server = await start_fake_signal_server()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def running_bridge(target: str, **overrides: object) -> AsyncIterator[Bridge]:
    config = dataclasses.replace(CONFIG, target=target, **overrides)  # type: ignore[arg-type]
    client = VigilClient(target, timeout=config.forward_timeout_s)
    try:
        async with TestClient(TestServer(create_app(config, client, now_ns=lambda: NOW_NS))) as http:
            yield http
    finally:
        await client.close()


@pytest.fixture
def make_bridge(core: FakeSignalServer) -> BridgeFactory:
    """A bridge on the fake core with some settings changed: `async with make_bridge(trust_proxy=True) as http`."""

    def make(**overrides: object) -> AbstractAsyncContextManager[Bridge]:
        return running_bridge(core.address, **overrides)

    return make


@pytest.fixture
async def bridge(make_bridge: BridgeFactory) -> AsyncIterator[Bridge]:
    async with make_bridge() as http:
        yield http
