"""Round trips in the live core on real PostgreSQL: published only once stored, held through an outage and stored
in order after it, measured at the bid for a long when asked, and continued after a restart."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import asyncpg
import pytest

from core_server.excursions.model import TradeStatus
from core_server.excursions.settings import ExcursionSettings, PriceSource
from core_server.execution.commands import SubmitBracket
from core_server.execution.model import OrderSide, OrderType
from core_server.live.journal import TRADES_TOPIC, TradeUpdate
from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import Unavailable
from core_server.model.market_data import Tick
from core_server.storage.trades import TradeRepository
from tests.kit.feeds import NQ, px, quote, trade
from tests.kit.live import PAPER, LiveRig, live_settings, open_live
from tests.kit.time import utc

S = NS_PER_SECOND
OPENED = utc(2026, 11, 19, 15, 0)

Kind = tuple[str, Fraction | None] | None


def prices(*values: str, at: int = 1) -> list[Tick]:
    """For each price, one second apart: a quote whose bid is the price, then a trade there."""
    ticks: list[Tick] = []
    for i, p in enumerate(values):
        ts = OPENED + (at + i) * S
        ask = NQ.spec.price_from_ticks(NQ.spec.ticks_from_price(Decimal(p)) + 1)
        ticks += [quote(NQ, ts, p, str(ask)), trade(NQ, ts, p)]
    return ticks


async def opened(pool: asyncpg.Pool, *, prefix: str = "id-", **settings: object) -> LiveRig:
    rig = await open_live(pool, [NQ], OPENED, settings=live_settings(**settings), id_prefix=prefix)
    rig.play([quote(NQ, OPENED, "24999.75", "25000.00")])
    return rig


async def nq_long(rig: LiveRig) -> str:
    """Two contracts bought at the 25000.00 ask, stop 24975.00 (1R = 25 points), target far away."""
    bracket = SubmitBracket(PAPER, NQ.id, OrderSide.BUY, 2, OrderType.MARKET, Decimal("24975.00"), Decimal("25500.00"))
    await rig.core.execution.execute(bracket)
    [trip] = rig.core.kernel.trades.open_trips()
    return trip.trade_id


def kinds(updates: Sequence[TradeUpdate]) -> list[Kind]:
    return [None if u.event is None else (u.event.kind.value, u.event.r) for u in updates]


async def test_an_update_is_published_only_after_it_is_stored(pg_pool: asyncpg.Pool) -> None:
    rig = await opened(pg_pool)
    updates = rig.bus.subscribe(TRADES_TOPIC)
    trade_id = await nq_long(rig)
    rig.play(prices("25010.00", "25020.00"))
    await rig.stored()
    seen = 0
    while seen < 3:
        for update in await updates.next_batch():
            seen += 1
            stored = await TradeRepository(pg_pool).get(trade_id)
            assert stored is not None
            if update.event is not None:
                assert update.event in stored.excursion.events


async def test_while_the_store_is_down_nothing_is_published_and_everything_is_stored_in_order_after(
    pg_pool: asyncpg.Pool,
) -> None:
    rig = await opened(pg_pool)
    trade_id = await nq_long(rig)
    updates = rig.bus.subscribe(TRADES_TOPIC)
    rig.store.down = True
    rig.play(prices("25010.00", "24990.00"))
    with pytest.raises(Unavailable):
        await rig.stored()
    assert updates.pending() == 0
    rig.store.down = False
    await rig.stored()

    assert kinds(await updates.next_batch()) == [("new_high", Fraction(2, 5)), ("new_low", Fraction(-2, 5))]
    stored = await TradeRepository(pg_pool).get(trade_id)
    assert stored is not None and [e.kind.value for e in stored.excursion.events] == ["new_high", "new_low"]


async def test_bid_ask_prices_measure_a_long_at_the_bid(pg_pool: asyncpg.Pool) -> None:
    rig = await opened(pg_pool, excursions=ExcursionSettings(price_source=PriceSource.BID_ASK))
    trade_id = await nq_long(rig)
    updates = rig.bus.subscribe(TRADES_TOPIC)
    rig.play([quote(NQ, OPENED + S, "25024.75", "25025.00"), trade(NQ, OPENED + 2 * S, "25030.00")])
    rig.play([quote(NQ, OPENED + 3 * S, "25025.00", "25025.25")])
    await rig.stored()
    assert kinds(await updates.next_batch()) == [
        ("new_high", Fraction(99, 100)),
        ("new_high", Fraction(1)),
        ("break_even_triggered", Fraction(1)),
    ]
    trip = rig.core.kernel.trades.get(trade_id)
    assert trip is not None and rig.core.trades.last_price(trip) == px(NQ, "25025.00")


async def test_a_restart_continues_the_open_trade_from_the_store(pg_pool: asyncpg.Pool) -> None:
    first = await opened(pg_pool)
    trade_id = await nq_long(first)
    first.play(prices("24990.00", "25015.00"))  # MAE -0.4R, MFE +0.6R: break-even not reached yet
    await first.stored()

    second = await opened(pg_pool, prefix="second-")
    [restored] = second.core.kernel.trades.open_trips()
    assert (restored.trade_id, restored.account_id, restored.open_qty) == (trade_id, "paper", 2)
    assert (restored.excursion.mfe_r, restored.excursion.mae_r, restored.excursion.stop) == (
        Fraction(3, 5),
        Fraction(-2, 5),
        px(NQ, "24975.00"),
    )
    second.play(prices("25010.00", "25025.00", "25000.00", at=3))  # below the MFE: nothing; +1R; back to entry
    await second.stored()

    stored = await TradeRepository(pg_pool).get(trade_id)
    assert stored is not None
    s = stored.excursion
    assert (s.status, s.mfe_r, s.mae_r, stored.result_r) == (TradeStatus.BREAK_EVEN, 1, Fraction(-2, 5), 0)
    assert [(e.kind.value, e.r) for e in s.events] == [
        ("new_low", Fraction(-2, 5)),
        ("new_high", Fraction(3, 5)),
        ("new_high", Fraction(1)),
        ("break_even_triggered", Fraction(1)),
        ("stop_hit", Fraction(0)),
    ]
    seqs = await pg_pool.fetch("SELECT seq FROM trade_events WHERE trade_id = $1 ORDER BY seq", trade_id)
    assert [r["seq"] for r in seqs] == [0, 1, 2, 3, 4]
