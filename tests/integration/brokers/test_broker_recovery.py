"""A live account's broker link recovers by itself (against the fake Tradovate): a dropped trading socket is
reconnected in the background with the shared backoff and the account reconciled, and what the broker did while
Vigil could not see it (orders filled or cancelled while the socket was down or Vigil was stopped) ends the
kernel's routed orders through the same fill events as live fills, exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.order_specs import bracket, limit, market
from core_server.app import RunningServer, start
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT_ID, FakeTradovateBroker
from tests.integration.brokers.test_live_routing import NQ, broker_net, live_at_kernel_price, order_status
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal


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


async def fills_when(client: VigilClient, count: int) -> list[tuple[str, int, Decimal]]:
    """The account's fills once `count` are stored (the fill table is written after the commit)."""

    async def stored() -> list[tuple[str, int, Decimal]] | None:
        fills = [(f.order_id, f.quantity, f.price) for f in await client.list_fills("paper")]
        return fills if len(fills) >= count else None

    return await eventually(stored)


async def tradovate_state(client: VigilClient) -> str:
    (state,) = [s for s in await client.list_brokers() if s.broker == "tradovate" and "paper" in s.account_ids]
    return state.state


async def test_a_dropped_socket_reconnects_by_itself_reconciles_and_later_orders_route(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        bid = await live_at_kernel_price(client, fake_tradovate)
        first = await client.submit_order("paper", market(NQ, "buy", 1))
        await eventually(lambda: broker_net(fake_tradovate) == 1)
        await eventually(lambda: len(fake_tradovate.sockets) == 1)
        (old,) = fake_tradovate.sockets
        assert await tradovate_state(client) == "connected"
        assert broker_server.brokers is not None
        await broker_server.brokers.settle()  # the first send's connect is reconciled (after the send)

        await fake_tradovate.drop_sockets()
        # Nothing calls the broker now: the desk's reconnect loop brings the socket back by itself.
        await eventually(lambda: [s is not old for s in fake_tradovate.sockets] == [True], timeout=15)

        async def connected() -> bool:
            return await tradovate_state(client) == "connected"

        await eventually(connected)

        async def reconciled() -> bool:
            trail = await client.list_broker_audit("paper")
            return any(r.kind == "reconnected" and r.actor == "reconcile:reconnect" for r in trail)

        await eventually(reconciled)
        assert fake_tradovate.counters.logins == 1  # the token was still good: no second session

        second = await client.submit_order("paper", market(NQ, "sell", 1))
        assert not second.denied, second.order.reason

        async def both_filled() -> bool:
            return [await order_status(client, o.order.order_id) for o in (first, second)] == ["filled", "filled"]

        await eventually(both_filled)
        assert broker_net(fake_tradovate) == 0
        assert [p.quantity for p in await client.list_positions("paper")] in ([], [0])
        assert sorted(await fills_when(client, 2)) == sorted(
            [(first.order.order_id, 1, bid + D("0.25")), (second.order.order_id, 1, bid)]
        )


async def test_an_order_filled_while_the_socket_was_down_is_filled_once_after_the_reconnect(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        bid = await live_at_kernel_price(client, fake_tradovate)
        resting = await client.submit_order("paper", limit(NQ, "buy", 2, bid - 50))
        await eventually(lambda: [o.status for o in fake_tradovate.book.orders.values()] == ["Working"])
        await eventually(lambda: len(fake_tradovate.sockets) == 1)
        fake_tradovate.refuse_sockets = True  # the socket stays down while the market fills the order
        await fake_tradovate.drop_sockets()
        fake_tradovate.set_market("NQZ6", bid - 51, bid - 50)
        assert [o.status for o in fake_tradovate.book.orders.values()] == ["Filled"]
        fake_tradovate.refuse_sockets = False

        async def filled() -> bool:
            return await order_status(client, resting.order.order_id) == "filled"

        await eventually(filled, timeout=15)
        assert await fills_when(client, 1) == [(resting.order.order_id, 2, bid - 50)]
        (position,) = await client.list_positions("paper")
        assert (position.quantity, position.average_price) == (2, bid - 50)
        trail = await client.list_broker_audit("paper")
        assert not [r for r in trail if r.kind == "reconcile_difference" and r.detail.get("kind") == "position"]


async def test_orders_that_ended_at_the_broker_while_vigil_was_down_end_at_restart_exactly_once(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fake_tradovate.env().items():
        monkeypatch.setenv(key, value)
    first = await start(server_config(database_url))
    try:
        async with VigilClient(first.address) as client:
            bid = await live_at_kernel_price(client, fake_tradovate)
            resting = await client.submit_order("paper", limit(NQ, "buy", 2, bid - 50))
            far = await client.submit_order("paper", limit(NQ, "buy", 1, bid - 100))
            await eventually(lambda: [o.status for o in fake_tradovate.book.orders.values()] == ["Working"] * 2)
    finally:
        await first.stop()
    # Vigil is down: the market fills one order at the broker and the trader cancels the other on its web site.
    fake_tradovate.set_market("NQZ6", bid - 51, bid - 50)
    filled_at_broker, far_at_broker = fake_tradovate.book.orders.values()
    fake_tradovate.book.cancel(far_at_broker.id)
    assert (filled_at_broker.status, far_at_broker.status) == ("Filled", "Canceled")
    assert broker_net(fake_tradovate) == 2

    second = await start(server_config(database_url))
    try:
        async with VigilClient(second.address) as client:

            async def ended() -> bool:
                states = [await order_status(client, o.order.order_id) for o in (resting, far)]
                return states == ["filled", "cancelled"]

            await eventually(ended, timeout=15)
            assert await fills_when(client, 1) == [(resting.order.order_id, 2, bid - 50)]
            (position,) = await client.list_positions("paper")
            assert (position.quantity, position.average_price) == (2, bid - 50)
            trail = await client.list_broker_audit("paper")
            # the broker's fills were booked into the orders before positions were compared: nothing to adopt
            assert not [r for r in trail if r.kind == "reconcile_difference" and r.detail.get("kind") == "position"]
            assert len(await client.list_orders("paper")) == 2  # no extra order made for the fills

            # The trade is right: closing at the broker's bid books the loss of one point on two contracts.
            fake_tradovate.set_market("NQZ6", bid - 52, bid - 51)
            close = await client.submit_order("paper", market(NQ, "sell", 2))
            assert not close.denied, close.order.reason

            async def flat() -> bool:
                flat = [p.quantity for p in await client.list_positions("paper")] in ([], [0])
                return flat and broker_net(fake_tradovate) == 0

            await eventually(flat)
            (trade,) = await client.list_trades(account_id="paper")
            assert (trade.quantity, trade.entry_price, trade.exit_price) == (2, bid - 50, bid - 52)
            assert trade.status.value == "closed"

            # A second reconciliation (periodic or on demand) books nothing again.
            await client.reconcile("paper")
            assert len(await fills_when(client, 2)) == 2
            assert fake_tradovate.book.placements.get(next(iter(fake_tradovate.book.placements))) == 1
    finally:
        await second.stop()
    assert DEFAULT_ACCOUNT_ID in {a for a, _ in fake_tradovate.book.positions}


async def test_a_bracket_exit_that_filled_while_vigil_was_down_fills_the_kernel_exit_at_restart(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OSO legs are found again by their parent (the entry, found by its clOrdId): the take-profit that
    filled at the broker while Vigil was stopped fills the kernel's take-profit, and its stop-loss, ended by the
    broker's OCO, is cancelled; no order of its own is made for the leg's fill."""
    for key, value in fake_tradovate.env().items():
        monkeypatch.setenv(key, value)
    first = await start(server_config(database_url))
    try:
        async with VigilClient(first.address) as client:
            bid = await live_at_kernel_price(client, fake_tradovate)
            placed = await client.submit_bracket(
                "paper", bracket(market(NQ, "buy", 1), stop_loss_price=bid - 60, take_profit_price=bid + 60)
            )
            assert not placed.denied

            async def exits_working() -> bool:
                working = await client.list_orders("paper", open_only=True)
                return sorted(o.status.value for o in working) == ["working", "working"]

            await eventually(exits_working)
    finally:
        await first.stop()
    fake_tradovate.set_market("NQZ6", bid + 60, bid + D("60.25"))  # the take-profit fills, Vigil stopped
    assert sorted(o.status for o in fake_tradovate.book.orders.values()) == ["Canceled", "Filled", "Filled"]

    second = await start(server_config(database_url))
    try:
        async with VigilClient(second.address) as client:

            async def flat() -> bool:
                positions = [p for p in await client.list_positions("paper") if p.quantity]
                return not positions and not await client.list_orders("paper", open_only=True)

            await eventually(flat, timeout=15)
            orders = await client.list_orders("paper")
            assert sorted(o.status.value for o in orders) == ["cancelled", "filled", "filled"]
            assert len(await fills_when(client, 2)) == 2
            account = await client.get_account("paper")
            assert account.realized_pnl == (D(60) - D("0.25")) * 20  # bought at the ask, sold at the target
            assert fake_tradovate.order_requests == 1  # nothing re-sent: the exits were the broker's OSO legs
    finally:
        await second.stop()
