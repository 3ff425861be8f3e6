"""TradeRepository against real PostgreSQL: exact round trips in ticks (R rebuilt exactly), rows and events saved
together, append-only events, the Signal Lab's trades picked up, filters newest first."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import asyncpg
import pytest

from core_server.excursions.model import Direction, TradeSpec, TradeStatus
from core_server.excursions.tracked import TrackedTrade, TradeSource, TradeWrite
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.errors import Unavailable
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Aggressor, Trade
from core_server.signals.trade_record import TradeRecord, trade_for
from core_server.storage.signals import SignalRepository
from core_server.storage.trades import TradeRepository
from tests.integration.storage.test_signal_repository import ENTRY_START, confirmed, submitted
from tests.unit.signals.signal_fakes import Rig

NQ, ES = INSTRUMENTS["NQ"], INSTRUMENTS["ES"]
T0 = 1_795_000_000_000_000_000
S = 1_000_000_000


def spec(trade_id: str, entry: str, stop: str, *, opened: int = T0, contract: str = "NQZ2026") -> TradeSpec:
    instrument = NQ if contract.startswith("NQ") else ES
    direction = Direction.LONG if Decimal(stop) < Decimal(entry) else Direction.SHORT
    return TradeSpec(
        trade_id, contract, direction, 2, instrument.ticks_from_price(entry), instrument.ticks_from_price(stop), opened
    )


def play(tracker: ExcursionTracker, *prices: str, at: int = 1) -> ExcursionTracker:
    """Last-trade prices one second apart, from `at` seconds after the trade opened."""
    instrument = tracker.instrument
    for i, price in enumerate(prices, start=at):
        ts = tracker.spec.opened_ns + i * S
        tracker.on_tick(Trade(tracker.spec.contract_id, ts, ts, instrument.ticks_from_price(price), 1, Aggressor.BUY))
    return tracker


def trade_spec_for(record: TradeRecord) -> TradeSpec:
    """The spec the server tracks a Signal Lab trade with (app._track_signal_trade)."""
    return TradeSpec(
        record.trade_id,
        record.contract_id,
        Direction(record.direction),
        record.quantity,
        record.entry_price,
        record.stop_price,
        record.created_ns,
    )


def paper(tracker: ExcursionTracker) -> TrackedTrade:
    return TrackedTrade(tracker.snapshot(), TradeSource.PAPER, None, "acct-1")


async def test_a_trade_and_its_history_round_trip_exactly(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    tracker = ExcursionTracker(spec("T-1", "25000.00", "24975.00"))
    await repo.save([TradeWrite(paper(tracker), 0)])
    first = paper(play(tracker, "24985.00", "25025.00"))  # MAE -0.6R, then +1R: break-even
    await repo.save([TradeWrite(first, 0)])
    final = paper(play(tracker, "25000.00", at=3))  # back to entry: a break-even scratch
    await repo.save([TradeWrite(final, len(first.excursion.events))])

    stored = await repo.get("T-1")

    assert stored == final
    assert stored is not None
    s = stored.excursion
    assert (s.status, s.mfe_r, s.mae_r, s.result_r) == (TradeStatus.BREAK_EVEN, 1, Fraction(-3, 5), 0)
    assert (s.mfe_points, s.mae_points, s.stop, s.exit_price) == (
        Decimal("25.00"),
        Decimal("-15.00"),
        NQ.ticks_from_price("25000.00"),
        NQ.ticks_from_price("25000.00"),
    )
    assert [(e.kind.value, e.r) for e in s.events] == [
        ("new_low", Fraction(-3, 5)),
        ("new_high", 1),
        ("break_even_triggered", 1),
        ("stop_hit", 0),
    ]
    row = await pg_pool.fetchrow(
        "SELECT status, source, account_id, signal_id, mfe_ticks, mae_ticks, result_ticks, current_stop, closed_ns"
        " FROM trades WHERE id = 'T-1'"
    )
    assert tuple(row) == ("break_even", "paper", "acct-1", None, 100, -60, 0, 100_000, T0 + 3 * S)
    assert await repo.get("nope") is None


async def test_saving_the_same_write_again_adds_no_event_twice(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    trade = paper(play(ExcursionTracker(spec("T-1", "25000.00", "24975.00")), "25010.00", "24990.00"))
    await repo.save([TradeWrite(trade, 0)])
    await repo.save([TradeWrite(trade, 0)])  # a retry after an unknown outcome

    assert await pg_pool.fetchval("SELECT count(*) FROM trade_events WHERE trade_id = 'T-1'") == 2


async def test_trade_events_are_append_only(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    await repo.save([TradeWrite(paper(play(ExcursionTracker(spec("T-1", "25000.00", "24975.00")), "25010.00")), 0)])

    for statement in (
        "UPDATE trade_events SET price = 1",
        "DELETE FROM trade_events",
        "TRUNCATE trade_events",
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await pg_pool.execute(statement)
    assert await pg_pool.fetchval("SELECT count(*) FROM trade_events") == 1


async def test_a_save_is_one_transaction_for_every_trade_in_it(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    good = paper(play(ExcursionTracker(spec("T-1", "25000.00", "24975.00")), "25010.00"))
    signal_without_signal_row = replace(good, source=TradeSource.SIGNAL, signal_id="no-such-signal")
    bad = replace(signal_without_signal_row, excursion=replace(good.excursion, spec=replace(good.spec, trade_id="T-2")))

    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await repo.save([TradeWrite(good, 0), TradeWrite(bad, 0)])
    assert await pg_pool.fetchval("SELECT count(*) FROM trades") == 0
    assert await pg_pool.fetchval("SELECT count(*) FROM trade_events") == 0


async def test_a_signal_lab_trade_is_open_at_its_initial_stop_and_keeps_its_origin(pg_pool: asyncpg.Pool) -> None:
    signals, repo = SignalRepository(pg_pool), TradeRepository(pg_pool)
    rig = Rig()
    await signals.save_batch(submitted(rig))
    [confirmation] = confirmed(rig)
    attached = rig.validator.attach_trade("sig-1", "T-1", "trade T-1 open", ENTRY_START + 2)
    record = trade_for(attached.signal, "T-1", ENTRY_START + 2)
    await signals.save_batch([confirmation, attached], [record])

    [restored] = await repo.open_trades()

    expected = TrackedTrade(ExcursionTracker(trade_spec_for(record)).snapshot(), TradeSource.SIGNAL, "sig-1")
    assert restored == expected
    moved = replace(expected, excursion=play(ExcursionTracker(trade_spec_for(record)), "25300.00").snapshot())
    await repo.save([TradeWrite(moved, 0)])
    assert await repo.get("T-1") == moved
    assert (await signals.get_trade("T-1")) == record  # the Signal Lab's view of its trade is unchanged


async def test_list_filters_open_closed_contract_and_time_newest_first_without_histories(
    pg_pool: asyncpg.Pool,
) -> None:
    repo = TradeRepository(pg_pool)
    open_nq = play(ExcursionTracker(spec("A", "25000.00", "24975.00", opened=T0)), "25010.00")
    stopped_nq = play(ExcursionTracker(spec("B", "25000.00", "25025.00", opened=T0 + 10 * S)), "25025.00")
    open_es = play(ExcursionTracker(spec("C", "6000.00", "5990.00", opened=T0 + 20 * S, contract="ESZ2026")), "6001")
    await repo.save([TradeWrite(paper(t), 0) for t in (open_nq, stopped_nq, open_es)])

    async def ids(**filters: object) -> list[str]:
        return [t.trade_id for t in await repo.list(**filters)]  # type: ignore[arg-type]

    assert await ids() == ["C", "B", "A"]
    assert await ids(is_open=True) == ["C", "A"]
    assert await ids(is_open=False) == ["B"]
    assert await ids(contract_id="NQZ2026") == ["B", "A"]
    assert await ids(from_ns=T0 + 10 * S) == ["C", "B"]
    assert await ids(to_ns=T0 + 10 * S) == ["A"]
    assert await ids(limit=1) == ["C"]
    assert await ids(limit=0) == []
    listed = await repo.list(is_open=False)
    assert listed[0].excursion == replace(stopped_nq.snapshot(), events=())
    assert [t.trade_id for t in await repo.open_trades()] == ["A", "C"]


async def test_a_closed_pool_raises_unavailable(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    await pg_pool.close()
    trade = paper(ExcursionTracker(spec("T-1", "25000.00", "24975.00")))
    with pytest.raises(Unavailable):
        await repo.save([TradeWrite(trade, 0)])
    with pytest.raises(Unavailable):
        await repo.get("T-1")
    with pytest.raises(Unavailable):
        await repo.list()
    with pytest.raises(Unavailable):
        await repo.open_trades()
