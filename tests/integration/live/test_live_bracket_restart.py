"""A bracket entered yesterday whose stop and target still work today, across the CME trading-day roll (17:00 CT,
which archives finished orders out of the engine's memory) and a restart of the live runtime over the same
PostgreSQL store, driven by the injected clock: the exits stay linked to their filled entry (OCO, reduce-only,
ListOrders/GetOrder of the bracket) and to the trade their entry opened (break-even moves the bracket's own stop,
not another stop on the exit side)."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from core_server.execution.commands import SubmitBracket, SubmitOrder
from core_server.execution.model import OrderSide, OrderStatus, OrderType, TimeInForce
from core_server.model.clock import NS_PER_SECOND
from core_server.risk.days import MarketHours
from core_server.trades.model import ExitReason
from tests.kit.feeds import NQ, px, quote, trade
from tests.kit.live import PAPER, LiveRig, live_settings, open_live
from tests.kit.time import ct

S = NS_PER_SECOND
MONDAY = ct(2026, 11, 16, 9, 0)
ROLL = ct(2026, 11, 16, 18, 0)  # past Monday's 17:00 CT roll
TUESDAY = ct(2026, 11, 17, 9, 0)


def _market(rig: LiveRig, ts: int, price: str) -> None:
    """A trade at `price` and a quote with it as the bid (one tick wide)."""
    ask = NQ.spec.price_from_ticks(px(NQ, price) + 1)
    rig.play([trade(NQ, ts, price), quote(NQ, ts, price, str(ask))])
    rig.advance(ts)


async def test_a_bracket_entered_yesterday_keeps_its_oco_and_its_trade_after_the_roll_and_a_restart(
    pg_pool: asyncpg.Pool,
) -> None:
    settings = live_settings(market_hours=MarketHours.DECLARED_OPEN)
    rig = await open_live(pg_pool, [NQ], MONDAY, settings=settings)
    rig.play([quote(NQ, MONDAY, "24999.75", "25000.00")])
    desk = rig.core.execution
    bracket = SubmitBracket(PAPER, NQ.id, OrderSide.BUY, 1, OrderType.MARKET, Decimal("24950.00"),
                            Decimal("25100.00"), time_in_force=TimeInForce.GTC)  # fmt: skip
    entry, stop, target = (await desk.execute(bracket)).orders
    rig.advance(MONDAY + S)
    # A second protective stop placed by hand, nearer than the bracket's: the trade's own stop stays the bracket's.
    extra = SubmitOrder(PAPER, NQ.id, OrderSide.SELL, 1, OrderType.STOP, TimeInForce.GTC,
                        stop_price=Decimal("24980.00"), reduce_only=True)  # fmt: skip
    [manual] = (await desk.execute(extra)).orders
    await rig.stored()
    assert rig.core.kernel.execution.order(entry).status is OrderStatus.FILLED
    rig.advance(ROLL)
    await rig.stored()

    again = await open_live(pg_pool, [NQ], TUESDAY, settings=settings, id_prefix="id2-")
    engine, desk = again.core.kernel.execution, again.core.execution
    assert [o.order_id for o in engine.open_orders(PAPER)] == [stop, target, manual]
    (trip,) = await again.stores.trades.open_trades()

    _market(again, TUESDAY + S, "25050.00")  # +1R: break-even moves the bracket's stop to the entry
    await again.stored()
    assert engine.order(stop).stop_price == px(NQ, "25000.00")
    assert engine.order(manual).stop_price == px(NQ, "24980.00")

    _market(again, TUESDAY + 2 * S, "24999.75")  # through the bracket's stop (at break-even): it triggers
    _market(again, TUESDAY + 3 * S, "24999.75")  # and fills at the market
    await again.stored()
    assert engine.order(stop).status is OrderStatus.FILLED
    assert engine.order(target).status is OrderStatus.CANCELLED and engine.order(manual).status is OrderStatus.CANCELLED
    assert [p.net_qty for p in engine.positions(PAPER)] == [0]  # no exit opened a position
    assert not engine.open_orders(PAPER)
    assert not await again.stores.trades.open_trades()
    closed = await again.stores.trades.get(trip.trade_id)
    assert closed is not None and closed.exit_reason is ExitReason.STOP and closed.realised_ticks == -1
    listed = {item.order.order_id: item for item in await desk.list_orders(PAPER, None, 100)}
    assert [listed[oid].order.status for oid in (entry, stop, target, manual)] == [
        OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.CANCELLED
    ]  # fmt: skip
    assert "oco" in listed[target].reason and "position_flat" in listed[manual].reason
    assert (await desk.order(entry)).status is OrderStatus.FILLED
    again.advance(ct(2026, 11, 17, 18, 0))  # the next roll archives the whole bracket; the store still has it
    assert not engine.holds(entry) and (await desk.order(target)).bracket_id == entry
