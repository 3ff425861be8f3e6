"""Signals in the live core on real PostgreSQL: durable decisions, trades, approval, outages and restore. Ticks go
through the scripted feed into the kernel, as in the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest

from core_server.live.journal import SIGNALS_TOPIC
from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import FailedPrecondition, NotFound, Unavailable
from core_server.model.market_data import Candle, Timeframe, Trade
from core_server.signals.model import SignalDirection, SignalInput, SignalStatus
from core_server.signals.settings import ApprovalMode, settings_with
from core_server.storage.candles import CandleRepository
from core_server.storage.signals import SignalRepository
from tests.kit.feeds import NQ, px, trade
from tests.kit.live import LiveRig, live_settings, open_live
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
START = utc(2026, 11, 19, 15, 28)


async def make_rig(pool: asyncpg.Pool, *, start_ns: int = START, prefix: str = "id-", **settings: Any) -> LiveRig:
    # Signal execution off: these tests are about the Signal Lab; execution has its own.
    return await open_live(
        pool, [NQ], start_ns, settings=live_settings(signal_execution=None, **settings), id_prefix=prefix
    )


@pytest.fixture
async def rig(pg_pool: asyncpg.Pool) -> AsyncIterator[LiveRig]:
    yield await make_rig(pg_pool)


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


async def submitted_pending(rig: LiveRig, **fields: Any) -> str:
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    result = await rig.core.signals.submit(bullish(**fields), authenticated=True)
    assert result.signal.status is SignalStatus.PENDING, result.signal.checks
    return result.signal.signal_id


def stored(pool: asyncpg.Pool) -> SignalRepository:
    return SignalRepository(pool)


async def test_a_decision_is_stored_before_it_is_returned_and_then_published(
    rig: LiveRig, pg_pool: asyncpg.Pool
) -> None:
    events = rig.bus.subscribe(SIGNALS_TOPIC)
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    result = await rig.core.signals.submit(bullish(), authenticated=True)
    assert await stored(pg_pool).get(result.signal.signal_id) == result.signal
    assert [u.event.kind.value for u in result.updates] == ["received", "pending"]
    assert [u.event.kind.value for u in await events.next_batch()] == ["received", "pending"]


async def test_auto_mode_creates_the_trade_on_confirmation_within_the_tick(rig: LiveRig, pg_pool: asyncpg.Pool) -> None:
    signal_id = await submitted_pending(rig, quantity=2)
    rig.play(AFTER_SIGNAL)
    assert (await rig.core.signals.get(signal_id)).status is SignalStatus.CONFIRMED  # decided in the tick itself
    await rig.stored()
    signal = await stored(pg_pool).get(signal_id)
    assert signal is not None and signal.trade_id is not None
    assert [e.kind.value for e in signal.events][-2:] == ["confirmed", "trade_created"]
    trade_record = await stored(pg_pool).get_trade(signal.trade_id)
    assert trade_record is not None
    assert (trade_record.entry_price, trade_record.stop_price, trade_record.risk_ticks, trade_record.quantity) == (
        px(NQ, "25346.50"),
        px(NQ, "25285.00"),
        px(NQ, "61.50"),
        2,
    )
    assert signal.events[-1].detail == f"trade {signal.trade_id} open: 2 NQZ2026 bullish entry 25346.50 stop 25285.00"


async def test_manual_mode_waits_for_approval_and_the_trade_comes_with_it(pg_pool: asyncpg.Pool) -> None:
    rig = await make_rig(pg_pool, signal_settings=settings_with(approval=ApprovalMode.MANUAL))
    signals = rig.core.signals
    signal_id = await submitted_pending(rig)
    with pytest.raises(FailedPrecondition, match="only a signal awaiting approval"):
        await signals.approve(signal_id)
    rig.play(AFTER_SIGNAL)
    assert (await signals.get(signal_id)).status is SignalStatus.AWAITING_APPROVAL
    await rig.stored()
    assert await pg_pool.fetchval("SELECT count(*) FROM trades") == 0
    approved = await signals.approve(signal_id)
    assert approved.status is SignalStatus.CONFIRMED and approved.trade_id is not None
    assert [e.kind.value for e in approved.events][-3:] == ["awaiting_approval", "confirmed", "trade_created"]
    assert await stored(pg_pool).get(signal_id) == approved
    assert await pg_pool.fetchval("SELECT entry FROM trades WHERE id = $1", approved.trade_id) == px(NQ, "25346.50")
    with pytest.raises(FailedPrecondition):
        await signals.approve(signal_id)
    with pytest.raises(FailedPrecondition):
        await signals.cancel(signal_id, "too late")


async def test_while_the_store_is_down_nothing_is_acknowledged_and_a_retry_returns_the_original(
    rig: LiveRig, pg_pool: asyncpg.Pool
) -> None:
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    rig.store.down = True
    with pytest.raises(Unavailable):
        await rig.core.signals.submit(bullish(), authenticated=True)
    with pytest.raises(Unavailable):
        await rig.core.signals.submit(bullish(), authenticated=True)  # the queued write must go first
    rig.store.down = False
    again = await rig.core.signals.submit(bullish(), authenticated=True)
    assert again.duplicate and again.signal.status is SignalStatus.PENDING
    assert await stored(pg_pool).get(again.signal.signal_id) == again.signal
    assert rig.core.writer.queued == 0


async def test_rows_the_store_refuses_are_retried_and_answered_as_unavailable_never_as_a_crash(
    rig: LiveRig, pg_pool: asyncpg.Pool
) -> None:
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    rig.store.refuse_rows = True
    with pytest.raises(Unavailable, match="row refused"):
        await rig.core.signals.submit(bullish(), authenticated=True)
    rig.store.refuse_rows = False
    other = await rig.core.signals.submit(bullish(strategy="another"), authenticated=True)
    assert await stored(pg_pool).get(other.signal.signal_id) == other.signal
    assert rig.core.writer.queued == 0  # the refused batch went first, once the store took it


async def test_decisions_made_by_candles_during_an_outage_are_stored_when_it_ends(
    rig: LiveRig, pg_pool: asyncpg.Pool
) -> None:
    signal_id = await submitted_pending(rig)
    rig.store.down = True
    rig.play(AFTER_SIGNAL)
    assert rig.core.writer.queued > 0
    assert (await rig.core.signals.get(signal_id)).status is SignalStatus.CONFIRMED  # decided in memory
    before = await stored(pg_pool).get(signal_id)
    assert before is not None and before.status is SignalStatus.PENDING
    rig.store.down = False
    await rig.stored()
    after = await stored(pg_pool).get(signal_id)
    assert after is not None and after.trade_id is not None and rig.core.writer.queued == 0


def tape_candles(ticks: Sequence[Trade]) -> list[Candle]:
    """The closed candles the kernel builds from `ticks` (a recorder storing them while no server runs)."""
    from core_server.kernel.market import MarketStage

    market = MarketStage()
    state = market.add_contract(NQ, complete_from_ns=ticks[0].ts_event)
    closed: list[Candle] = []
    for t in ticks:
        closed += state.aggregator.update(t.ts_event, t.price, t.size)
    return closed


async def test_a_restored_signal_catches_up_on_candles_stored_while_the_server_was_down(
    rig: LiveRig, pg_pool: asyncpg.Pool
) -> None:
    signal_id = await submitted_pending(rig)
    await CandleRepository(pg_pool).upsert(tape_candles(BEFORE_SIGNAL + AFTER_SIGNAL))
    before = await stored(pg_pool).get(signal_id)
    assert before is not None and before.status is SignalStatus.PENDING

    restarted = await make_rig(pg_pool, start_ns=utc(2026, 11, 19, 15, 40), prefix="second-")
    signal = await restarted.core.signals.get(signal_id)
    assert signal.status is SignalStatus.CONFIRMED
    assert (signal.entry_price, signal.stop_price) == (px(NQ, "25346.50"), px(NQ, "25285.00"))
    assert signal.signal_candle is not None and signal.signal_candle.start_ns == utc(2026, 11, 19, 15, 30)
    after = await stored(pg_pool).get(signal_id)
    assert after is not None and after.trade_id == signal.trade_id is not None


async def test_live_signals_are_answered_from_memory_and_settled_ones_from_the_store(
    rig: LiveRig, pg_pool: asyncpg.Pool
) -> None:
    signals = rig.core.signals
    signal_id = await submitted_pending(rig)
    rig.play([trade(NQ, utc(2026, 11, 19, 15, 31, 1), "25340.00")])  # closes the signal candle: no event
    assert (await signals.get(signal_id)).signal_candle is not None
    before = await stored(pg_pool).get(signal_id)
    assert before is not None and before.signal_candle is None
    [listed] = await signals.list_signals(statuses=[SignalStatus.PENDING])
    assert listed.signal_candle is not None and listed.waiting_for == "1m close > 25341.25"
    assert [s.signal_id for s in signals.live()] == [signal_id]

    cancelled = await signals.cancel(signal_id, "flat for the day")
    assert cancelled.status is SignalStatus.CANCELLED
    restarted = await make_rig(pg_pool, prefix="second-")
    again = restarted.core.signals
    assert (await again.get(signal_id)).status is SignalStatus.CANCELLED
    with pytest.raises(FailedPrecondition, match="already settled"):
        await again.cancel(signal_id, "")
    with pytest.raises(NotFound):
        await again.get("no-such-signal")
    with pytest.raises(NotFound):
        await again.approve("no-such-signal")
    restarted.play(BEFORE_SIGNAL)
    restarted.clock.set_ns(SIGNAL_TIME + 2 * S)
    repeat = await again.submit(bullish(), authenticated=True)
    assert repeat.duplicate and repeat.signal.signal_id == signal_id
