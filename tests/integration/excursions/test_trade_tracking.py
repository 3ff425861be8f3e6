"""TradeTracking with a real market-data engine and PostgreSQL: hand-computed NQ paths, updates published only
once stored, external closes, outages, and a restart that continues an open trade.

NQ long, entry 25000.00, stop 24975.00: risk 25 points = 100 ticks, so +1R is 25025.00 and each point is 0.04R.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import asyncpg
import pytest

from core_server.bus import Bus, Subscription
from core_server.excursions.live import UPDATES_TOPIC, TradeTracking
from core_server.excursions.model import Direction, TradeSpec, TradeStatus
from core_server.excursions.settings import ExcursionSettings, PriceSource
from core_server.excursions.tracked import TrackedTrade, TradeSource, TradeUpdate, TradeWrite
from core_server.market_data.engine import FeedBinding, MarketDataEngine
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.errors import InvalidArgument, NotFound, Unavailable
from core_server.model.market_data import Tick
from core_server.storage.trades import TradeRepository
from tests.kit.eventually import eventually
from tests.kit.feeds import NQ, ScriptedFeed, px, quote, trade
from tests.kit.time import utc

S = NS_PER_SECOND
OPENED = utc(2026, 11, 19, 15, 0)


class FlakyStore:
    """The real repository, with writes refused while `down` (a hand-written outage)."""

    def __init__(self, repository: TradeRepository) -> None:
        self.repository = repository
        self.down = False

    async def save(self, writes: Sequence[TradeWrite]) -> None:
        if self.down:
            raise Unavailable("store unavailable: connection refused")
        await self.repository.save(writes)

    async def get(self, trade_id: str) -> TrackedTrade | None:
        return await self.repository.get(trade_id)

    async def list(self, **filters: object) -> list[TrackedTrade]:
        return await self.repository.list(**filters)  # type: ignore[arg-type]

    async def open_trades(self) -> list[TrackedTrade]:
        return await self.repository.open_trades()


@dataclass
class Rig:
    bus: Bus
    binding: FeedBinding
    store: FlakyStore
    tracking: TradeTracking
    updates: Subscription[TradeUpdate]

    def play(self, *prices: str, at: int = 1) -> None:
        """Last trades of NQZ2026, one second apart from `at` seconds after OPENED."""
        self.binding.on_ticks([trade(NQ, OPENED + (at + i) * S, p) for i, p in enumerate(prices)])

    def feed(self, ticks: Sequence[Tick]) -> None:
        self.binding.on_ticks(ticks)

    async def received(self, count: int) -> list[TradeUpdate]:
        got: list[TradeUpdate] = []
        while len(got) < count:
            got += await self.updates.next_batch(count - len(got))
        return got


async def make_rig(pool: asyncpg.Pool, settings: ExcursionSettings | None = None) -> Rig:
    bus = Bus()
    market = MarketDataEngine(TestClock(OPENED), bus)
    binding = market.attach(ScriptedFeed([NQ]), [NQ], realtime=False, quote_only=False)
    store = FlakyStore(TradeRepository(pool))
    tracking = TradeTracking(bus, market, store, settings or ExcursionSettings(), flush_interval_s=0.005)
    updates = bus.subscribe(UPDATES_TOPIC)
    await tracking.start()
    return Rig(bus, binding, store, tracking, updates)


@pytest.fixture
async def rig(pg_pool: asyncpg.Pool) -> AsyncIterator[Rig]:
    made = await make_rig(pg_pool)
    try:
        yield made
    finally:
        await made.tracking.stop()


def nq_long(trade_id: str = "T-1", entry: str = "25000.00", stop: str = "24975.00") -> TradeSpec:
    return TradeSpec(trade_id, NQ.id, Direction.LONG, 1, px(NQ, entry), px(NQ, stop), OPENED)


def kinds(updates: Sequence[TradeUpdate]) -> list[tuple[str, Fraction] | None]:
    return [None if u.event is None else (u.event.kind.value, u.event.r) for u in updates]


async def test_one_r_then_back_to_entry_is_a_stored_break_even_scratch(rig: Rig) -> None:
    rig.play("25000.00")  # a price before the trade opens moves nothing
    opened = rig.tracking.open_trade(nq_long(), TradeSource.MANUAL)
    assert (opened.status, opened.current_r) == (TradeStatus.OPEN, 0)

    rig.play("25010.00", "25025.00", "25012.50", "25000.00", at=2)
    updates = await rig.received(5)

    assert kinds(updates) == [
        None,  # opened
        ("new_high", Fraction(2, 5)),
        ("new_high", Fraction(1)),
        ("break_even_triggered", Fraction(1)),
        ("stop_hit", Fraction(0)),
    ]
    stored = await rig.store.get("T-1")
    assert stored is not None
    s = stored.excursion
    assert (s.status, s.mfe_r, s.mae_r, s.result_r) == (TradeStatus.BREAK_EVEN, 1, 0, 0)
    assert (s.mfe_points, s.stop, s.exit_price, s.closed_ns) == (
        Decimal("25.00"),
        px(NQ, "25000.00"),
        px(NQ, "25000.00"),
        OPENED + 5 * S,
    )
    assert (stored.source, stored.signal_id, stored.account_id) == (TradeSource.MANUAL, None, None)
    assert [e.kind.value for e in s.events] == ["new_high", "new_high", "break_even_triggered", "stop_hit"]
    # The ended trade has left memory once stored; it is still found, from the store.
    await eventually(lambda: rig.tracking.open_trades() == [])
    assert (await rig.tracking.get("T-1")).excursion == s


async def test_a_trade_hitting_its_initial_stop_is_stopped_out_at_minus_one_r(rig: Rig) -> None:
    rig.tracking.open_trade(nq_long(), TradeSource.PAPER, account_id="acct-1")

    rig.play("24990.00", "24985.00", "24970.00")  # gaps 5 points through the stop: MAE -1.2R, booked at -1R
    updates = await rig.received(5)

    assert kinds(updates) == [
        None,
        ("new_low", Fraction(-2, 5)),
        ("new_low", Fraction(-3, 5)),
        ("new_low", Fraction(-6, 5)),
        ("stop_hit", Fraction(-6, 5)),
    ]
    stored = await rig.store.get("T-1")
    assert stored is not None
    assert (stored.status, stored.excursion.result_r, stored.excursion.mae_r, stored.excursion.mfe_r) == (
        TradeStatus.STOPPED_OUT,
        -1,
        Fraction(-6, 5),
        0,
    )
    assert (stored.excursion.exit_price, stored.account_id) == (px(NQ, "24975.00"), "acct-1")


async def test_an_update_is_published_only_after_it_is_stored(rig: Rig) -> None:
    rig.tracking.open_trade(nq_long(), TradeSource.MANUAL)
    rig.play("25010.00", "25020.00")

    seen = 0
    while seen < 3:
        for update in await rig.updates.next_batch():
            seen += 1
            stored = await rig.store.get("T-1")
            assert stored is not None
            if update.event is not None:
                assert update.event in stored.excursion.events


async def test_while_the_store_is_down_nothing_is_published_and_everything_is_stored_in_order_after(
    rig: Rig,
) -> None:
    rig.tracking.open_trade(nq_long(), TradeSource.MANUAL)
    await rig.received(1)
    rig.store.down = True

    rig.play("25010.00", "24990.00")
    await eventually(lambda: rig.tracking.unsaved_trades == 1)
    with pytest.raises(Unavailable):
        await rig.tracking.flush()
    assert rig.updates.pending() == 0
    rig.store.down = False
    await rig.tracking.flush()

    assert kinds(await rig.received(2)) == [("new_high", Fraction(2, 5)), ("new_low", Fraction(-2, 5))]
    stored = await rig.store.get("T-1")
    assert stored is not None and [e.kind.value for e in stored.excursion.events] == ["new_high", "new_low"]


async def test_an_external_close_ends_the_trade_at_that_price(rig: Rig) -> None:
    rig.tracking.open_trade(nq_long(), TradeSource.PAPER, account_id="acct-1")
    rig.play("25020.00")

    closed = rig.tracking.close_trade("T-1", px(NQ, "25010.00"), OPENED + 9 * S)

    assert (closed.status, closed.excursion.result_r, closed.excursion.mfe_r) == (
        TradeStatus.CLOSED,
        Fraction(2, 5),
        Fraction(4, 5),
    )
    assert rig.tracking.close_trade("T-1", px(NQ, "24000.00"), OPENED + 10 * S) == closed  # already ended
    assert kinds(await rig.received(3))[-1] == ("closed", Fraction(2, 5))
    with pytest.raises(NotFound):
        rig.tracking.close_trade("nope", px(NQ, "25010.00"), OPENED)


async def test_listing_shows_open_trades_as_they_stand_newest_first(rig: Rig) -> None:
    rig.tracking.open_trade(nq_long("T-1"), TradeSource.MANUAL)
    rig.tracking.open_trade(
        TradeSpec("T-2", NQ.id, Direction.SHORT, 1, px(NQ, "25000.00"), px(NQ, "25050.00"), OPENED + S),
        TradeSource.MANUAL,
    )
    rig.play("25015.00")  # no wait for the writer: listing stores what is queued first

    listed = await rig.tracking.list_trades(is_open=True)

    assert [(t.trade_id, t.excursion.mfe_r, t.excursion.mae_r, t.current_r) for t in listed] == [
        ("T-2", 0, Fraction(-3, 10), Fraction(-3, 10)),
        ("T-1", Fraction(3, 5), 0, Fraction(3, 5)),
    ]
    assert all(t.excursion.events == () for t in listed)
    assert await rig.tracking.list_trades(is_open=False) == []


async def test_an_unknown_source_is_refused(rig: Rig) -> None:
    with pytest.raises(InvalidArgument) as raised:
        rig.tracking.open_trade(nq_long(), "webhook")
    assert raised.value.field == "source"


async def test_opening_the_same_trade_again_changes_nothing(rig: Rig) -> None:
    first = rig.tracking.open_trade(nq_long(), TradeSource.MANUAL)
    rig.play("25010.00")

    again = rig.tracking.open_trade(nq_long(), TradeSource.MANUAL)

    assert again.excursion.mfe_r == Fraction(2, 5) and again.spec == first.spec


async def test_bid_ask_prices_measure_a_long_at_the_bid(pg_pool: asyncpg.Pool) -> None:
    rig = await make_rig(pg_pool, ExcursionSettings(price_source=PriceSource.BID_ASK))
    try:
        rig.tracking.open_trade(nq_long(), TradeSource.MANUAL)
        rig.feed([quote(NQ, OPENED + S, "25024.75", "25025.00"), trade(NQ, OPENED + 2 * S, "25030.00")])
        rig.feed([quote(NQ, OPENED + 3 * S, "25025.00", "25025.25")])

        assert kinds(await rig.received(4)) == [
            None,
            ("new_high", Fraction(99, 100)),
            ("new_high", Fraction(1)),
            ("break_even_triggered", Fraction(1)),
        ]
        assert (await rig.tracking.get("T-1")).current_r == 1
    finally:
        await rig.tracking.stop()


async def test_a_restarted_shell_continues_the_open_trade_from_the_store(pg_pool: asyncpg.Pool) -> None:
    first = await make_rig(pg_pool)
    try:
        first.tracking.open_trade(nq_long(), TradeSource.PAPER, account_id="acct-1")
        first.play("24990.00", "25015.00")  # MAE -0.4R, MFE +0.6R: break-even not reached yet
        await first.received(3)
    finally:
        await first.tracking.stop()

    second = await make_rig(pg_pool)
    try:
        [restored] = second.tracking.open_trades()
        assert (restored.excursion.mfe_r, restored.excursion.mae_r, restored.excursion.stop) == (
            Fraction(3, 5),
            Fraction(-2, 5),
            px(NQ, "24975.00"),
        )
        assert (restored.source, restored.account_id) == (TradeSource.PAPER, "acct-1")

        second.play("25010.00", "25025.00", "25000.00", at=3)  # below the MFE: nothing; +1R; back to entry
        assert kinds(await second.received(3)) == [
            ("new_high", Fraction(1)),
            ("break_even_triggered", Fraction(1)),
            ("stop_hit", Fraction(0)),
        ]
    finally:
        await second.tracking.stop()

    stored = await TradeRepository(pg_pool).get("T-1")
    assert stored is not None
    s = stored.excursion
    assert (s.status, s.mfe_r, s.mae_r, s.result_r) == (TradeStatus.BREAK_EVEN, 1, Fraction(-2, 5), 0)
    assert [(e.kind.value, e.r) for e in s.events] == [
        ("new_low", Fraction(-2, 5)),
        ("new_high", Fraction(3, 5)),
        ("new_high", Fraction(1)),
        ("break_even_triggered", Fraction(1)),
        ("stop_hit", Fraction(0)),
    ]
    seqs = await pg_pool.fetch("SELECT seq FROM trade_events WHERE trade_id = 'T-1' ORDER BY seq")
    assert [r["seq"] for r in seqs] == [0, 1, 2, 3, 4]
