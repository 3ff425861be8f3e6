"""Settled signals leave the validator's memory once stored (issue 14 §2: memory bounded over weeks), and the
store answers for them: the Signal Lab's reads and a repeated alert's duplicate check. Real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import pytest

from core_server.model.errors import FailedPrecondition, NotFound, Unavailable
from core_server.signals.model import SignalInput, SignalStatus
from tests.integration.live.test_live_signals import BEFORE_SIGNAL, SIGNAL_TIME, bullish, make_rig, stored
from tests.kit.feeds import NQ, px
from tests.kit.live import LiveRig

S = 1_000_000_000


@pytest.fixture
async def rig(pg_pool: asyncpg.Pool) -> AsyncIterator[LiveRig]:
    rig = await make_rig(pg_pool)
    rig.play(BEFORE_SIGNAL)
    rig.clock.set_ns(SIGNAL_TIME + 2 * S)
    rig.core.shell.kernel.signals.keep_settled = 2  # type: ignore[union-attr]
    yield rig


def far(strategy: str) -> SignalInput:
    """An alert 5,340 points from the market: rejected at once (staleness_price)."""
    return replace(bullish(strategy=strategy), signal_price=px(NQ, "20000.00"))


async def rejected(rig: LiveRig, n: int) -> list[str]:
    """`n` alerts far from the market: each rejected at once (staleness), each stored before it is answered."""
    ids = []
    for i in range(n):
        result = await rig.core.signals.submit(far(f"far-{i}"), authenticated=True)
        assert result.signal.status is SignalStatus.REJECTED and not result.duplicate
        ids.append(result.signal.signal_id)
    return ids


async def test_settled_signals_leave_memory_once_stored_and_the_store_answers_for_them(
    rig: LiveRig, pg_pool: asyncpg.Pool
) -> None:
    validator = rig.core.shell.kernel.signals
    assert validator is not None
    pending = (await rig.core.signals.submit(bullish(), authenticated=True)).signal
    assert pending.status is SignalStatus.PENDING
    ids = await rejected(rig, 6)
    assert validator.held_count == 7  # nothing forgotten before the shell's step

    assert rig.core.shell.forget_stored_signals() == 4
    assert validator.held_count == 3  # the live one and the two most recent settled ones
    assert [s.signal_id for s in rig.core.signals.live()] == [pending.signal_id]
    with pytest.raises(NotFound):
        validator.get(ids[0])
    from_store = await rig.core.signals.get(ids[0])  # the Signal Lab reads it from the store
    assert from_store == await stored(pg_pool).get(ids[0])
    assert from_store.status is SignalStatus.REJECTED
    with pytest.raises(FailedPrecondition, match="already settled"):
        await rig.core.signals.cancel(ids[0], "")

    # TradingView retries the first alert: the original decision, from the store, and no new signal.
    before = await pg_pool.fetchval("SELECT count(*) FROM signals")
    again = await rig.core.signals.submit(far("far-0"), authenticated=True)
    assert again.duplicate and again.signal.signal_id == ids[0]
    recent = await rig.core.signals.submit(  # still in memory: the same answer
        far("far-5"), authenticated=True
    )
    assert recent.duplicate and recent.signal.signal_id == ids[5]
    assert await pg_pool.fetchval("SELECT count(*) FROM signals") == before


async def test_nothing_is_forgotten_while_decisions_wait_for_the_store(rig: LiveRig) -> None:
    validator = rig.core.shell.kernel.signals
    assert validator is not None
    ids = await rejected(rig, 3)
    rig.play([])
    rig.store.down = True
    rig.clock.set_ns(SIGNAL_TIME + 3 * S)
    with pytest.raises(Unavailable):  # decided, queued, not stored yet
        await rig.core.signals.submit(far("late"), authenticated=True)
    assert rig.core.writer.queued > 0
    rig.core.shell.advance()  # the timer's step: the store is down, so nothing leaves
    assert rig.core.shell.forget_stored_signals() == 0
    assert validator.held_count == 4
    rig.store.down = False
    await rig.stored()
    assert rig.core.shell.forget_stored_signals() == 2
    with pytest.raises(NotFound):
        validator.get(ids[1])
    assert validator.get(ids[2]).status is SignalStatus.REJECTED
