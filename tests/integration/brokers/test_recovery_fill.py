"""A restart's recovery never waits on the router it holds (issue 15): after a restart with a routed order open at
the broker, the router holds the broker's fills while its recovery finds the order again (a fill must find its
order), and a fill the broker reports meanwhile waits for it. The reconciliation that compares positions waits
for that fill, so it runs once the recovery is done, not inside it. The router's wait is made long, so a
reconciliation caught waiting on the recovery would hold the fill far beyond the test's awaits."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from clients.sdk import OrderResult, VigilClient
from clients.sdk.order_specs import limit
from core_server.app import start
from core_server.brokers.desk import BrokerDesk
from core_server.brokers.model import BrokerFill, BrokerOrder
from core_server.brokers.tradovate import TradovateBroker
from core_server.feeds.fakes.tradovate_orders import FakeTradovateBroker
from core_server.live.broker_router import BrokerRouter
from tests.integration.brokers.test_broker_recovery import fills_when
from tests.integration.brokers.test_live_routing import NQ, broker_net, live_at_kernel_price, order_status
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal


async def resting_at_restart(
    database_url: str, fake: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> tuple[OrderResult, Decimal]:
    """A first server routes a resting limit buy of 2 (the kernel's bid - 50) to the fake, then stops with it working
    there. The router's wait for its sends is made long: a fill caught waiting on a recovery would hold far beyond
    the tests' awaits. The placed order and the bid."""
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(BrokerRouter, "idle_timeout_s", 600.0)
    first = await start(server_config(database_url))
    try:
        async with VigilClient(first.address) as client:
            bid = await live_at_kernel_price(client, fake)
            resting = await client.submit_order("paper", limit(NQ, "buy", 2, bid - 50))
            await eventually(lambda: [o.status for o in fake.book.orders.values()] == ["Working"])
    finally:
        await first.stop()
    return resting, bid


async def test_a_fill_reported_while_the_restart_recovery_reads_the_history_is_booked_once_without_waiting(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    resting, bid = await resting_at_restart(database_url, fake_tradovate, monkeypatch)

    # At the restart, the recovery reads the broker's history (the order still working), and the order fills at the
    # broker right after that read: its fill is reported on the socket while the recovery is under way.
    reported = asyncio.Event()
    on_fill = BrokerDesk._on_fill
    history = TradovateBroker.order_history
    reads = 0

    def counted(self: BrokerDesk, number: str, fill: BrokerFill) -> None:
        on_fill(self, number, fill)
        reported.set()

    async def fill_after_the_first_read(
        self: TradovateBroker, broker_account: str, *, incremental: bool = False
    ) -> tuple[tuple[BrokerOrder, ...], tuple[BrokerFill, ...]]:
        nonlocal reads
        read = await history(self, broker_account, incremental=incremental)
        reads += 1
        if reads == 1:
            fake_tradovate.set_market("NQZ6", bid - 51, bid - 50)
            await reported.wait()  # the fill is reported (and waits for the router) before the recovery goes on
        return read

    monkeypatch.setattr(BrokerDesk, "_on_fill", counted)
    monkeypatch.setattr(TradovateBroker, "order_history", fill_after_the_first_read)
    second = await start(server_config(database_url))
    try:
        async with VigilClient(second.address) as client:

            async def filled() -> bool:
                return await order_status(client, resting.order.order_id) == "filled"

            await eventually(filled, timeout=15)
            assert reported.is_set()
            assert second.brokers is not None
            await asyncio.wait_for(second.brokers.settle(), 15)  # the reconciliation after the recovery is done
            assert await fills_when(client, 1) == [(resting.order.order_id, 2, bid - 50)]
            (position,) = await client.list_positions("paper")
            assert (position.quantity, position.average_price) == (2, bid - 50)
            assert broker_net(fake_tradovate) == 2
            assert len(await client.list_orders("paper")) == 1  # the fill filled the order: no order of its own
            trail = await client.list_broker_audit("paper")
            assert not [r for r in trail if r.kind == "reconcile_difference" and r.detail.get("kind") == "position"]
            assert (await client.reconcile("paper")).differences == ()
            assert len(await client.list_fills("paper")) == 1  # booked exactly once
    finally:
        await second.stop()


async def test_a_reconcile_that_connects_the_link_first_does_not_hold_the_restart_recovery(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the restart, a ReconcileNow connects the link before the router's recovery does, and the routed order fills
    at the broker right then: the fill waits for the recovery, and the reconciliation waits for the fill. The
    connecting call must not hold the link's connect lock while it reconciles, or the recovery, waiting on that
    lock, never runs (before: the fill and the reconcile waited for the router's idle timeout, made long here)."""
    resting, bid = await resting_at_restart(database_url, fake_tradovate, monkeypatch)

    connecting = asyncio.Event()
    connect, recover = TradovateBroker.connect, BrokerRouter._recover

    async def slow_connect_then_fill(self: TradovateBroker) -> None:
        connecting.set()
        await asyncio.sleep(0.3)  # the recovery reaches the link meanwhile and waits for the connect
        await connect(self)
        fake_tradovate.set_market("NQZ6", bid - 51, bid - 50)  # the order fills: reported on the socket

    async def recover_after_the_connect_began(self: BrokerRouter, account_id: str) -> None:
        await connecting.wait()
        await recover(self, account_id)

    monkeypatch.setattr(TradovateBroker, "connect", slow_connect_then_fill)
    monkeypatch.setattr(BrokerRouter, "_recover", recover_after_the_connect_began)
    second = await start(server_config(database_url))
    try:
        async with VigilClient(second.address) as client:
            reconciled = await asyncio.wait_for(client.reconcile("paper"), 20)
            assert reconciled.differences == ()

            async def filled() -> bool:
                return await order_status(client, resting.order.order_id) == "filled"

            await eventually(filled, timeout=15)
            assert second.brokers is not None
            await asyncio.wait_for(second.brokers.settle(), 15)
            assert await fills_when(client, 1) == [(resting.order.order_id, 2, bid - 50)]
            (position,) = await client.list_positions("paper")
            assert position.quantity == 2 and broker_net(fake_tradovate) == 2
            assert len(await client.list_orders("paper")) == 1  # no order of its own for the fill
            assert len(await client.list_fills("paper")) == 1
    finally:
        await second.stop()
