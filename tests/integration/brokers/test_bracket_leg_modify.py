"""A bracket's stop-loss modified while its entry still works ends up at the new price at the broker (issue 15):
ProjectX makes the legs only when the entry fills, at the prices given at placement, so the modification is kept
and sent (Order/modify) to the leg once the gateway has made it; Tradovate's placeOSO legs exist from the start,
so the modification goes straight to the leg."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.sdk import OrderStatus, VigilClient
from clients.sdk.brokers import Broker
from clients.sdk.order_specs import bracket, limit
from core_server.app import RunningServer, start
from core_server.feeds.fakes.broker_book import FakeOrder
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID, FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from tests.integration.brokers.test_live_routing import kernel_bid
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
    try:
        yield running
    finally:
        await running.stop()


def legs(orders: list[FakeOrder]) -> dict[str, FakeOrder]:
    return {o.order_type: o for o in orders if o.parent_id is not None}


async def test_a_projectx_stop_loss_modified_before_its_entry_fills_is_modified_at_the_gateway_once_made(
    server: RunningServer, fake_projectx: FakeProjectXBroker
) -> None:
    async with VigilClient(server.address) as client:
        await client.bind_account("paper", Broker.PROJECTX, str(ACCOUNT_ID), fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")
        bid = await kernel_bid(client)
        fake_projectx.set_market(PX_NQ, bid, bid + D("0.25"))
        entry_price = bid - 10  # rests below the market
        placed = await client.submit_bracket(
            "paper", bracket(limit(NQ, "buy", 1, entry_price), stop_loss_price=bid - 60, take_profit_price=bid + 60)
        )
        assert not placed.denied and placed.stop_loss is not None
        book = fake_projectx.book
        await eventually(lambda: len(book.orders) >= 1)
        modified = await client.modify_order(placed.stop_loss.order_id, stop_price=bid - 40)  # the entry works
        assert not modified.denied
        assert server.router is not None
        await server.router.drain()  # the modification is routed (and kept: the gateway has no leg yet)

        fake_projectx.set_market(PX_NQ, entry_price - D("0.25"), entry_price)  # the entry fills: the legs appear
        await eventually(lambda: legs(list(book.orders.values())).get("Stop") is not None)
        await eventually(lambda: legs(list(book.orders.values()))["Stop"].stop_price == bid - 40)
        assert legs(list(book.orders.values()))["Limit"].price == bid + 60
        assert legs(list(book.orders.values()))["Stop"].status == "Working"

        fake_projectx.set_market(PX_NQ, bid - 41, bid - 40)  # the stop at its new price exits at the gateway

        async def flat() -> bool:
            held = sum(p.quantity for p in await client.list_positions("paper"))
            return held == 0 and not await client.list_orders("paper", open_only=True)

        await eventually(flat)
        assert (await client.reconcile("paper")).differences == ()


async def test_a_tradovate_stop_loss_modified_before_its_entry_fills_is_modified_at_once(
    server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(server.address) as client:
        await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
        await client.set_live_routing("paper", True, confirm="paper")
        bid = await kernel_bid(client)
        fake_tradovate.set_market("NQZ6", bid, bid + D("0.25"))
        placed = await client.submit_bracket(
            "paper", bracket(limit(NQ, "buy", 1, bid - 10), stop_loss_price=bid - 60, take_profit_price=bid + 60)
        )
        assert not placed.denied and placed.stop_loss is not None
        book = fake_tradovate.book
        await eventually(lambda: len(book.orders) == 3)  # one placeOSO: the entry and both legs
        modified = await client.modify_order(placed.stop_loss.order_id, stop_price=bid - 40)
        assert not modified.denied
        await eventually(lambda: legs(list(book.orders.values()))["Stop"].stop_price == bid - 40)
        assert legs(list(book.orders.values()))["Limit"].price == bid + 60


async def test_projectx_legs_of_an_entry_that_filled_better_than_its_limit_are_found_where_the_gateway_put_them(
    server: RunningServer, fake_projectx: FakeProjectXBroker
) -> None:
    """The gateway places a bracket's legs in ticks from the entry's fill price (PROTOCOLS.md §2.3), so an entry
    that filled better than its limit (the market gapped through it) has its legs shifted by the improvement. The
    router finds them there and moves them to the prices the bracket asked for (the kernel's); a stop moved in
    Vigil then reaches the gateway's leg, and the take-profit leg's fill ends the trade as a target."""
    async with VigilClient(server.address) as client:
        await client.bind_account("paper", Broker.PROJECTX, str(ACCOUNT_ID), fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")
        bid = await kernel_bid(client)
        fake_projectx.set_market(PX_NQ, bid, bid + D("0.25"))
        entry_price = bid - 10
        placed = await client.submit_bracket(
            "paper", bracket(limit(NQ, "buy", 1, entry_price), stop_loss_price=bid - 60, take_profit_price=bid + 60)
        )
        assert not placed.denied and placed.stop_loss is not None
        book = fake_projectx.book
        await eventually(lambda: len(book.orders) >= 1)
        assert server.router is not None
        await server.router.drain()

        fake_projectx.set_market(PX_NQ, entry_price - 1, entry_price - D("0.75"))  # gaps through: filled 0.75 better
        await eventually(lambda: legs(list(book.orders.values())).get("Stop") is not None)  # made at -60.75, +59.25
        await eventually(lambda: legs(list(book.orders.values()))["Stop"].stop_price == bid - 60)  # moved back
        await eventually(lambda: legs(list(book.orders.values()))["Limit"].price == bid + 60)
        assert fake_projectx.requests["order/modify"] == 2  # made shifted, then moved: one Order/modify per leg

        async def entered() -> bool:
            return sum(p.quantity for p in await client.list_positions("paper")) == 1

        await eventually(entered)
        modified = await client.modify_order(placed.stop_loss.order_id, stop_price=bid - 40)
        assert not modified.denied
        await eventually(lambda: legs(list(book.orders.values()))["Stop"].stop_price == bid - 40)

        fake_projectx.set_market(PX_NQ, bid + 60, bid + D("60.25"))  # the take-profit fills

        async def flat() -> bool:
            held = sum(p.quantity for p in await client.list_positions("paper"))
            return held == 0 and not await client.list_orders("paper", open_only=True)

        await eventually(flat)
        assert placed.take_profit is not None
        (target,) = [o for o in await client.list_orders("paper") if o.order_id == placed.take_profit.order_id]
        assert target.status is OrderStatus.FILLED
        assert (await client.reconcile("paper")).differences == ()
