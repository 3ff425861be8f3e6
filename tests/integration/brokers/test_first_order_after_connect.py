"""The first orders routed after a broker link connects are sent at once: the reconciliation that every connect
runs never waits on the router's own in-flight sends (issue 15). Against both fakes, with the router's wait for
its sends made long, so a reconciliation caught waiting on them would hold the order far beyond the test's
awaits instead of for the few seconds the wait used to last."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.brokers import Broker
from clients.sdk.copying import CopyFollower, CopySourceKind
from clients.sdk.errors import NotFoundError
from clients.sdk.order_specs import market
from core_server.app import RunningServer, start
from core_server.brokers.model import BrokerFill
from core_server.brokers.projectx import ProjectXBroker
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID, FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal
NQ = "NQZ2026"
PX_NQ = "CON.F.US.ENQ.Z26"


@pytest.fixture
async def server(
    database_url: str,
    fake_tradovate: FakeTradovateBroker,
    fake_projectx: FakeProjectXBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[RunningServer]:
    for key, value in {**fake_tradovate.env(), **fake_projectx.env()}.items():
        monkeypatch.setenv(key, value)
    running = await start(server_config(database_url))
    assert running.router is not None
    running.router.idle_timeout_s = 600.0  # a reconcile waiting on the router's sends would hold far past eventually()
    try:
        yield running
    finally:
        await running.stop()


async def at_kernel_price(client: VigilClient, tradovate: FakeTradovateBroker, projectx: FakeProjectXBroker) -> None:
    async def quoted() -> Decimal | None:
        try:
            return (await client.get_quote("NQ")).quote.bid
        except NotFoundError:
            return None

    bid = await eventually(quoted)
    tradovate.set_market("NQZ6", bid, bid + D("0.25"))
    projectx.set_market(PX_NQ, bid, bid + D("0.25"))


async def holds(client: VigilClient, account_id: str, quantity: int) -> bool:
    return sum(p.quantity for p in await client.list_positions(account_id)) == quantity


@pytest.mark.parametrize("broker", ["tradovate", "projectx"])
async def test_an_order_placed_right_after_live_routing_is_on_is_acknowledged_and_fills(
    server: RunningServer, fake_tradovate: FakeTradovateBroker, fake_projectx: FakeProjectXBroker, broker: str
) -> None:
    async with VigilClient(server.address) as client:
        await at_kernel_price(client, fake_tradovate, fake_projectx)
        if broker == "tradovate":
            await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
        else:
            await client.bind_account("paper", Broker.PROJECTX, str(ACCOUNT_ID), fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")
        placed = await client.submit_order("paper", market(NQ, "buy", 1))  # connects the link, which reconciles
        assert not placed.denied
        book = fake_tradovate.book if broker == "tradovate" else fake_projectx.book
        await eventually(lambda: len(book.orders) == 1)
        await eventually(lambda: holds(client, "paper", 1))
        assert (await client.reconcile("paper")).differences == ()


async def test_a_link_connected_by_a_send_does_not_wait_for_a_fill_that_waits_for_that_send(
    server: RunningServer,
    fake_tradovate: FakeTradovateBroker,
    fake_projectx: FakeProjectXBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A copy group's followers at two brokers, sent to at once: the Tradovate follower's order fills while the
    ProjectX link is still connecting (held until that fill is reported, so the order of events is fixed). The fill
    waits for the router's sends (it may beat its order's acknowledgement); the ProjectX send waits for its
    connect's reconciliation; that reconciliation must not wait for the fill."""
    tradovate_filled = asyncio.Event()
    ids: dict[str, str] = {}
    connect = ProjectXBroker.connect

    async def connect_after_the_tradovate_fill(self: ProjectXBroker) -> None:
        await tradovate_filled.wait()
        await connect(self)

    def on_fill(account_id: str, fill: BrokerFill) -> None:
        if account_id == ids.get("tv"):
            tradovate_filled.set()

    assert server.brokers is not None
    server.brokers.fill_listeners.append(on_fill)
    monkeypatch.setattr(ProjectXBroker, "connect", connect_after_the_tradovate_fill)
    async with VigilClient(server.address) as client:
        await at_kernel_price(client, fake_tradovate, fake_projectx)
        for name in ("tv", "px"):
            ids[name] = (await client.create_account(name)).account_id
        tv, px = ids["tv"], ids["px"]
        await client.bind_account(tv, "tradovate", DEFAULT_ACCOUNT)
        await client.bind_account(px, Broker.PROJECTX, str(ACCOUNT_ID), fake_projectx.api_url)
        for account in (tv, px):
            await client.set_live_routing(account, True, confirm=account)
        await client.reconcile(tv)  # the Tradovate link is up; the ProjectX one connects on its first send
        followers = [CopyFollower.fixed(tv, 1), CopyFollower.fixed(px, 1)]
        await client.create_copy_group("both", CopySourceKind.ACCOUNT, "paper", followers)

        leader = await client.submit_order("paper", market(NQ, "buy", 1))
        assert not leader.denied
        await eventually(lambda: len(fake_projectx.book.orders) == 1)  # sent, not held by the reconciliation
        await eventually(lambda: holds(client, px, 1))
        await eventually(lambda: holds(client, tv, 1))
        assert (await client.reconcile(px)).differences == ()
        assert (await client.reconcile(tv)).differences == ()
