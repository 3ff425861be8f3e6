"""A LIVE account across the front-month roll, against the fake Tradovate and the fake ProjectX: its resting order
in the old month is cancelled at the broker, its position there is closed at the broker by the roll (a reduce-only
market order, booked from the broker's fill, the trade closed with the reason `roll`), and `NQ1!` then sends the
new month to the broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.brokers import Broker
from clients.sdk.order_specs import limit, market
from core_server.app import RunningServer, start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.fakes.broker_book import FakeContract
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID as PROJECTX_ACCOUNT_ID
from core_server.feeds.fakes.projectx_orders import FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, DEFAULT_ACCOUNT_ID, FakeTradovateBroker
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from tests.kit.eventually import eventually
from tests.kit.feeds import ScriptedFeed, quote
from tests.kit.server import server_config
from tests.kit.time import ct

D = Decimal
OLD, NEW = Contract("NQ", 2026, 12), Contract("NQ", 2027, 3)
ROLL = ct(2026, 12, 9, 17, 0)


class RollingScriptedFeed(ScriptedFeed):
    """The scripted feed, able to add a contract (the roller asks it to): the test quotes it."""

    def __init__(self, contracts: Sequence[Contract], clock: TestClock) -> None:
        super().__init__(contracts, clock=clock)
        self.added: list[Contract] = []

    def add_contract(self, contract: Contract) -> None:
        self.added.append(contract)
        self._contracts += (contract.id,)


@dataclass
class Fake:
    broker: Broker
    account: str
    old: str  # the contracts as the broker names them
    new: str
    server: FakeTradovateBroker | FakeProjectXBroker
    environment: str

    def net(self, symbol: str) -> int:
        if isinstance(self.server, FakeTradovateBroker):
            position = self.server.book.positions.get((DEFAULT_ACCOUNT_ID, symbol))
            return position.net if position is not None else 0
        return sum(p.net for (_, c), p in self.server.book.positions.items() if c == symbol)

    def orders(self) -> list[tuple[str, str, str, int, str]]:
        return [(o.symbol, o.action, o.order_type, o.qty, o.status) for o in self.server.book.orders.values()]


@pytest.fixture(params=["tradovate", "projectx"])
async def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Fake]:
    server: FakeTradovateBroker | FakeProjectXBroker
    if request.param == "tradovate":
        server = FakeTradovateBroker(heartbeat_s=0.5)
        found = Fake(Broker.TRADOVATE, DEFAULT_ACCOUNT, "NQZ6", "NQH7", server, "demo")
        server.book.add_contract(FakeContract("NQH7", 3570921, D("0.25"), D(20), D(20000)))
    else:
        server = FakeProjectXBroker()
        found = Fake(Broker.PROJECTX, str(PROJECTX_ACCOUNT_ID), "CON.F.US.ENQ.Z26", "CON.F.US.ENQ.H27", server, "")
        server.book.add_contract(FakeContract("CON.F.US.ENQ.H27", 9, D("0.25"), D(20), D(20000)))
    await server.start()
    if isinstance(server, FakeProjectXBroker):
        found.environment = server.api_url
    server.set_market(found.old, "25000.00", "25000.25")
    server.set_market(found.new, "25100.00", "25100.25")
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield found
    finally:
        await server.close()


async def _start(database_url: str, clock: TestClock) -> tuple[RunningServer, RollingScriptedFeed]:
    feed = RollingScriptedFeed([OLD], clock)
    plan = FeedPlan(feed, realtime=True, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQ1!",)), clock=clock, feed_plan=plan)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)
    binding.on_ticks([quote(OLD, clock.now_ns(), "25000.00", "25000.25")])
    return running, feed


async def test_a_live_position_in_the_old_month_is_closed_at_the_broker_by_the_roll(
    database_url: str, fake: Fake
) -> None:
    clock = TestClock(ROLL - 30 * NS_PER_SECOND)
    running, feed = await _start(database_url, clock)
    try:
        async with VigilClient(running.address) as client:
            await client.bind_account("paper", fake.broker, fake.account, fake.environment)
            await client.set_live_routing("paper", True, confirm="paper")
            bought = await client.submit_order("paper", market("NQ1!", "buy", 1))
            assert bought.order.contract_id == OLD.id
            await eventually(lambda: fake.net(fake.old) == 1)

            async def held(contract_id: str) -> int:
                return sum(p.quantity for p in await client.list_positions("paper") if p.contract_id == contract_id)

            await eventually(lambda: held(OLD.id))
            (opened,) = await client.list_trades(open_only=True)
            resting = await client.submit_order("paper", limit("NQ1!", "sell", 1, "26000.00", time_in_force="gtc"))
            assert not resting.denied, resting.order.reason
            await eventually(lambda: (fake.old, "Sell", "Limit", 1, "Working") in fake.orders())

            clock.set_ns(ROLL + NS_PER_SECOND)
            await eventually(lambda: feed.added == [NEW], timeout=15)
            await eventually(lambda: fake.net(fake.old) == 0)
            assert (fake.old, "Sell", "Market", 1, "Filled") in fake.orders()
            await eventually(lambda: (fake.old, "Sell", "Limit", 1, "Canceled") in fake.orders())

            async def flat_in_old() -> bool:
                return await held(OLD.id) == 0

            await eventually(flat_in_old)

            async def exit_reason() -> str:  # stored with the journal, a moment after the commit
                return (await client.get_trade(opened.trade_id)).exit_reason

            assert await eventually(exit_reason) == "roll"

            running.engine.bindings[0].on_ticks([quote(NEW, clock.now_ns(), "25100.00", "25100.25")])
            after = await client.submit_order("paper", market("NQ1!", "buy", 1))
            assert after.order.contract_id == NEW.id, after.order.reason
            await eventually(lambda: fake.net(fake.new) == 1)
            await eventually(lambda: held(NEW.id))
    finally:
        await running.stop()
