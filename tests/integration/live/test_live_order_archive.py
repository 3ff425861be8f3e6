"""Finished orders leave the engine's memory at the CME trading-day roll (issue 14 §2), on real PostgreSQL: the
count of orders held stays bounded over many simulated days, open orders (and the finished legs of a bracket
still open) stay, and ListOrders (the desk the servicer calls) still returns yesterday's finished orders from
the store, with why they ended and who placed them."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from core_server.execution.commands import CancelOrder, SubmitBracket, SubmitOrder
from core_server.execution.model import OrderId, OrderSide, OrderStatus, OrderType, TimeInForce
from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import NotFound
from core_server.risk.days import MarketHours
from tests.kit.feeds import NQ, quote
from tests.kit.live import PAPER, LiveRig, live_settings, open_live
from tests.kit.time import ct

DAY = 24 * 3600 * NS_PER_SECOND
START = ct(2026, 11, 16, 9, 0)  # a Monday, 09:00 CT
DAYS = 8


async def _trade_a_day(rig: LiveRig, now: int) -> list[OrderId]:
    """Two market orders that fill (a round trip) and a resting limit cancelled: three finished orders."""
    rig.clock.set_ns(now)
    rig.play([quote(NQ, now, "24999.75", "25000.00")])
    desk = rig.core.execution
    ids: list[OrderId] = []
    for side in (OrderSide.BUY, OrderSide.SELL):
        change = await desk.execute(SubmitOrder(PAPER, NQ.id, side, 1, OrderType.MARKET), actor="local")
        ids += list(change.orders)
    limit = SubmitOrder(PAPER, NQ.id, OrderSide.BUY, 1, OrderType.LIMIT, TimeInForce.GTC, Decimal("24000.00"))
    [resting] = (await desk.execute(limit, actor="local")).orders
    await desk.execute(CancelOrder(PAPER, resting))
    return [*dict.fromkeys(ids), resting]


async def test_finished_orders_leave_memory_at_the_roll_and_stay_listed_from_the_store(pg_pool: asyncpg.Pool) -> None:
    rig = await open_live(pg_pool, [NQ], START, settings=live_settings(market_hours=MarketHours.DECLARED_OPEN))
    engine = rig.core.kernel.execution
    desk = rig.core.execution
    rig.play([quote(NQ, START, "24999.75", "25000.00")])
    # A bracket that stays open for the whole run: its filled entry is linked to open exits, so it stays too.
    bracket = SubmitBracket(
        PAPER,
        NQ.id,
        OrderSide.BUY,
        1,
        OrderType.MARKET,
        Decimal("24000.00"),
        Decimal("26000.00"),
        time_in_force=TimeInForce.GTC,
    )
    entry, stop, target = (await desk.execute(bracket)).orders
    held_after_roll: list[int] = []
    finished: list[list[OrderId]] = []
    for day in range(DAYS):
        finished.append(await _trade_a_day(rig, START + day * DAY))
        assert all(engine.holds(oid) for oid in finished[-1])  # today's finished orders are still in memory
        await rig.stored()
        rig.advance(START + day * DAY + 9 * 3600 * NS_PER_SECOND)  # 18:00 CT: past the 17:00 roll
        held_after_roll.append(engine.held_orders())
        assert not any(engine.holds(oid) for oid in finished[-1])
    assert held_after_roll == [3] * DAYS  # the open bracket alone, day after day: bounded
    assert [o.order_id for o in engine.open_orders(PAPER)] == [stop, target]
    assert engine.order(entry).status is OrderStatus.FILLED  # linked to open exits: kept
    assert len(rig.core.shell.journal.meta) <= 3 and len(rig.core.shell.journal.placed_by) <= 3

    listed = await desk.list_orders(PAPER, None, 1000)
    numbers = [int(item.order.order_id[2:]) for item in listed]
    assert numbers == sorted(numbers, reverse=True) and len(listed) == 3 + 3 * DAYS
    by_id = {item.order.order_id: item for item in listed}
    yesterday = finished[-2]
    assert [by_id[oid].order.status for oid in yesterday] == [OrderStatus.FILLED, OrderStatus.FILLED,
                                                               OrderStatus.CANCELLED]  # fmt: skip
    assert by_id[yesterday[0]].placed_by == "local" and by_id[yesterday[0]].updated_ns > 0
    assert by_id[yesterday[2]].reason != ""  # why it was cancelled, as stored
    assert [item.order.order_id for item in await desk.list_orders(PAPER, NQ.id, 4)] == [
        *reversed(finished[-1]),
        finished[-2][-1],
    ]
    assert [item.order.order_id for item in await desk.list_orders(PAPER, None, 10, open_only=True)] == [target, stop]
    assert (await desk.order(yesterday[0])).status is OrderStatus.FILLED  # from the store
    try:
        await desk.order(OrderId("O-999999"))
    except NotFound:
        pass
    else:
        raise AssertionError("an unknown order is NotFound")


async def test_a_restart_keeps_only_the_open_orders_in_memory(pg_pool: asyncpg.Pool) -> None:
    rig = await open_live(pg_pool, [NQ], START, settings=live_settings(market_hours=MarketHours.DECLARED_OPEN))
    rig.play([quote(NQ, START, "24999.75", "25000.00")])
    bracket = SubmitBracket(
        PAPER,
        NQ.id,
        OrderSide.BUY,
        1,
        OrderType.MARKET,
        Decimal("24000.00"),
        Decimal("26000.00"),
        time_in_force=TimeInForce.GTC,
    )
    await rig.core.execution.execute(bracket)
    first = await _trade_a_day(rig, START)
    await rig.stored()
    again = await open_live(
        pg_pool, [NQ], START + 3600 * NS_PER_SECOND, settings=live_settings(market_hours=MarketHours.DECLARED_OPEN)
    )
    assert again.core.kernel.execution.held_orders() == 3 + 3  # as stored, until the first step
    again.advance(START + 3601 * NS_PER_SECOND)
    assert again.core.kernel.execution.held_orders() == 3
    listed = {item.order.order_id: item.order for item in await again.core.execution.list_orders(PAPER, None, 100)}
    assert [listed[oid].status for oid in first] == [OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED]
