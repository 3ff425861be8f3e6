"""The periodic reconciliation reads only what may have changed at the broker (brokers/history_window.py), against
the fake Tradovate and ProjectX gateways holding 500 finished orders: it still ends a routed order the broker
cancelled behind Vigil's back (one resting since days ago, at ProjectX), and it makes fewer requests, and far
smaller ones, than the full reconciliation that runs on connect, on every reconnect and on demand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.brokers import Broker
from clients.sdk.order_specs import limit
from core_server.app import RunningServer, start
from core_server.brokers.desk import BrokerDesk
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID, FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import FakeTradovateBroker
from tests.integration.brokers.test_live_routing import NQ, kernel_bid, live_at_kernel_price, order_status
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal
HISTORY = 500
PX_NQ = "CON.F.US.ENQ.Z26"


async def serving(database_url: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return await start(server_config(database_url))


@pytest.fixture
async def tradovate_server(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningServer]:
    fake_tradovate.seed_history(HISTORY)
    running = await serving(database_url, fake_tradovate.env(), monkeypatch)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def fake_projectx() -> AsyncIterator[FakeProjectXBroker]:
    fake = FakeProjectXBroker()
    await fake.start()
    fake.set_market(PX_NQ, "25000.00", "25000.25")
    fake.seed_history(HISTORY, days_ago=3)
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def projectx_server(
    database_url: str, fake_projectx: FakeProjectXBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningServer]:
    running = await serving(database_url, fake_projectx.env(), monkeypatch)
    try:
        yield running
    finally:
        await running.stop()


async def periodic(desk: BrokerDesk, fake: FakeTradovateBroker | FakeProjectXBroker) -> tuple[dict[str, int], int]:
    """One periodic pass: the requests it made (path -> count) and the bytes of their answers."""
    fake.requests.clear()
    fake.response_bytes.clear()
    (done,) = await desk.reconcile_all()
    assert done.account_id == "paper"
    return dict(fake.requests), sum(fake.response_bytes.values())


async def full(desk: BrokerDesk, fake: FakeTradovateBroker | FakeProjectXBroker) -> tuple[dict[str, int], int]:
    await desk.settle()  # the reconciliation of the connect that the first order's send made is done
    fake.requests.clear()
    fake.response_bytes.clear()
    await desk.reconcile("paper", "test")
    return dict(fake.requests), sum(fake.response_bytes.values())


async def resting_buy(client: VigilClient, fake: FakeTradovateBroker) -> str:
    """A LIVE limit buy resting 50 points below the market; its kernel order id."""
    bid = await live_at_kernel_price(client, fake)
    placed = await client.submit_order("paper", limit(NQ, "buy", 1, bid - 50))
    assert not placed.denied, placed.order.reason
    return placed.order.order_id


async def test_a_periodic_reconcile_ends_a_tradovate_order_cancelled_behind_vigils_back_reading_only_changes(
    tradovate_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    desk = tradovate_server.brokers
    assert desk is not None
    async with VigilClient(tradovate_server.address) as client:
        order_id = await resting_buy(client, fake_tradovate)
        await eventually(lambda: [o for o in fake_tradovate.book.orders.values() if o.status == "Working"])
        (resting,) = [o for o in fake_tradovate.book.orders.values() if o.status == "Working"]

        everything, everything_bytes = await full(desk, fake_tradovate)
        lists = {"command/list": 1, "orderversion/list": 1, "fill/list": 1}  # the history: four lists
        deps = {"command/ldeps": 1, "orderversion/ldeps": 1, "fill/ldeps": 1}  # the working order's dependents
        assert everything == {"order/list": 2, **lists, **deps, "position/list": 1}
        changes, changes_bytes = await periodic(desk, fake_tradovate)
        one_slice = {"command/ldeps": 2, "orderversion/ldeps": 2, "fill/ldeps": 2}  # the history's, the working one's
        # the history's changes, then the open check by id too: no list of every order at all
        assert changes == {"order/items": 2, **one_slice, "position/list": 1}
        assert changes_bytes * 50 < everything_bytes

        fake_tradovate.book.cancel(resting.id)  # at the broker, not by Vigil
        assert await order_status(client, order_id) == "working"
        await periodic(desk, fake_tradovate)
        await eventually(lambda: _status_is(client, order_id, "cancelled"))

        idle, _ = await periodic(desk, fake_tradovate)  # nothing open, nothing named: no history read at all
        assert idle == {"position/list": 1}  # nothing open, nothing named: no order read at all
        assert sum(idle.values()) < sum(everything.values())


async def test_a_periodic_reconcile_ends_a_projectx_order_resting_for_days_cancelled_behind_vigils_back(
    projectx_server: RunningServer, fake_projectx: FakeProjectXBroker
) -> None:
    desk = projectx_server.brokers
    assert desk is not None
    async with VigilClient(projectx_server.address) as client:
        await client.bind_account("paper", Broker.PROJECTX, str(ACCOUNT_ID), fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")
        bid = await kernel_bid(client)
        fake_projectx.set_market(PX_NQ, bid, bid + D("0.25"))
        placed = await client.submit_order("paper", limit(NQ, "buy", 1, bid - 50))
        assert not placed.denied, placed.order.reason
        order_id = placed.order.order_id
        await eventually(lambda: [o for o in fake_projectx.book.orders.values() if o.status == "Working"])
        (resting,) = [o for o in fake_projectx.book.orders.values() if o.status == "Working"]
        fake_projectx.backdate(resting.id, days=2)  # a GTC order resting since two days ago (Vigil restarted since)

        everything, everything_bytes = await full(desk, fake_projectx)
        assert everything == {"order/search": 1, "trade/search": 1, "position/searchopen": 1, "order/searchopen": 1}
        assert everything_bytes > 100_000  # 501 orders and 500 trades
        since_it_rests, small = await periodic(desk, fake_projectx)  # the window starts at the resting order
        assert since_it_rests == {"order/search": 1, "position/searchopen": 1, "order/searchopen": 1}
        assert small * 50 < everything_bytes  # one order read, not 501, and no trades (it has no fills)

        fake_projectx.book.cancel(resting.id)  # at the gateway, not by Vigil
        assert await order_status(client, order_id) == "working"
        await periodic(desk, fake_projectx)
        await eventually(lambda: _status_is(client, order_id, "cancelled"))

        idle, idle_bytes = await periodic(desk, fake_projectx)
        assert idle == {"order/search": 1, "position/searchopen": 1, "order/searchopen": 1}
        assert sum(idle.values()) < sum(everything.values()) and idle_bytes * 500 < everything_bytes


async def _status_is(client: VigilClient, order_id: str, status: str) -> bool:
    return await order_status(client, order_id) == status


async def test_a_periodic_tradovate_reconcile_reads_thousands_of_changed_orders_in_requests_of_bounded_length(
    tradovate_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    """The trading socket names every order it sees for every account it serves, so a busy user (many accounts,
    copy trading) can have thousands of ids to read at one periodic pass. Their ids go in the query string:
    one request per slice, each well under the 8 KiB request line that servers (the fake's aiohttp too) accept."""
    desk = tradovate_server.brokers
    assert desk is not None
    async with VigilClient(tradovate_server.address) as client:
        order_id = await resting_buy(client, fake_tradovate)
        await full(desk, fake_tradovate)
        fake_tradovate.seed_history(2500)  # while the socket is open: its events name 2,500 more orders
        await fake_tradovate.sent()
        await asyncio.sleep(0.5)  # for the adapter to take in the events (the read below is correct either way)
        changes, _ = await periodic(desk, fake_tradovate)  # raised: HTTP 400, the request line was 15 KB
        assert changes["order/items"] >= 2
        # their commands, versions and fills, slice by slice; then the open check reads the working one by id
        assert (
            changes["command/ldeps"] == changes["orderversion/ldeps"] == changes["fill/ldeps"] == changes["order/items"]
        )
        working = await client.list_orders("paper", open_only=True)
        assert [o.order_id for o in working] == [order_id]
