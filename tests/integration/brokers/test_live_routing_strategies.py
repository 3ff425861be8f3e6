"""A strategy's orders on a LIVE account go to the broker (the fake Tradovate), through the same wiring as the
server (route_live_accounts) around the live core of the test kit: the first-hour breakout's ladder of bracket
entries rests at the broker, one of them fills there, and its fill enters the kernel as the strategy's own order."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from core_server.brokers.desk import BrokerDesk
from core_server.brokers.model import BrokerKind
from core_server.execution.events import OrderDenied
from core_server.execution.model import OrderRole, OrderStatus
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, DEFAULT_ACCOUNT_ID, FakeTradovateBroker
from core_server.kernel.output import KernelOutput
from core_server.live.broker_fills import KernelMirror
from core_server.live.broker_risk import BrokerRiskCheck
from core_server.live.broker_router import BrokerRouter, route_live_accounts
from core_server.model.instruments import Contract
from core_server.model.market_data import Tick
from core_server.storage.brokers import BrokerRepository
from tests.kit.eventually import eventually
from tests.kit.feeds import trade
from tests.kit.live import PAPER, LiveRig, open_live
from tests.kit.time import et

D = Decimal
ES = Contract("ES", 2026, 12)
BREAKOUT = """
name = "fhb"
kind = "first_hour_breakout"
account = "paper"
instrument = "ES"
enabled = true
"""


def tk(hour: int, minute: int, price: str) -> Tick:
    return trade(ES, et(2026, 11, 18, hour, minute), price)


async def live_rig(pool: asyncpg.Pool, fake: FakeTradovateBroker, live: bool) -> tuple[LiveRig, BrokerRouter]:
    rig = await open_live(pool, [ES], et(2026, 11, 18, 9, 0))
    mirror = KernelMirror(rig.core.execution, rig.clock)
    desk = BrokerDesk(
        BrokerRepository(pool), rig.clock, fake.env(), pre_trade=BrokerRiskCheck(rig.core.shell), mirror=mirror
    )
    router = route_live_accounts(desk, rig.core.shell, rig.core.execution, mirror)
    await desk.load()
    await desk.bind(PAPER, BrokerKind.TRADOVATE, "demo", DEFAULT_ACCOUNT, "test")
    if live:
        await desk.set_live(PAPER, True, "test")
    return rig, router


async def run_breakout(rig: LiveRig) -> None:
    loaded = await rig.core.strategies.load(BREAKOUT, "toml")
    assert loaded.changed
    rig.clock.set_ns(et(2026, 11, 18, 9, 30))
    rig.play([tk(9, 30, "6000.00"), tk(9, 45, "6004.00"), tk(9, 55, "5998.00")])
    rig.advance(et(2026, 11, 18, 10, 30))  # the first hour ends: the ladder of bracket entries is placed
    await rig.stored()


async def test_a_strategy_ladder_on_a_live_account_rests_and_fills_at_the_broker(
    pg_pool: asyncpg.Pool, fake_tradovate: FakeTradovateBroker
) -> None:
    fake_tradovate.set_market("ESZ6", D("6001.00"), D("6001.25"))
    rig, router = await live_rig(pg_pool, fake_tradovate, live=True)
    await run_breakout(rig)
    await router.drain()
    entries = [o for o in rig.core.kernel.execution.open_orders(PAPER) if o.role is OrderRole.BRACKET_ENTRY]
    assert len(entries) == 10
    working = [o for o in fake_tradovate.book.orders.values() if o.status == "Working"]
    resting = sorted((o.action, o.order_type, o.price) for o in working)
    assert resting == [("Buy", "Limit", D(p)) for p in ("5953.00", "5962.00", "5971.00", "5980.00", "5989.00")] + [
        ("Sell", "Limit", D(p)) for p in ("6013.00", "6022.00", "6031.00", "6040.00", "6049.00")
    ]  # the fade ladder: buy limits under the first hour's range, sell limits over it
    assert router.sent == 10

    fake_tradovate.set_market("ESZ6", D("6013.00"), D("6013.25"))  # the fade's first sell limit fills there
    await eventually(lambda: rig.core.kernel.execution.position(PAPER, ES.id).net_qty == -1)
    filled = [o for o in rig.core.kernel.execution.orders(PAPER) if o.status is OrderStatus.FILLED]
    assert [(o.role, o.tag.startswith("broker:")) for o in filled] == [(OrderRole.BRACKET_ENTRY, False)]
    assert fake_tradovate.book.positions[(DEFAULT_ACCOUNT_ID, "ESZ6")].net == -1
    # Its exits were distances from the fill: sent once the kernel anchored them there, a buy stop and a buy limit.
    await router.drain()
    await eventually(lambda: len(fake_tradovate.book.orders) == 12)
    exits = list(fake_tradovate.book.orders.values())[10:]
    assert sorted((o.action, o.order_type, o.status) for o in exits) == [
        ("Buy", "Limit", "Working"),
        ("Buy", "Stop", "Working"),
    ]


async def test_a_strategy_on_a_bound_account_sends_nothing(
    pg_pool: asyncpg.Pool, fake_tradovate: FakeTradovateBroker
) -> None:
    rig, router = await live_rig(pg_pool, fake_tradovate, live=False)
    outputs: list[KernelOutput] = []
    rig.core.shell.output_listeners.append(outputs.append)
    await run_breakout(rig)
    await router.drain()
    assert rig.core.kernel.execution.open_orders(PAPER) == ()
    # read from the kernel's outputs: finished orders leave the engine's memory at the trading-day roll
    denied = [e for out in outputs for step in out.execution for e in step.events if isinstance(e, OrderDenied)]
    assert denied and router.sent == 0
    assert fake_tradovate.order_requests == 0 and fake_tradovate.book.orders == {}
