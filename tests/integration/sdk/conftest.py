"""Fixtures for SDK tests: a client on the real server or on the fake SignalService, and a free port."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from clients.sdk import VigilClient
from tests.kit.signal_service_fake import FakeSignalServer, start_fake_signal_server


@pytest.fixture
def unused_address() -> str:
    """A loopback address nobody listens on (a server may be started there later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
async def client(vigil_server: str) -> AsyncIterator[VigilClient]:
    async with VigilClient(vigil_server) as connected:
        yield connected


@pytest.fixture
async def signal_server() -> AsyncIterator[FakeSignalServer]:
    """A fake SignalService (tests/integration/sdk/signal_service_fake.py) on 127.0.0.1:0."""
    server = await start_fake_signal_server()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def signal_client(signal_server: FakeSignalServer) -> AsyncIterator[VigilClient]:
    async with VigilClient(signal_server.address) as connected:
        yield connected
