"""Every order path routes to the broker for a LIVE account (against the fake Tradovate): ExecutionService orders,
brackets, modify, cancel, close and flatten; the broker's fills come back into the same kernel orders. A BOUND
account (live routing off) sends nothing on any path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.copying import CopyFollower, CopySourceKind
from clients.sdk.errors import FailedPreconditionError, NotFoundError
from clients.sdk.models import Quote
from clients.sdk.order_specs import bracket, limit, market, stop
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


async def kernel_bid(client: VigilClient) -> Decimal:
    async def quoted() -> Quote | None:
        try:
            return (await client.get_quote("NQ")).quote
        except NotFoundError:  # the simulator's first tick is not there yet
            return None

    return (await eventually(quoted)).bid


async def live_at_kernel_price(client: VigilClient, fake: FakeTradovateBroker) -> Decimal:
    """Bind `paper`, turn live routing on, and put the fake's market where the kernel marks NQ."""
    await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
    await client.set_live_routing("paper", True, confirm="paper")
    bid = await kernel_bid(client)
    fake.set_market("NQZ6", bid, bid + D("0.25"))
    return bid


def broker_net(fake: FakeTradovateBroker) -> int:
    position = fake.book.positions.get((DEFAULT_ACCOUNT_ID, "NQZ6"))
    return position.net if position is not None else 0


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
        assert broker_net(fake_tradovate) == 2
        # list_orders shows the kernel at once; the fill table is written by the same commit a moment later
        fills = await eventually(lambda: client.list_fills("paper"))
        assert [(f.order_id, f.quantity, f.price) for f in fills] == [(order_id, 2, bid + D("0.25"))]


async def order_status(client: VigilClient, order_id: str) -> str:
    (order,) = [o for o in await client.list_orders("paper") if o.order_id == order_id]
    return order.status.value


async def test_limit_and_stop_orders_rest_at_the_broker_and_modify_and_cancel_follow(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        bid = await live_at_kernel_price(client, fake_tradovate)
        resting = await client.submit_order("paper", limit(NQ, "buy", 1, bid - 50))
        trigger = await client.submit_order("paper", stop(NQ, "buy", 1, bid + 50))
        assert not resting.denied and not trigger.denied
        await eventually(lambda: len(fake_tradovate.book.orders) == 2)
        first, second = fake_tradovate.book.orders.values()
        assert (first.order_type, first.price, first.status) == ("Limit", bid - 50, "Working")
        assert (second.order_type, second.stop_price, second.status) == ("Stop", bid + 50, "Working")

        await client.modify_order(resting.order.order_id, 2, limit_price=bid - 40)
        await eventually(lambda: (first.qty, first.price) == (2, bid - 40))
        await client.cancel_order(trigger.order.order_id)
        await eventually(lambda: second.status == "Canceled")
        assert await order_status(client, trigger.order.order_id) == "cancelled"

        fake_tradovate.set_market("NQZ6", bid - 41, bid - 40)  # the broker's market reaches the limit: it fills

        async def filled() -> bool:
            return await order_status(client, resting.order.order_id) == "filled"

        await eventually(filled)
        (position,) = await client.list_positions("paper")
        assert (position.quantity, position.average_price) == (2, bid - 40)


async def test_a_bracket_is_placed_as_one_oso_and_its_exit_closes_the_kernel_trade(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        bid = await live_at_kernel_price(client, fake_tradovate)
        placed = await client.submit_bracket(
            "paper", bracket(market(NQ, "buy", 1), stop_loss_price=bid - 60, take_profit_price=bid + 60)
        )
        assert not placed.denied
        await eventually(lambda: len(fake_tradovate.book.orders) == 3)
        entry, *legs = fake_tradovate.book.orders.values()
        assert entry.status == "Filled" and {(o.order_type, o.status) for o in legs} == {
            ("Limit", "Working"),
            ("Stop", "Working"),
        }
        assert fake_tradovate.book.placements == {entry.cl_ord_id: 1}  # one placeOSO, legs with it

        async def kernel_exits_working() -> bool:
            working = [o for o in await client.list_orders("paper", open_only=True)]
            return sorted(o.status.value for o in working) == ["working", "working"]

        await eventually(kernel_exits_working)
        fake_tradovate.set_market("NQZ6", bid + 60, bid + D("60.25"))  # the take-profit fills at the broker

        async def flat() -> bool:
            positions = [p for p in await client.list_positions("paper") if p.quantity]
            return not positions and not await client.list_orders("paper", open_only=True)

        await eventually(flat)
        statuses = {o.order_id: o.status.value for o in await client.list_orders("paper")}
        assert sorted(statuses.values()) == ["cancelled", "filled", "filled"]
        account = await client.get_account("paper")
        assert account.realized_pnl == (D(60) - D("0.25")) * 20  # bought at the ask, sold at the target
        assert fake_tradovate.order_requests == 1  # the stop-loss ended with its OCO sibling, at the broker


async def test_close_and_flatten_liquidate_at_the_broker(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        await live_at_kernel_price(client, fake_tradovate)
        await client.submit_order("paper", market(NQ, "buy", 2))
        await eventually(lambda: broker_net(fake_tradovate) == 2)

        async def kernel_holds(quantity: int) -> bool:
            return sum(p.quantity for p in await client.list_positions("paper")) == quantity

        await eventually(lambda: kernel_holds(2))
        await client.close_position("paper", NQ)
        await eventually(lambda: broker_net(fake_tradovate) == 0)
        await eventually(lambda: kernel_holds(0))
        assert not await client.list_orders("paper", open_only=True)  # the close order is the liquidation's

        await client.submit_order("paper", market(NQ, "sell", 1))
        await eventually(lambda: kernel_holds(-1))
        ask = (await client.get_quote("NQ")).quote.ask
        resting = await client.submit_order("paper", limit(NQ, "sell", 1, ask + 50))
        await eventually(lambda: any(o.status == "Working" for o in fake_tradovate.book.orders.values()))
        await client.flatten_account("paper")
        await eventually(lambda: fake_tradovate.book.open_orders(DEFAULT_ACCOUNT_ID) == [])
        await eventually(lambda: broker_net(fake_tradovate) == 0)
        await eventually(lambda: kernel_holds(0))
        assert await order_status(client, resting.order.order_id) == "cancelled"
        assert not await client.list_orders("paper", open_only=True)


async def test_a_live_follower_of_a_paper_leader_trades_at_the_broker_and_follows_the_exit(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        follower = (await client.create_account("prop-eval")).account_id
        await client.bind_account(follower, "tradovate", DEFAULT_ACCOUNT)
        await client.set_live_routing(follower, True, confirm=follower)
        bid = await kernel_bid(client)
        fake_tradovate.set_market("NQZ6", bid, bid + D("0.25"))
        group = await client.create_copy_group(
            "evals", CopySourceKind.ACCOUNT, "paper", [CopyFollower.fixed(follower, 2)]
        )

        leader = await client.submit_order("paper", market(NQ, "buy", 1))  # the leader trades on paper
        assert not leader.denied
        await eventually(lambda: broker_net(fake_tradovate) == 2)

        async def follower_holds(quantity: int) -> bool:
            return sum(p.quantity for p in await client.list_positions(follower)) == quantity

        await eventually(lambda: follower_holds(2))
        (outcome,) = await client.list_copy_outcomes(group=group.group_id)
        assert (outcome.account_id, outcome.status.value, outcome.quantity) == (follower, "placed", 2)

        async def leader_holds(quantity: int) -> bool:
            return sum(p.quantity for p in await client.list_positions("paper")) == quantity

        await eventually(lambda: leader_holds(1))
        await client.close_position("paper", NQ)  # the leader's exit follows to the follower, at the broker
        await eventually(lambda: broker_net(fake_tradovate) == 0)
        await eventually(lambda: follower_holds(0))


async def test_a_bound_account_with_routing_off_sends_nothing_on_any_path(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        bid = await kernel_bid(client)
        follower = (await client.create_account("prop-eval")).account_id
        await client.bind_account(follower, "tradovate", DEFAULT_ACCOUNT)  # BOUND: live routing off
        await client.create_copy_group("evals", CopySourceKind.ACCOUNT, "paper", [CopyFollower.fixed(follower, 1)])
        leader = await client.submit_order("paper", market(NQ, "buy", 1))  # its copy is refused, the leader's not
        assert not leader.denied

        async def copy_refused() -> bool:
            (outcome,) = await client.list_copy_outcomes(account_id=follower)
            return outcome.status.value != "placed" and "live routing is off" in outcome.detail

        await eventually(copy_refused)

        calls = (
            client.submit_order(follower, market(NQ, "buy", 1)),
            client.submit_order(follower, limit(NQ, "buy", 1, bid - 50)),
            client.submit_order(follower, stop(NQ, "buy", 1, bid + 50)),
            client.submit_bracket(
                follower, bracket(market(NQ, "buy", 1), stop_loss_price=bid - 60, take_profit_price=bid + 60)
            ),
            client.submit_oco(follower, limit(NQ, "buy", 1, bid - 50), stop(NQ, "buy", 1, bid + 50)),
            client.close_position(follower, NQ),
            client.flatten_account(follower),
            client.reverse_position(follower, NQ),
            client.cancel_all_orders(follower),
        )
        for call in calls:
            with pytest.raises(FailedPreconditionError, match="live routing is off"):
                await call
        with pytest.raises(FailedPreconditionError, match="live routing is off"):
            await client.submit_broker_order(follower, "cid-1", "NQZ6", "buy", 1)
        assert fake_tradovate.order_requests == 0 and fake_tradovate.book.orders == {}
        (copied,) = await client.list_orders(follower)  # the refused calls changed nothing in the kernel
        assert copied.placed_by.startswith("copy:") and copied.status.value == "denied"
        assert "live routing is off" in copied.reason


async def test_after_a_restart_a_resting_order_is_found_again_at_the_broker_and_its_fill_fills_it(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fake_tradovate.env().items():
        monkeypatch.setenv(key, value)
    first = await start(server_config(database_url))
    try:
        async with VigilClient(first.address) as client:
            bid = await live_at_kernel_price(client, fake_tradovate)
            resting = await client.submit_order("paper", limit(NQ, "buy", 1, bid - 50))
            await eventually(lambda: [o.status for o in fake_tradovate.book.orders.values()] == ["Working"])
    finally:
        await first.stop()
    second = await start(server_config(database_url))
    try:
        async with VigilClient(second.address) as client:
            assert await order_status(client, resting.order.order_id) == "working"

            async def reconciled() -> bool:  # reconnected: the broker's book was read, the order found again
                (state,) = [s for s in await client.list_brokers() if "paper" in s.account_ids]
                return state.state == "connected"

            await eventually(reconciled)
            trail = await client.list_broker_audit("paper")  # found again as Vigil's own: not an unknown order
            assert not [r for r in trail if r.kind == "reconcile_difference"]
            fake_tradovate.set_market("NQZ6", bid - 51, bid - 50)

            async def filled() -> bool:
                return await order_status(client, resting.order.order_id) == "filled"

            await eventually(filled)
            assert len(await client.list_orders("paper")) == 1  # its own fill, not a second order
            assert fake_tradovate.book.placements == {next(iter(fake_tradovate.book.placements)): 1}
    finally:
        await second.stop()


async def test_the_kernel_risk_check_decides_a_live_order_before_anything_is_sent(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        await live_at_kernel_price(client, fake_tradovate)
        await client.emergency_stop("test: no new risk")
        denied = await client.submit_order("paper", market(NQ, "buy", 1))
        assert denied.denied and "emergency stop" in denied.order.reason
        spec = bracket(market(NQ, "buy", 1), stop_loss_points=20, take_profit_r=2)
        bracketed = await client.submit_bracket("paper", spec)
        assert bracketed.denied
        assert fake_tradovate.order_requests == 0 and fake_tradovate.book.orders == {}
