"""A broker-bound LIVE account's bracket entered yesterday, its stop and target still working at the broker today,
across the CME trading-day roll (driven by the injected clock) and a server restart over the same PostgreSQL
store, against the fake Tradovate (OSO legs with parent ids) and the fake ProjectX (legs with no parent id): the
restarted kernel's exits are found again at the broker, the stop's fill there fills the kernel's stop (no order
of its own), the target ends with it (OCO), nothing opens a position and the trade closes as stopped out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.brokers import Broker
from clients.sdk.order_specs import bracket, limit
from core_server.app import RunningServer, start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID as PROJECTX_ACCOUNT_ID
from core_server.feeds.fakes.projectx_orders import FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, DEFAULT_ACCOUNT_ID, FakeTradovateBroker
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from tests.kit.eventually import eventually
from tests.kit.feeds import NQ, ScriptedFeed, quote, trade
from tests.kit.server import server_config
from tests.kit.time import ct

D = Decimal
MONDAY = ct(2026, 11, 16, 9, 0)
ROLL = ct(2026, 11, 16, 18, 0)  # past Monday's 17:00 CT roll
TUESDAY = ct(2026, 11, 17, 9, 0)


@dataclass
class Fake:
    broker: Broker
    account: str
    symbol: str  # the contract as the broker names it
    server: FakeTradovateBroker | FakeProjectXBroker
    environment: str

    def set_market(self, bid: Decimal, ask: Decimal) -> None:
        self.server.set_market(self.symbol, bid, ask)

    def statuses(self) -> list[tuple[str, str]]:
        return sorted((o.order_type, o.status) for o in self.server.book.orders.values())

    def stop_prices(self) -> list[Decimal | None]:
        return [o.stop_price for o in self.server.book.orders.values() if o.order_type == "Stop"]

    def net(self) -> int:
        if isinstance(self.server, FakeTradovateBroker):
            position = self.server.book.positions.get((DEFAULT_ACCOUNT_ID, self.symbol))
            return position.net if position is not None else 0
        return sum(p.net for (_, c), p in self.server.book.positions.items() if c == self.symbol)


@pytest.fixture(params=["tradovate", "projectx"])
async def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Fake]:
    server: FakeTradovateBroker | FakeProjectXBroker
    if request.param == "tradovate":
        server = FakeTradovateBroker(heartbeat_s=0.5)
        await server.start()
        found = Fake(Broker.TRADOVATE, DEFAULT_ACCOUNT, "NQZ6", server, "demo")
    else:
        server = FakeProjectXBroker()
        await server.start()
        found = Fake(Broker.PROJECTX, str(PROJECTX_ACCOUNT_ID), "CON.F.US.ENQ.Z26", server, server.api_url)
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield found
    finally:
        await server.close()


async def _start(database_url: str, clock: TestClock) -> RunningServer:
    plan = FeedPlan(ScriptedFeed([NQ], clock=clock), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQZ2026",)), clock=clock, feed_plan=plan)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)
    binding.on_ticks([quote(NQ, clock.now_ns(), "24999.75", "25000.00")])
    return running


async def live_bracket(client: VigilClient, fake: Fake) -> tuple[str, str, str]:
    """The account bound to the fake and LIVE, then a GTC bracket whose entry fills at the broker's ask (25000.00):
    stop 24975.00, target 25100.00. Its entry, stop and target ids."""
    await client.bind_account("paper", fake.broker, fake.account, fake.environment)
    await client.set_live_routing("paper", True, confirm="paper")
    entry = limit("NQZ2026", "buy", 1, "25000.00", time_in_force="gtc")
    placed = await client.submit_bracket(
        "paper", bracket(entry, stop_loss_price="24975.00", take_profit_price="25100.00")
    )
    entry_id, stop_id, target_id = (o.order_id for o in placed.orders)
    return entry_id, stop_id, target_id


async def exits_working(client: VigilClient) -> bool:
    return sorted(o.status.value for o in await client.list_orders("paper", open_only=True)) == ["working"] * 2


async def test_a_live_bracket_from_yesterday_exits_at_the_broker_after_the_roll_and_a_restart(
    database_url: str, fake: Fake
) -> None:
    fake.set_market(D("24999.75"), D("25000.00"))
    clock = TestClock(MONDAY)
    first = await _start(database_url, clock)
    try:
        async with VigilClient(first.address) as client:
            entry_id, stop_id, target_id = await live_bracket(client, fake)
            await eventually(lambda: fake.statuses() == [("Limit", "Filled"), ("Limit", "Working"),
                                                         ("Stop", "Working")])  # fmt: skip

            await eventually(lambda: exits_working(client))
            (opened,) = await client.list_trades(open_only=True)
            clock.set_ns(ROLL)  # the day rolls: what finished is archived (the entry stays, linked to its exits)
            first.shell.advance()
    finally:
        await first.stop()

    clock = TestClock(TUESDAY)
    second = await _start(database_url, clock)
    try:
        async with VigilClient(second.address) as client:
            await eventually(lambda: exits_working(client))
            # +1R in the kernel's market: break-even moves the bracket's stop to the entry, at the broker too
            tick = TUESDAY + NS_PER_SECOND
            second.engine.bindings[0].on_ticks([trade(NQ, tick, "25025.00"), quote(NQ, tick, "25025.00", "25025.25")])
            await eventually(lambda: fake.stop_prices() == [D("25000.00")])
            fake.set_market(D("24999.75"), D("25000.00"))  # the stop fills at the broker

            async def flat() -> bool:
                held = [p for p in await client.list_positions("paper") if p.quantity]
                return not held and not await client.list_orders("paper", open_only=True)

            await eventually(flat, timeout=15)
            assert fake.statuses() == [("Limit", "Canceled"), ("Limit", "Filled"), ("Stop", "Filled")]
            assert fake.net() == 0
            orders = {o.order_id: o for o in await client.list_orders("paper")}
            assert len(orders) == 3  # the broker's leg fill filled the kernel's stop: no order of its own
            assert [orders[oid].status.value for oid in (entry_id, stop_id, target_id)] == [
                "filled", "filled", "cancelled"
            ]  # fmt: skip

            async def target_reason() -> str | None:  # stored with the journal, a moment after the commit
                (listed,) = [o for o in await client.list_orders("paper") if o.order_id == target_id]
                return listed.reason or None

            assert "oco" in await eventually(target_reason)
            assert {orders[oid].bracket_id for oid in (stop_id, target_id)} == {entry_id}
            closed = await client.get_trade(opened.trade_id)
            assert (closed.status.value, closed.exit_reason) == ("break_even", "stop")
            assert closed.exit_price == D("24999.75")  # the broker's stop filled at the bid
            trail = await client.list_broker_audit("paper")
            assert not [r.detail for r in trail if r.kind == "reconcile_difference"]  # both legs known again
    finally:
        await second.stop()


async def test_a_bracket_leg_that_filled_at_the_broker_while_vigil_was_down_fills_the_kernels_exit_on_restart(
    database_url: str, fake: Fake
) -> None:
    """The target fills at the broker while Vigil is stopped. On restart the catch-up finds that leg in the
    broker's history (Tradovate by its parent id; ProjectX, which names no parent, by contract, side, kind and
    price among the orders made after the entry) and fills the kernel's target with it: the stop ends with it
    (OCO), no order of its own appears, the trade closes at the target, and nothing is left to reconcile."""
    fake.set_market(D("24999.75"), D("25000.00"))
    clock = TestClock(MONDAY)
    first = await _start(database_url, clock)
    try:
        async with VigilClient(first.address) as client:
            entry_id, stop_id, target_id = await live_bracket(client, fake)
            await eventually(lambda: exits_working(client))
            (opened,) = await client.list_trades(open_only=True)
    finally:
        await first.stop()

    fake.set_market(D("25100.00"), D("25100.25"))  # the target fills at the broker, nobody watching
    await eventually(lambda: fake.net() == 0)
    clock = TestClock(MONDAY + 60 * NS_PER_SECOND)
    second = await _start(database_url, clock)
    try:
        async with VigilClient(second.address) as client:

            async def flat() -> bool:
                held = [p for p in await client.list_positions("paper") if p.quantity]
                return not held and not await client.list_orders("paper", open_only=True)

            await eventually(flat, timeout=15)
            orders = {o.order_id: o for o in await client.list_orders("paper")}
            assert len(orders) == 3  # the leg's fill filled the kernel's target: no order of its own
            assert [orders[oid].status.value for oid in (entry_id, stop_id, target_id)] == [
                "filled", "cancelled", "filled"
            ]  # fmt: skip

            async def closed_how() -> tuple[str, Decimal | None] | None:  # stored a moment after the commit
                closed = await client.get_trade(opened.trade_id)
                return (closed.exit_reason, closed.exit_price) if closed.exit_reason else None

            assert await eventually(closed_how) == ("target", D("25100.00"))
            trail = await client.list_broker_audit("paper")
            assert not [r.detail for r in trail if r.kind == "reconcile_difference"]
    finally:
        await second.stop()
