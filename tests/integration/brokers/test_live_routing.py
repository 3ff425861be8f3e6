"""Every order path routes to the broker for a LIVE account (against the fake Tradovate): ExecutionService orders,
brackets, modify, cancel, close and flatten; the broker's fills come back into the same kernel orders. A BOUND
account (live routing off) sends nothing on any path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.order_specs import market
from core_server.app import RunningServer, start
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, DEFAULT_ACCOUNT_ID, FakeTradovateBroker
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal
NQ = "NQZ2026"


@pytest.fixture
async def broker_server(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningServer]:
    for key, value in fake_tradovate.env().items():
        monkeypatch.setenv(key, value)
    running = await start(server_config(database_url))
    try:
        yield running
    finally:
        await running.stop()


async def live_at_kernel_price(client: VigilClient, fake: FakeTradovateBroker) -> Decimal:
    """Bind `paper`, turn live routing on, and put the fake's market where the kernel marks NQ."""
    await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
    await client.set_live_routing("paper", True, confirm="paper")
    bid = (await eventually(lambda: client.get_quote("NQ"))).quote.bid
    fake.set_market("NQZ6", bid, bid + D("0.25"))
    return bid


def broker_orders(fake: FakeTradovateBroker) -> list[tuple[str, str, int, str]]:
    return [(o.action, o.order_type, o.qty, o.status) for o in fake.book.orders.values()]


async def test_a_market_order_through_execution_service_fills_at_the_broker_and_in_the_kernel(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        bid = await live_at_kernel_price(client, fake_tradovate)
        result = await client.submit_order("paper", market(NQ, "buy", 2))
        assert not result.denied, result.order.reason
        order_id = result.order.order_id

        async def filled() -> bool:
            (order,) = [o for o in await client.list_orders("paper") if o.order_id == order_id]
            return order.status.value == "filled"

        await eventually(filled)
        assert broker_orders(fake_tradovate) == [("Buy", "Market", 2, "Filled")]
        (position,) = await client.list_positions("paper")
        assert (position.contract_id, position.quantity, position.average_price) == (NQ, 2, bid + D("0.25"))
        assert fake_tradovate.book.positions[(DEFAULT_ACCOUNT_ID, "NQZ6")].net == 2
        fills = await client.list_fills("paper")
        assert [(f.order_id, f.quantity, f.price) for f in fills] == [(order_id, 2, bid + D("0.25"))]
