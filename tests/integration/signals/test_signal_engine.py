"""SignalEngine with a real market-data engine and PostgreSQL: durable decisions, trades, approval, outages and
restore. Ticks go straight into the market-data engine; the engine follows the bus as in the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from core_server.bus import Bus
from core_server.calendar.session_table import load_trading_calendar
from core_server.market_data.engine import FeedBinding, MarketDataEngine
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.errors import FailedPrecondition, NotFound, Unavailable
from core_server.model.market_data import Candle, Timeframe, Trade
from core_server.signals.engine import EVENTS_TOPIC, SignalEngine
from core_server.signals.model import SignalDirection, SignalInput, SignalStatus, SignalUpdate
from core_server.signals.settings import ApprovalMode, SignalSettings, settings_with
from core_server.signals.trade_record import TradeRecord
from core_server.storage.candles import CandleRepository
from core_server.storage.signals import SignalRepository
from tests.kit.eventually import eventually
from tests.kit.feeds import NQ, ScriptedFeed, px, trade
from tests.kit.time import utc

S = NS_PER_SECOND
SIGNAL_TIME = utc(2026, 11, 19, 15, 30, 50)


def minute(m: int, o: str, h: str, lo: str, c: str) -> list[Trade]:
    t = utc(2026, 11, 19, 15, m)
    return [trade(NQ, t + s * S, p) for s, p in ((1, o), (15, h), (30, lo), (45, c))]


# The acceptance tape (tests/acceptance/test_signal_to_confirmation.py): stop 25285.00, entry 25346.50.
BEFORE_SIGNAL = minute(29, "25330.00", "25338.00", "25320.00", "25335.00") + minute(
    30, "25335.00", "25341.25", "25318.00", "25340.00"
)
AFTER_SIGNAL = (
    minute(31, "25340.00", "25341.00", "25310.00", "25325.00")
    + minute(32, "25325.00", "25339.00", "25315.50", "25330.00")
    + minute(33, "25330.00", "25350.00", "25322.00", "25345.00")
    + minute(34, "25346.50", "25352.00", "25344.00", "25350.00")
    + [trade(NQ, utc(2026, 11, 19, 15, 35, 1), "25350.00")]
)


class FlakyStore:
    """The real repository, with writes refused while `down` (a hand-written outage)."""

    def __init__(self, repository: SignalRepository) -> None:
        self.repository = repository
        self.down = False
        self.refuse_rows = False

    async def save_batch(self, updates: Sequence[SignalUpdate], trades: Sequence[TradeRecord] = ()) -> None:
        if self.down:
            raise Unavailable("store unavailable: connection refused")
        if self.refuse_rows:
            raise ValueError("row refused")
        await self.repository.save_batch(updates, trades)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repository, name)


class CandleLog:
    """A CandleRecorder for the market-data engine that keeps the closed candles (to store them later)."""

    def __init__(self) -> None:
        self.closed: list[Candle] = []

    def put(self, candles: Sequence[Candle]) -> None:
        self.closed += [c for c in candles if c.closed]


def tape_candles(ticks: Sequence[Trade]) -> list[Candle]:
    """The closed candles a market-data engine builds from `ticks`."""
    log = CandleLog()
    market = MarketDataEngine(TestClock(ticks[0].ts_event), Bus(), candles=log)
    market.attach(ScriptedFeed([NQ]), [NQ], realtime=False, quote_only=False).on_ticks(ticks)
    return log.closed


@dataclass
class Rig:
    clock: TestClock
    market: MarketDataEngine
    binding: FeedBinding
    store: FlakyStore
    candles: CandleLog
    signals: SignalEngine
    bus: Bus

    def play(self, ticks: Sequence[Trade]) -> None:
        self.binding.on_ticks(ticks)


async def make_rig(
    pool: asyncpg.Pool, settings: dict[str, SignalSettings] | None = None, start_ns: int = utc(2026, 11, 19, 15, 28)
) -> Rig:
    clock = TestClock(start_ns)
    bus = Bus()
    log = CandleLog()
    market = MarketDataEngine(clock, bus, candles=log)
    binding = market.attach(ScriptedFeed([NQ], clock=clock), [NQ], realtime=False, quote_only=False)
    store = FlakyStore(SignalRepository(pool))
    signals = SignalEngine(
        clock, bus, market, store, CandleRepository(pool), calendar=load_trading_calendar(), settings=settings
    )
    await signals.start()
    return Rig(clock, market, binding, store, log, signals, bus)


@pytest.fixture
async def rig(pg_pool: asyncpg.Pool) -> AsyncIterator[Rig]:
    made = await make_rig(pg_pool)
    try:
        yield made
    finally:
        await made.signals.stop()


def bullish(**fields: Any) -> SignalInput:
    labels: dict[str, Any] = {"strategy": "engine-test", "source": "sdk", **fields}
    return SignalInput(
        contract_id="NQZ2026",
        direction=SignalDirection.BULLISH,
        signal_price=px(NQ, "25340.25"),
        signal_time_ns=SIGNAL_TIME,
        timeframe=Timeframe.M1,
        **labels,
    )


async def submitted_pending(rig: Rig, **fields: Any) -> str:
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    result = await rig.signals.submit(bullish(**fields), authenticated=True)
    assert result.signal.status is SignalStatus.PENDING, result.signal.checks
    return result.signal.signal_id


async def status_of(rig: Rig, signal_id: str, status: SignalStatus) -> None:
    async def reached() -> bool:
        return (await rig.signals.get(signal_id)).status is status

    await eventually(reached)


async def test_a_decision_is_stored_before_it_is_returned_and_then_published(rig: Rig) -> None:
    events = rig.bus.subscribe(EVENTS_TOPIC)
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    result = await rig.signals.submit(bullish(), authenticated=True)
    assert await rig.store.repository.get(result.signal.signal_id) == result.signal
    assert [u.event.kind.value for u in result.updates] == ["received", "pending"]
    assert [u.event.kind.value for u in await events.next_batch()] == ["received", "pending"]


async def test_auto_mode_creates_the_trade_on_confirmation(rig: Rig, pg_pool: asyncpg.Pool) -> None:
    signal_id = await submitted_pending(rig, quantity=2)
    rig.play(AFTER_SIGNAL)
    await status_of(rig, signal_id, SignalStatus.CONFIRMED)
    signal = await rig.store.repository.get(signal_id)
    assert signal is not None and signal.trade_id is not None
    assert [e.kind.value for e in signal.events][-2:] == ["confirmed", "trade_created"]
    trade = await rig.store.repository.get_trade(signal.trade_id)
    assert trade is not None
    assert (trade.entry_price, trade.stop_price, trade.risk_ticks, trade.quantity) == (
        px(NQ, "25346.50"),
        px(NQ, "25285.00"),
        px(NQ, "61.50"),
        2,
    )
    assert (
        signal.events[-1].detail == "trade " + signal.trade_id + " open: 2 NQZ2026 bullish entry 25346.50 stop 25285.00"
    )


async def test_manual_mode_waits_for_approval_and_the_trade_comes_with_it(pg_pool: asyncpg.Pool) -> None:
    rig = await make_rig(pg_pool, settings_with(approval=ApprovalMode.MANUAL))
    try:
        signal_id = await submitted_pending(rig)
        with pytest.raises(FailedPrecondition, match="only a signal awaiting approval"):
            await rig.signals.approve(signal_id)
        rig.play(AFTER_SIGNAL)
        await status_of(rig, signal_id, SignalStatus.AWAITING_APPROVAL)
        assert await pg_pool.fetchval("SELECT count(*) FROM trades") == 0
        approved = await rig.signals.approve(signal_id)
        assert approved.status is SignalStatus.CONFIRMED and approved.trade_id is not None
        assert [e.kind.value for e in approved.events][-3:] == ["awaiting_approval", "confirmed", "trade_created"]
        assert await rig.store.repository.get(signal_id) == approved
        assert await pg_pool.fetchval("SELECT entry FROM trades WHERE id = $1", approved.trade_id) == px(NQ, "25346.50")
        with pytest.raises(FailedPrecondition):
            await rig.signals.approve(signal_id)
        with pytest.raises(FailedPrecondition):
            await rig.signals.cancel(signal_id, "too late")
    finally:
        await rig.signals.stop()


async def test_while_the_store_is_down_nothing_is_acknowledged_and_a_retry_returns_the_original(rig: Rig) -> None:
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    rig.store.down = True
    with pytest.raises(Unavailable):
        await rig.signals.submit(bullish(), authenticated=True)
    with pytest.raises(Unavailable):
        await rig.signals.submit(bullish(), authenticated=True)  # the queued write must go first
    rig.store.down = False
    again = await rig.signals.submit(bullish(), authenticated=True)
    assert again.duplicate and again.signal.status is SignalStatus.PENDING
    assert await rig.store.repository.get(again.signal.signal_id) == again.signal
    assert rig.signals.unsaved_writes == 0


async def test_a_write_the_store_refuses_is_dropped_so_later_decisions_are_not_blocked(rig: Rig) -> None:
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    rig.store.refuse_rows = True
    with pytest.raises(ValueError, match="row refused"):
        await rig.signals.submit(bullish(), authenticated=True)
    assert rig.signals.unsaved_writes == 0
    rig.store.refuse_rows = False
    other = await rig.signals.submit(bullish(strategy="another"), authenticated=True)
    assert await rig.store.repository.get(other.signal.signal_id) == other.signal


async def test_decisions_made_by_candles_during_an_outage_are_stored_when_it_ends(rig: Rig) -> None:
    signal_id = await submitted_pending(rig)
    rig.store.down = True
    rig.play(AFTER_SIGNAL)
    await eventually(lambda: rig.signals.unsaved_writes > 0)
    assert (await rig.signals.get(signal_id)).status is SignalStatus.CONFIRMED  # decided in memory
    stored = await rig.store.repository.get(signal_id)
    assert stored is not None and stored.status is SignalStatus.PENDING
    rig.store.down = False

    async def stored_confirmed() -> bool:
        signal = await rig.store.repository.get(signal_id)
        return signal is not None and signal.trade_id is not None

    await eventually(stored_confirmed)  # the retry timer writes it within about a second
    assert rig.signals.unsaved_writes == 0


async def test_a_restored_signal_catches_up_on_candles_stored_while_the_server_was_down(
    rig: Rig, pg_pool: asyncpg.Pool
) -> None:
    signal_id = await submitted_pending(rig)
    await rig.signals.stop()
    # The candles of the rest of the tape reach the store while no signal engine runs (e.g. a recorder).
    await CandleRepository(pg_pool).upsert(tape_candles(BEFORE_SIGNAL + AFTER_SIGNAL))
    stored = await SignalRepository(pg_pool).get(signal_id)
    assert stored is not None and stored.status is SignalStatus.PENDING

    restarted = await make_rig(pg_pool, start_ns=utc(2026, 11, 19, 15, 40))
    try:
        signal = await restarted.signals.get(signal_id)
        assert signal.status is SignalStatus.CONFIRMED
        assert (signal.entry_price, signal.stop_price) == (px(NQ, "25346.50"), px(NQ, "25285.00"))
        assert signal.signal_candle is not None and signal.signal_candle.start_ns == utc(2026, 11, 19, 15, 30)
        stored = await restarted.store.repository.get(signal_id)
        assert stored is not None and stored.trade_id == signal.trade_id is not None
    finally:
        await restarted.signals.stop()


async def test_live_signals_are_answered_from_memory_and_settled_ones_from_the_store(
    rig: Rig, pg_pool: asyncpg.Pool
) -> None:
    signal_id = await submitted_pending(rig)
    rig.play([trade(NQ, utc(2026, 11, 19, 15, 31, 1), "25340.00")])  # closes the signal candle: no event

    async def has_signal_candle() -> bool:
        return (await rig.signals.get(signal_id)).signal_candle is not None

    await eventually(has_signal_candle)
    stored = await rig.store.repository.get(signal_id)
    assert stored is not None and stored.signal_candle is None
    [listed] = await rig.signals.list_signals(statuses=[SignalStatus.PENDING])
    assert listed.signal_candle is not None and listed.waiting_for == "1m close > 25341.25"
    assert [s.signal_id for s in rig.signals.live()] == [signal_id]

    cancelled = await rig.signals.cancel(signal_id, "flat for the day")
    assert cancelled.status is SignalStatus.CANCELLED
    await rig.signals.stop()
    restarted = await make_rig(pg_pool)
    try:
        assert (await restarted.signals.get(signal_id)).status is SignalStatus.CANCELLED
        with pytest.raises(FailedPrecondition, match="already settled"):
            await restarted.signals.cancel(signal_id, "")
        with pytest.raises(NotFound):
            await restarted.signals.get("no-such-signal")
        with pytest.raises(NotFound):
            await restarted.signals.approve("no-such-signal")
        restarted.play(BEFORE_SIGNAL)
        restarted.clock.set_ns(SIGNAL_TIME + 2 * S)
        repeat = await restarted.signals.submit(bullish(), authenticated=True)
        assert repeat.duplicate and repeat.signal.signal_id == signal_id
    finally:
        await restarted.signals.stop()
