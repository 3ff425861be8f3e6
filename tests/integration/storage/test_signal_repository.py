"""SignalRepository against real PostgreSQL: exact round trips, atomic saves with trades, append-only events,
filters, live signals and claimed idempotency keys."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
import pytest

from core_server.model.errors import Unavailable
from core_server.model.market_data import Candle, Timeframe
from core_server.signals.model import SignalDirection, SignalStatus, SignalUpdate
from core_server.signals.settings import ApprovalMode, settings_with
from core_server.signals.trade_record import trade_for
from core_server.storage.signals import SignalRepository
from tests.kit.time import ct
from tests.unit.signals.signal_fakes import NQ, Rig, S, bar, px, signal_input

M5 = Timeframe.M5
T = ct(2025, 11, 14, 8, 37, 12)
BEFORE = bar(ct(2025, 11, 14, 8, 30), "25330.00", "25338.00", "25320.00", "25335.00")
C0 = bar(ct(2025, 11, 14, 8, 35), "25335.00", "25341.25", "25318.00", "25340.00")
C1 = bar(ct(2025, 11, 14, 8, 40), "25340.00", "25341.00", "25310.00", "25325.00")
C2 = bar(ct(2025, 11, 14, 8, 45), "25325.00", "25339.00", "25315.50", "25330.00")
C3 = bar(ct(2025, 11, 14, 8, 50), "25330.00", "25350.00", "25322.00", "25345.00")
ENTRY_START = ct(2025, 11, 14, 8, 55)


def submitted(rig: Rig, *, now: int = T + 2 * S, authenticated: bool = True, **fields: object) -> list[SignalUpdate]:
    rig.history.add(BEFORE)
    rig.market.trade("25340.00")
    sig = signal_input(T, "25341.25", raw_payload='{"action":"buy","price":25341.25}', **fields)
    return list(rig.validator.submit(sig, authenticated=authenticated, now_ns=now).updates)


def closed(rig: Rig, *candles: Candle) -> list[SignalUpdate]:
    updates: list[SignalUpdate] = []
    for candle in candles:
        rig.history.add(candle)
        updates += rig.validator.on_candle_closed(candle, candle.end_ns + S)
    return updates


def confirmed(rig: Rig) -> list[SignalUpdate]:
    updates = closed(rig, C0, C1, C2, C3)
    return updates + rig.validator.on_candle_opened(NQ, M5, ENTRY_START, px("25346.50"), ENTRY_START + 1)


async def test_a_pending_signal_round_trips_exactly(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    rig = Rig()
    updates = submitted(rig, bar_time_ns=0, htf_bias="bullish", session="NY AM", quantity=3, symbol="NQ1!")
    for update in updates:
        await repo.save(update)
    closed(rig, C0)  # no event: the signal candle is known in memory only until the next event
    stored = await repo.get("sig-1")
    assert stored == updates[-1].signal
    assert stored is not None and stored.status is SignalStatus.PENDING
    assert await repo.get("nope") is None


async def test_a_confirmed_signal_is_stored_with_its_trade_in_one_transaction(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    rig = Rig()
    await repo.save_batch(submitted(rig))
    [confirmation] = confirmed(rig)
    attached = rig.validator.attach_trade("sig-1", "T-1", "trade T-1 open", ENTRY_START + 2)
    trade = trade_for(attached.signal, "T-1", ENTRY_START + 2)
    await repo.save_batch([confirmation, attached], [trade])

    stored = await repo.get("sig-1")
    assert stored == attached.signal
    assert stored is not None and stored.confirmation_candle == C3 and stored.signal_candle == C0
    assert (stored.entry_price, stored.stop_price, stored.risk_ticks, stored.trade_id) == (
        px("25346.50"),
        px("25285.00"),
        px("61.50"),
        "T-1",
    )
    assert [e.kind.value for e in stored.events] == ["received", "pending", "confirmed", "trade_created"]
    assert await repo.get_trade("T-1") == trade
    assert (trade.direction, trade.quantity, trade.status) == (SignalDirection.BULLISH, 1, "open")
    row = await pg_pool.fetchrow("SELECT entry, stop, risk_ticks, created_ns FROM trades WHERE signal_id = 'sig-1'")
    assert tuple(row) == (px("25346.50"), px("25285.00"), px("61.50"), ENTRY_START + 2)


async def test_a_trade_without_its_signal_rolls_the_whole_batch_back(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    rig = Rig()
    updates = submitted(rig)
    confirmed(rig)
    attached = rig.validator.attach_trade("sig-1", "T-1", "trade", ENTRY_START + 2)
    orphan = replace(trade_for(attached.signal, "T-1", ENTRY_START + 2), signal_id="sig-404")
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await repo.save_batch(updates, [orphan])
    assert await repo.get("sig-1") is None


async def test_events_are_append_only(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    await repo.save_batch(submitted(Rig()))
    for statement in (
        "UPDATE signal_events SET detail = 'changed' WHERE signal_id = 'sig-1'",
        "DELETE FROM signal_events WHERE signal_id = 'sig-1'",
        "TRUNCATE signal_events CASCADE",
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await pg_pool.execute(statement)
    assert await pg_pool.fetchval("SELECT count(*) FROM signal_events") == 2


async def test_a_late_older_snapshot_never_rolls_a_signal_back(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    rig = Rig()
    updates = submitted(rig)
    cancelled = rig.validator.cancel("sig-1", "changed my mind", T + 10 * S)
    await repo.save(cancelled)
    await repo.save(updates[0])  # the "received" snapshot arrives late
    stored = await repo.get("sig-1")
    assert stored is not None and stored.status is SignalStatus.CANCELLED
    assert len(stored.events) == 3


async def test_live_lists_pending_and_awaiting_approval_oldest_first(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    rig = Rig(settings_with(approval=ApprovalMode.MANUAL))
    await repo.save_batch(submitted(rig))  # sig-1: will await approval
    await repo.save_batch(confirmed(rig))
    await repo.save_batch(submitted(rig, now=T + 3 * S, strategy="other"))  # sig-2: pending
    await repo.save_batch(submitted(rig, now=T + 4 * S, strategy="third"))  # sig-3: cancelled
    await repo.save(rig.validator.cancel("sig-3", "", T + 5 * S))
    live = await repo.live()
    assert [(s.signal_id, s.status) for s in live] == [
        ("sig-1", SignalStatus.AWAITING_APPROVAL),
        ("sig-2", SignalStatus.PENDING),
    ]


async def test_list_filters_by_status_contract_strategy_and_time_newest_first(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    rig = Rig()
    rig.market.trade("25340.00", contract_id="NQH2026")
    await repo.save_batch(submitted(rig, now=T + 1 * S, strategy="orb"))  # sig-1 pending
    await repo.save_batch(submitted(rig, now=T + 2 * S, strategy="vwap"))  # sig-2 pending
    await repo.save_batch(submitted(rig, now=T + 3 * S, strategy="orb", contract="NQH2026"))  # sig-3 pending
    await repo.save_batch(submitted(rig, now=T + 4 * S, strategy="orb", authenticated=False))  # sig-4 rejected

    async def ids(**filters: object) -> list[str]:
        return [s.signal_id for s in await repo.list(**filters)]  # type: ignore[arg-type]

    assert await ids() == ["sig-4", "sig-3", "sig-2", "sig-1"]
    assert await ids(statuses=[SignalStatus.REJECTED]) == ["sig-4"]
    assert await ids(statuses=[SignalStatus.PENDING, SignalStatus.CONFIRMED]) == ["sig-3", "sig-2", "sig-1"]
    assert await ids(contract_id="NQH2026") == ["sig-3"]
    assert await ids(strategy="orb") == ["sig-4", "sig-3", "sig-1"]
    assert await ids(from_ns=T + 2 * S, to_ns=T + 4 * S) == ["sig-3", "sig-2"]
    assert await ids(from_ns=T + 3 * S) == ["sig-4", "sig-3"]
    assert await ids(to_ns=T + 2 * S) == ["sig-1"]
    assert await ids(limit=2) == ["sig-4", "sig-3"]
    [first] = await repo.list(limit=1)
    assert len(first.events) == 2  # rejected deliveries: received, rejected


async def test_only_authenticated_deliveries_claim_their_key(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    rig = Rig()
    forged = submitted(rig, authenticated=False, idempotency_key="alert-7")
    genuine = submitted(rig, now=T + 3 * S, idempotency_key="alert-7")
    await repo.save_batch(forged)
    assert await repo.find_by_key("alert-7") is None
    await repo.save_batch(genuine)
    found = await repo.find_by_key("alert-7")
    assert found is not None and found.signal_id == "sig-2"
    duplicate = Rig()
    duplicate.ids.n = 5
    with pytest.raises(asyncpg.UniqueViolationError):
        await repo.save_batch(submitted(duplicate, idempotency_key="alert-7"))


async def test_a_closed_pool_raises_unavailable(pg_pool: asyncpg.Pool) -> None:
    repo = SignalRepository(pg_pool)
    updates = submitted(Rig())
    await pg_pool.close()
    with pytest.raises(Unavailable):
        await repo.save_batch(updates)
    with pytest.raises(Unavailable):
        await repo.get("sig-1")
    with pytest.raises(Unavailable):
        await repo.list()
    with pytest.raises(Unavailable):
        await repo.live()
    with pytest.raises(Unavailable):
        await repo.find_by_key("k")
