"""Fixtures for SDK tests: a connected client on the real server, and a port nobody listens on."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from clients.sdk import VigilClient


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
