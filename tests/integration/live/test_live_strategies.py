"""Strategies in the live core on real PostgreSQL: every action stored with what it caused, the event log
published with its seq once stored, and an active strategy continuing after a crash (no clean stop: the second
core is built on the store as the first left it, as after kill -9)."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from core_server.execution.model import OrderRole
from core_server.live.journal import STRATEGIES_TOPIC
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from core_server.model.instruments import Contract
from core_server.model.market_data import Tick
from core_server.storage.strategies import StrategyRepository
from core_server.strategies.events import LoggedEvent, Status
from tests.kit.feeds import trade
from tests.kit.live import PAPER, LiveRig, open_live
from tests.kit.time import et

ES = Contract("ES", 2026, 12)
START = et(2026, 11, 18, 9, 0)
BREAKOUT = """
name = "fhb"
kind = "first_hour_breakout"
account = "paper"
instrument = "ES"
enabled = true
"""


def tk(hour: int, minute: int, price: str, day: int = 18) -> Tick:
    return trade(ES, et(2026, 11, day, hour, minute), price)


async def opened(pool: asyncpg.Pool, at: int, prefix: str = "id-") -> LiveRig:
    return await open_live(pool, [ES], at, id_prefix=prefix)


async def test_a_breakout_continues_after_a_crash(pg_pool: asyncpg.Pool) -> None:
    first = await opened(pg_pool, START)
    subscription = first.bus.subscribe(STRATEGIES_TOPIC)
    loaded = await first.core.strategies.load(BREAKOUT, "toml")
    assert loaded.changed and loaded.view.record.status is Status.ACTIVE
    first.clock.set_ns(et(2026, 11, 18, 9, 30))
    first.play([tk(9, 30, "6000.00"), tk(9, 45, "6004.00")])
    await first.stored()
    # Crash in the middle of the first hour: the range so far is stored with the strategy.
    second = await opened(pg_pool, et(2026, 11, 18, 9, 50), "second-")
    rt = second.core.strategies.host.get("fhb")
    assert rt.status is Status.ACTIVE
    assert rt.strategy.state() == {"phase": "collecting", "window_end_ns": et(2026, 11, 18, 10, 30),
                                   "high": 24016, "low": 24000}  # fmt: skip
    second.play([tk(9, 55, "5998.00")])
    second.advance(et(2026, 11, 18, 10, 30))
    await second.stored()
    entries = [o for o in second.core.kernel.execution.open_orders(PAPER) if o.role is OrderRole.BRACKET_ENTRY]
    assert sorted(ES.spec.format_ticks(o.limit_price or 0) for o in entries) == [
        "5953.00", "5962.00", "5971.00", "5980.00", "5989.00",
        "6013.00", "6022.00", "6031.00", "6040.00", "6049.00",
    ]  # fmt: skip
    # Crash again while the ladder rests; the third core cancels it 5 minutes before the next open.
    third = await opened(pg_pool, et(2026, 11, 18, 12, 0), "third-")
    assert third.core.strategies.host.get("fhb").strategy.state()["phase"] == "placed"
    own = third.core.strategies.host.own_orders(third.core.strategies.host.get("fhb"))
    assert len([o for o in own if o.role is OrderRole.BRACKET_ENTRY]) == 10  # found again by tag, with their legs
    third.advance(et(2026, 11, 19, 9, 25))
    await third.stored()
    assert third.core.kernel.execution.open_orders(PAPER) == ()
    log = await StrategyRepository(pg_pool).events("fhb", 100)
    kinds = [e.event.kind for e in log]
    assert kinds == ["loaded", "activated", "window_opened", "placed", "cancelled"]
    assert [e.seq for e in log] == sorted(e.seq for e in log)
    # The first core published its stored events with their seqs.
    published = []
    while subscription.pending():
        for item in await subscription.next_batch():
            if isinstance(item, LoggedEvent):
                published.append((item.seq, item.event.kind))
    assert published == [(log[0].seq, "loaded"), (log[1].seq, "activated"), (log[2].seq, "window_opened")]


async def test_versions_and_refusals_change_nothing(pg_pool: asyncpg.Pool) -> None:
    rig = await opened(pg_pool, START)
    desk = rig.core.strategies
    await desk.load(BREAKOUT.replace("enabled = true", "enabled = false"), "toml")
    again = await desk.load(BREAKOUT.replace("enabled = true", "enabled = false"), "toml")
    assert not again.changed and again.view.record.version == 1
    await desk.load(BREAKOUT.replace("enabled = true", 'enabled = false\ndescription = "v2"'), "toml")
    versions = await desk.versions("fhb")
    assert [v.version for v in versions] == [1, 2]
    with pytest.raises(InvalidArgument) as caught:
        await desk.load(BREAKOUT + "\n[breakout]\nstop_points = -5\n", "toml")
    assert caught.value.field == "breakout.stop_points"
    with pytest.raises(NotFound):
        await desk.activate("nope")
    bad = BREAKOUT.replace('account = "paper"', 'account = "ghost"').replace("fhb", "ghostly")
    await desk.load(bad.replace("enabled = true", "enabled = false"), "toml")
    with pytest.raises(FailedPrecondition, match="account 'ghost' does not exist"):
        await desk.activate("ghostly")
    view = await desk.activate("fhb")
    assert view.record.status is Status.ACTIVE and view.record.version == 2
    stopped = await desk.emergency_stop("fhb")
    assert stopped.record.status is Status.STOPPED
    # The store holds the running version and its state.
    [stored] = [s for s in await StrategyRepository(pg_pool).load() if s.record.strategy_id == "fhb"]
    assert (stored.version.version, stored.record.status, stored.record.realised) == (2, Status.STOPPED, Decimal(0))
