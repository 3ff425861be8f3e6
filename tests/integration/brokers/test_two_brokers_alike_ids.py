"""Accounts bound to different brokers at once (the fake Tradovate and the fake ProjectX, which number their orders
and fills alike, as two real brokers may): each broker's fills fill the orders sent to it, exactly once. Order and
fill ids are unique at one broker only, so the router and the fill booking key them by account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.brokers import Broker
from clients.sdk.order_specs import market
from core_server.app import RunningServer, start
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID as PROJECTX_ACCOUNT_ID
from core_server.feeds.fakes.projectx_orders import FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from tests.integration.brokers.test_live_routing import kernel_bid
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal


@pytest.fixture
async def two_brokers(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[RunningServer, FakeTradovateBroker, FakeProjectXBroker]]:
    tradovate, projectx = FakeTradovateBroker(heartbeat_s=0.5), FakeProjectXBroker()
    await tradovate.start()
    await projectx.start()
    for key, value in {**tradovate.env(), **projectx.env()}.items():
        monkeypatch.setenv(key, value)
    running = await start(server_config(database_url))
    try:
        yield running, tradovate, projectx
    finally:
        await running.stop()
        await tradovate.close()
        await projectx.close()


async def test_fills_of_two_brokers_with_alike_ids_each_fill_their_own_account_once(
    two_brokers: tuple[RunningServer, FakeTradovateBroker, FakeProjectXBroker],
) -> None:
    running, tradovate, projectx = two_brokers
    async with VigilClient(running.address) as client:
        await client.create_account("on-projectx")
        await client.bind_account("paper", Broker.TRADOVATE, DEFAULT_ACCOUNT, "demo")
        await client.bind_account("on-projectx", Broker.PROJECTX, str(PROJECTX_ACCOUNT_ID), projectx.api_url)
        for name in ("paper", "on-projectx"):
            await client.set_live_routing(name, True, confirm=name)
            await client.reconcile(name)  # connected before any order
        bid = await kernel_bid(client)
        tradovate.set_market("NQZ6", bid, bid + D("0.25"))
        projectx.set_market("CON.F.US.ENQ.Z26", bid, bid + D("0.25"))

        placed = {}
        for name in ("paper", "on-projectx"):
            result = await client.submit_order(name, market("NQZ2026", "buy", 1))
            assert not result.denied, result.order.reason
            placed[name] = result.order.order_id
        (at_tradovate,) = tradovate.book.orders.values()
        (at_projectx,) = projectx.book.orders.values()
        assert at_tradovate.id == at_projectx.id  # alike ids: the case this test is about
        assert [f.id for f in tradovate.book.fills] == [f.id for f in projectx.book.fills]

        async def both_filled() -> bool:
            for name in ("paper", "on-projectx"):
                orders = await client.list_orders(name)
                if [(o.order_id, o.status.value) for o in orders] != [(placed[name], "filled")]:
                    return False
            return True

        await eventually(both_filled)
        for name in ("paper", "on-projectx"):
            (position,) = await client.list_positions(name)
            assert (position.quantity, position.average_price) == (1, bid + D("0.25"))
            assert len(await client.list_fills(name)) == 1
