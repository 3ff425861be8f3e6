"""ProjectX order routing against the fake gateway: market and bracket round trips through the user hub, rejects,
lost acknowledgements resolved by customTag, flatten; and a ProjectX-bound account end to end through the server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from clients.sdk import VigilClient
from clients.sdk.brokers import Broker, BrokerAuditRecord
from clients.sdk.errors import NotFoundError
from clients.sdk.order_specs import bracket, limit, market
from core_server.app import RunningServer, start
from core_server.brokers.credentials import projectx_config, projectx_user_hub_url
from core_server.brokers.model import BrokerFill, BrokerOrderRequest, BrokerPosition
from core_server.brokers.projectx import ProjectXBroker
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID, API_KEY, FakeProjectXBroker
from core_server.model.clock import LiveClock
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal
NQ = "CON.F.US.ENQ.Z26"
ACCOUNT = str(ACCOUNT_ID)


@pytest.fixture
async def projectx(fake_projectx: FakeProjectXBroker) -> AsyncIterator[tuple[ProjectXBroker, list[BrokerFill]]]:
    env = fake_projectx.env()
    config = projectx_config(env, fake_projectx.api_url)
    fills: list[BrokerFill] = []
    broker = ProjectXBroker(
        config, projectx_user_hub_url(env, config), LiveClock(), on_fill=lambda a, f: fills.append(f)
    )
    await broker.connect()
    try:
        yield broker, fills
    finally:
        await broker.close()


def request(cid: str, side: str = "Buy", qty: int = 1, kind: str = "Market", **prices: Any) -> BrokerOrderRequest:
    return BrokerOrderRequest(cid, NQ, side, qty, kind, **prices)


async def test_market_order_fills_once_through_the_user_hub(
    fake_projectx: FakeProjectXBroker, projectx: tuple[ProjectXBroker, list[BrokerFill]]
) -> None:
    broker, fills = projectx
    fake_projectx.duplicate_events(10)
    placed = await broker.place(ACCOUNT, request("p-1"))
    assert placed.accepted
    await eventually(lambda: len(fills) == 1)
    assert (fills[0].side, fills[0].price, fills[0].symbol) == ("Buy", D("25000.25"), NQ)
    assert await broker.broker_positions(ACCOUNT) == (BrokerPosition(NQ, 1, D("25000.25")),)


async def test_bracket_legs_in_ticks_appear_when_the_entry_fills_and_the_stop_exits(
    fake_projectx: FakeProjectXBroker, projectx: tuple[ProjectXBroker, list[BrokerFill]]
) -> None:
    broker, fills = projectx
    prices = {"limit_price": D("24995.00"), "take_profit": D("25005.00"), "stop_loss": D("24990.00")}
    placed = await broker.place(ACCOUNT, request("p-2", kind="Limit", **prices))
    assert placed.accepted
    assert [o.order_id for o in await broker.open_orders(ACCOUNT)] == [placed.order_id]  # legs not yet
    fake_projectx.set_market(NQ, "24994.75", "24995.00")
    await eventually(lambda: len(fills) == 1)
    legs = {o.order_type: o for o in await broker.open_orders(ACCOUNT)}
    assert (legs["Limit"].limit_price, legs["Stop"].stop_price) == (D("25005.00"), D("24990.00"))
    fake_projectx.set_market(NQ, "24989.75", "24990.00")
    await eventually(lambda: len(fills) == 2)
    assert (fills[1].side, fills[1].price) == ("Sell", D("24989.75"))
    assert await broker.open_orders(ACCOUNT) == () and await broker.broker_positions(ACCOUNT) == ()


async def test_rejects_lost_ack_modify_cancel_and_flatten(
    fake_projectx: FakeProjectXBroker, projectx: tuple[ProjectXBroker, list[BrokerFill]]
) -> None:
    broker, fills = projectx
    fake_projectx.book.market_open = False
    closed = await broker.place(ACCOUNT, request("p-3"))
    assert not closed.accepted and closed.reason.startswith("errorCode 5")
    fake_projectx.book.market_open = True
    assert (await broker.place(ACCOUNT, request("p-4", qty=3))).reason.startswith("errorCode 2: Insufficient margin")
    fake_projectx.drop_after_send()
    lost = await broker.place(ACCOUNT, request("p-5", kind="Limit", limit_price=D("24900.00")))
    assert lost.accepted and lost.recovered
    assert await broker.place(ACCOUNT, request("p-5", kind="Limit", limit_price=D("24900.00"))) == lost
    assert fake_projectx.book.placements["p-5"] == 1
    assert (await broker.modify(ACCOUNT, lost.order_id, 1, D("24905.00"), None)).accepted
    assert (await broker.open_orders(ACCOUNT))[0].limit_price == D("24905.00")
    await broker.place(ACCOUNT, request("p-6", side="Sell"))
    await eventually(lambda: len(fills) == 1)
    report = await broker.flatten("A-1", ACCOUNT)
    assert report.cancelled == (lost.order_id,) and report.closed == (NQ,) and report.remaining == ()


@pytest.fixture
async def projectx_server(
    database_url: str, fake_projectx: FakeProjectXBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningServer]:
    for key, value in fake_projectx.env().items():
        monkeypatch.setenv(key, value)
    running = await start(server_config(database_url))
    try:
        yield running
    finally:
        await running.stop()


async def test_a_projectx_bound_account_routes_and_its_fills_enter_the_kernel(
    projectx_server: RunningServer, fake_projectx: FakeProjectXBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    async with VigilClient(projectx_server.address) as client:
        await client.bind_account("paper", Broker.PROJECTX, ACCOUNT, fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")
        placed = await client.submit_broker_order("paper", "x-1", NQ, "sell", 1)
        assert placed.accepted
        positions = await eventually(lambda: client.list_positions("paper"))
        assert [(p.contract_id, p.quantity, p.average_price) for p in positions] == [("NQZ2026", -1, D("25000.00"))]
        (state,) = [b for b in await client.list_brokers() if b.broker is Broker.PROJECTX]
        assert state.state == "connected" and state.account_ids == ("paper",)
        fake_projectx.tokens.expire_all()  # a call refused with 401: a fresh login, the call sent once more
        assert (await client.reconcile("paper")).differences == ()
    captured = capsys.readouterr()
    tokens = list(fake_projectx.tokens.expiry)
    assert len(tokens) == 2
    for secret in (API_KEY, *tokens):
        assert secret not in captured.out and secret not in captured.err


async def test_execution_service_orders_and_brackets_route_to_a_live_projectx_account(
    projectx_server: RunningServer, fake_projectx: FakeProjectXBroker
) -> None:
    async with VigilClient(projectx_server.address) as client:
        await client.bind_account("paper", Broker.PROJECTX, ACCOUNT, fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")

        async def quoted() -> Decimal | None:
            try:
                return (await client.get_quote("NQ")).quote.bid
            except NotFoundError:
                return None

        bid = await eventually(quoted)
        fake_projectx.set_market(NQ, bid, bid + D("0.25"))

        async def kernel_holds(quantity: int) -> bool:
            return sum(p.quantity for p in await client.list_positions("paper")) == quantity

        bought = await client.submit_order("paper", market("NQZ2026", "buy", 1))
        assert not bought.denied
        await eventually(lambda: kernel_holds(1))
        # the kernel's position moves at the commit, the fill table a moment later (it is written with the journal)
        (fill,) = await eventually(lambda: client.list_fills("paper"))
        assert (fill.order_id, fill.price) == (bought.order.order_id, bid + D("0.25"))
        await client.close_position("paper", "NQZ2026")  # Position/closeContract
        await eventually(lambda: kernel_holds(0))

        entry_price = bid + D("0.25")  # a limit entry at the broker's ask: it fills, and its legs appear
        placed = await client.submit_bracket(
            "paper",
            bracket(limit("NQZ2026", "buy", 1, entry_price), stop_loss_price=bid - 60, take_profit_price=bid + 60),
        )
        assert not placed.denied
        await eventually(lambda: kernel_holds(1))
        legs = [o for o in fake_projectx.book.orders.values() if o.parent_id is not None]
        assert sorted((o.order_type, o.status) for o in legs) == [("Limit", "Working"), ("Stop", "Working")]
        fake_projectx.set_market(NQ, bid + 61, bid + D("61.25"))  # the take-profit fills at the gateway

        async def flat() -> bool:
            return await kernel_holds(0) and not await client.list_orders("paper", open_only=True)

        await eventually(flat)
        statuses = sorted(o.status.value for o in await client.list_orders("paper"))
        assert statuses == ["cancelled", "filled", "filled", "filled", "filled"]


async def test_two_brackets_with_equal_prices_leg_fills_are_matched_by_side_and_price_without_ambiguity(
    projectx_server: RunningServer, fake_projectx: FakeProjectXBroker
) -> None:
    """ProjectX returns only the entry's orderId for a bracket (PROTOCOLS.md §2.3); its legs appear later as
    orders of their own carrying no parent id (GatewayUserOrder has none, §2.6). So a leg's fill is matched to the
    kernel's exit by contract, side and price: the take-profit when the price reached its limit, else the stop.
    Two brackets with equal prices make that ambiguous, and harmlessly so: their legs are interchangeable (same
    contract, side, size and prices), so whichever kernel bracket the fill closes, the kernel's book (one
    position, one take-profit and one stop still working) is the broker's."""
    async with VigilClient(projectx_server.address) as client:
        await client.bind_account("paper", Broker.PROJECTX, ACCOUNT, fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")

        async def quoted() -> Decimal | None:
            try:
                return (await client.get_quote("NQ")).quote.bid
            except NotFoundError:
                return None

        bid = await eventually(quoted)
        fake_projectx.set_market(NQ, bid, bid + D("0.25"))
        entry = bid + D("0.25")  # at the broker's ask: each entry fills at once and its legs appear
        spec = bracket(limit("NQZ2026", "buy", 1, entry), stop_loss_price=bid - 60, take_profit_price=bid + 60)
        first = await client.submit_bracket("paper", spec)
        second = await client.submit_bracket("paper", spec)
        assert not first.denied and not second.denied

        def working_legs() -> list[tuple[str, int | None, str]]:
            legs = [o for o in fake_projectx.book.orders.values() if o.parent_id is not None]
            return sorted((o.order_type, o.parent_id, o.status) for o in legs if o.status == "Working")

        await eventually(lambda: len(working_legs()) == 4)

        async def open_exits() -> list[tuple[str, str]]:
            orders = await client.list_orders("paper", open_only=True)
            return sorted((o.order_type.value, o.bracket_id) for o in orders)

        # The exchange fills one take-profit only (queue position): the SECOND bracket's, at the broker.
        (late_tp,) = [
            o for o in fake_projectx.book.orders.values()
            if o.parent_id == max(o.parent_id or 0 for o in fake_projectx.book.orders.values())
            and o.order_type == "Limit"
        ]  # fmt: skip
        fake_projectx.book._fill(late_tp, 1, bid + 60)

        async def one_left() -> bool:
            return sum(p.quantity for p in await client.list_positions("paper")) == 1 and len(await open_exits()) == 2

        await eventually(one_left)
        # The kernel closed one bracket with it (the first, by its order): one take-profit and one stop of the same
        # bracket stay working, as at the broker (the filled leg's stop was cancelled by the gateway's OCO).
        ((_, bracket_a), (_, bracket_b)) = await open_exits()
        assert bracket_a == bracket_b
        assert [status for _, _, status in working_legs()] == ["Working", "Working"]

        fake_projectx.set_market(NQ, bid - 61, bid - D("60.75"))  # the remaining stop fills at the gateway

        async def flat() -> bool:
            positions = await client.list_positions("paper")
            return sum(p.quantity for p in positions) == 0 and not await client.list_orders("paper", open_only=True)

        await eventually(flat)
        assert working_legs() == []
        # one position round trip: take-profit (+59.75 points) and stop (-61.25 points, a stop fills at the bid
        # once triggered) on one contract each, $20 a point: 1195.00 - 1225.00 = -30.00 gross
        (trade,) = await client.list_trades(account_id="paper")
        assert (trade.quantity, trade.entry_price, trade.status.value) == (2, entry, "stopped_out")
        (position,) = await client.list_positions("paper")
        assert (position.quantity, position.realized_pnl) == (0, D("-30.00"))

        async def four_fills() -> list[tuple[str, Decimal]] | None:
            fills = sorted((f.order_id, f.price) for f in await client.list_fills("paper"))
            return fills if len(fills) == 4 else None

        fills = await eventually(four_fills)
        assert sorted(price for _, price in fills) == [bid - 61, entry, entry, bid + 60]
        assert sorted(o.status.value for o in await client.list_orders("paper")) == [
            "cancelled", "cancelled", "filled", "filled", "filled", "filled",
        ]  # fmt: skip


async def test_a_dropped_user_hub_reconnects_by_itself_and_an_order_filled_meanwhile_fills_once(
    projectx_server: RunningServer, fake_projectx: FakeProjectXBroker
) -> None:
    async with VigilClient(projectx_server.address) as client:
        await client.bind_account("paper", Broker.PROJECTX, ACCOUNT, fake_projectx.api_url)
        await client.set_live_routing("paper", True, confirm="paper")

        async def quoted() -> Decimal | None:
            try:
                return (await client.get_quote("NQ")).quote.bid
            except NotFoundError:
                return None

        bid = await eventually(quoted)
        fake_projectx.set_market(NQ, bid, bid + D("0.25"))
        resting = await client.submit_order("paper", limit("NQZ2026", "buy", 1, bid - 40))
        assert not resting.denied
        await eventually(lambda: [o.status for o in fake_projectx.book.orders.values()] == ["Working"])
        await eventually(lambda: len(fake_projectx.hubs) == 1)
        (old,) = fake_projectx.hubs
        assert projectx_server.brokers is not None
        # The first send's connect is reconciled after the send: done before the drop, or that deferred reconcile
        # (reading through the dropped link) reconnects it instead of the desk's reconnect loop.
        await asyncio.wait_for(projectx_server.brokers.settle(), 15)

        fake_projectx.refuse_hubs = True
        await fake_projectx.drop_hubs()

        async def shown_reconnecting() -> bool:
            (state,) = [b for b in await client.list_brokers() if b.broker is Broker.PROJECTX]
            return state.state == "disconnected" and state.detail.startswith("reconnecting in")

        await eventually(shown_reconnecting)
        fake_projectx.set_market(NQ, bid - D("40.25"), bid - 40)  # fills at the gateway while the hub is down
        fake_projectx.refuse_hubs = False
        await eventually(lambda: [h is not old for h in fake_projectx.hubs] == [True], timeout=15)

        async def filled() -> bool:
            (order,) = [o for o in await client.list_orders("paper") if o.order_id == resting.order.order_id]
            return order.status.value == "filled"

        await eventually(filled)
        fills = await eventually(lambda: client.list_fills("paper"))
        assert [(f.order_id, f.quantity, f.price) for f in fills] == [(resting.order.order_id, 1, bid - 40)]

        async def reconciled() -> list[BrokerAuditRecord] | None:
            trail = await client.list_broker_audit("paper")
            return trail if any(r.kind == "reconnected" and r.actor == "reconcile:reconnect" for r in trail) else None

        trail = await eventually(reconciled)
        assert not [r for r in trail if r.kind == "reconcile_difference"]

        sold = await client.submit_order("paper", market("NQZ2026", "sell", 1))  # later orders route as before
        assert not sold.denied

        async def flat() -> bool:
            return sum(p.quantity for p in await client.list_positions("paper")) == 0

        await eventually(flat)
        assert len(await client.list_orders("paper")) == 2


async def test_closing_a_contract_reads_its_working_orders_only_when_the_user_hub_cannot_vouch_for_them(
    fake_projectx: FakeProjectXBroker, projectx: tuple[ProjectXBroker, list[BrokerFill]]
) -> None:
    """A close cancels the contract's working orders first (a stop left behind could open a position). Their read
    (`Order/searchOpen`) is skipped once the hub's events have been baselined by a read in this hub session, and
    when Vigil never placed a bracket entry in the contract (its legs appear at the gateway later)."""
    broker, fills = projectx

    async def close(reads: int) -> None:
        fake_projectx.requests.clear()
        assert await broker.close_contract(ACCOUNT, NQ)
        assert fake_projectx.requests["order/searchopen"] == reads
        await eventually(lambda: fake_projectx.book.positions.get((ACCOUNT_ID, NQ)) is None or
                         fake_projectx.book.positions[(ACCOUNT_ID, NQ)].net == 0)  # fmt: skip

    assert broker.known_working(ACCOUNT, NQ) is None  # nothing read yet in this hub session
    assert (await broker.place(ACCOUNT, request("w-1"))).accepted
    await eventually(lambda: len(fills) == 1)
    await close(reads=1)  # the first close reads, and that read is the baseline
    assert broker.known_working(ACCOUNT, NQ) == []

    assert (await broker.place(ACCOUNT, request("w-2"))).accepted
    outside = fake_projectx.book.place(ACCOUNT_ID, NQ, "Sell", 1, "Limit", D("25100.00"))  # from another platform
    await eventually(lambda: broker.known_working(ACCOUNT, NQ) == [str(outside.id)])
    await close(reads=0)  # known from the hub: cancelled without a read
    assert fake_projectx.book.orders[outside.id].status == "Canceled"
    await eventually(lambda: broker.known_working(ACCOUNT, NQ) == [])

    await fake_projectx.drop_hubs()  # events of the gap may be lost: the next close reads again
    await eventually(lambda: broker.known_working(ACCOUNT, NQ) is None)


async def test_a_contract_vigil_placed_a_bracket_in_is_read_at_every_close(
    fake_projectx: FakeProjectXBroker, projectx: tuple[ProjectXBroker, list[BrokerFill]]
) -> None:
    broker, fills = projectx
    await broker.open_orders(ACCOUNT)  # a baseline
    assert broker.known_working(ACCOUNT, NQ) == []
    prices = {"limit_price": D("24995.00"), "take_profit": D("25005.00"), "stop_loss": D("24990.00")}
    assert (await broker.place(ACCOUNT, request("w-3", kind="Limit", **prices))).accepted
    assert broker.known_working(ACCOUNT, NQ) is None  # its legs come when it fills, their events later
    fake_projectx.set_market(NQ, "24994.75", "24995.00")
    await eventually(lambda: len(fills) == 1)
    fake_projectx.requests.clear()
    assert await broker.close_contract(ACCOUNT, NQ)
    assert fake_projectx.requests["order/searchopen"] == 1
    assert fake_projectx.requests["order/cancel"] == 2  # both legs, found by the read
    assert await broker.open_orders(ACCOUNT) == ()
