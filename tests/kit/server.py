"""Test kit: a real Vigil server on 127.0.0.1:0 with real PostgreSQL and a fast seeded simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from core_server.app import RunningServer, start
from core_server.config import Config


def server_config(database_url: str, **overrides: object) -> Config:
    settings: dict[str, object] = {
        "listen": "127.0.0.1:0",
        "database_url": database_url,
        "sim_rate": 5000.0,
        "sim_seed": 11,
        "forming_interval_ms": 50,
        # Tests place orders as fast as they can: no per-key rate limit unless a test sets one (test_rate_limits).
        "order_rate": Decimal(0),
    }
    settings.update(overrides)
    return Config(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def running_server(database_url: str) -> AsyncIterator[RunningServer]:
    running = await start(server_config(database_url))
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def vigil_server(running_server: RunningServer) -> str:
    """The address ("127.0.0.1:PORT") of a running server."""
    return running_server.address
