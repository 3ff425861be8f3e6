"""The fake Tradovate trading server and an adapter logged in to it, and the fake ProjectX gateway (no network
beyond loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from core_server.brokers.credentials import tradovate_config, tradovate_trading_url
from core_server.brokers.model import BrokerFill
from core_server.brokers.tradovate import TradovateBroker
from core_server.feeds.fakes.projectx_orders import FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import FakeTradovateBroker
from core_server.model.clock import LiveClock


@pytest.fixture
async def fake_tradovate() -> AsyncIterator[FakeTradovateBroker]:
    fake = FakeTradovateBroker(heartbeat_s=0.5)
    await fake.start()
    fake.set_market("NQZ6", "25000.00", "25000.25")
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def tradovate(fake_tradovate: FakeTradovateBroker) -> AsyncIterator[tuple[TradovateBroker, list[BrokerFill]]]:
    env = fake_tradovate.env()
    config = replace(tradovate_config(env, "demo"), request_timeout_s=0.5)
    fills: list[BrokerFill] = []
    broker = TradovateBroker(
        config, tradovate_trading_url(env, "demo"), LiveClock(), on_fill=lambda a, f: fills.append(f)
    )
    await broker.connect()
    try:
        yield broker, fills
    finally:
        await broker.close()


@pytest.fixture
async def fake_projectx() -> AsyncIterator[FakeProjectXBroker]:
    """The fake ProjectX gateway, its NQ December 2026 market at 25000.00 / 25000.25."""
    fake = FakeProjectXBroker()
    await fake.start()
    fake.set_market("CON.F.US.ENQ.Z26", "25000.00", "25000.25")
    try:
        yield fake
    finally:
        await fake.close()
