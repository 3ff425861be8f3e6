"""TradeRepository against real PostgreSQL: round trips read back exactly (R rebuilt from ticks), rows and events
saved together, append-only events, the Signal Lab's trades picked up, filters newest first, journal fields."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import asyncpg
import pytest

from core_server.excursions.tracked import TradeSource
from core_server.execution.commands import FlattenAccount, SubmitBracket, SubmitOrder
from core_server.execution.model import OrderSide, OrderType
from core_server.model.errors import Unavailable
from core_server.signals.trade_record import trade_for
from core_server.storage.signals import SignalRepository
from core_server.storage.trades import TradeFilter, TradeRepository
from core_server.trades.model import JournalNotes, RoundTrip, TradeChange
from tests.integration.storage.test_signal_repository import ENTRY_START, confirmed, submitted
from tests.kit.kernel import ACC, ES, MS, NQ, T0, KernelRig, q, t
from tests.unit.signals.signal_fakes import Rig

BUY, SELL, MKT = OrderSide.BUY, OrderSide.SELL, OrderType.MARKET


def bracket_round_trip() -> KernelRig:
    """A long ES bracket that rises, dips and is flattened: a closed trip with a history."""
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitBracket(ACC, ES.id, BUY, 2, MKT, Decimal("5995.25"), Decimal("6010.25")), T0 + MS)
    rig.ticks(t(5, "6003.00"), t(6, "5999.00"), q(7, "6001.00", "6001.25"))
    rig.run(FlattenAccount(ACC), T0 + 10 * MS)
    return rig


def without_events(trip: RoundTrip) -> RoundTrip:
    return replace(trip, excursion=replace(trip.excursion, events=()))


async def test_a_round_trip_and_its_history_read_back_exactly(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    rig = bracket_round_trip()
    await repo.save(rig.changes())
    [trip] = rig.trips().values()
    stored = await repo.get(trip.trade_id)
    assert stored is not None
    assert without_events(stored) == without_events(trip)
    assert [e.kind.value for e in stored.excursion.events] == ["new_high", "new_low", "closed"]
    assert (stored.gross, stored.commissions, stored.exit_qty) == (Decimal("75.00"), Decimal("10.00"), 2)


async def test_saving_the_same_changes_again_adds_no_event_twice(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    changes = bracket_round_trip().changes()
    await repo.save(changes)
    await repo.save(changes)  # a retry after an unknown outcome
    assert await pg_pool.fetchval("SELECT count(*) FROM trade_events") == 3


async def test_trade_events_are_append_only(pg_pool: asyncpg.Pool) -> None:
    await TradeRepository(pg_pool).save(bracket_round_trip().changes())
    for statement in ("UPDATE trade_events SET price = 1", "DELETE FROM trade_events", "TRUNCATE trade_events"):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await pg_pool.execute(statement)
    assert await pg_pool.fetchval("SELECT count(*) FROM trade_events") == 3


async def test_a_save_is_one_transaction_for_every_trade_in_it(pg_pool: asyncpg.Pool) -> None:
    good = bracket_round_trip().changes()[-1]
    orphan = replace(good.trip, trade_id="T-2", source=TradeSource.SIGNAL, signal_id="no-such-signal")
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await TradeRepository(pg_pool).save([good, TradeChange(orphan)])
    assert await pg_pool.fetchval("SELECT count(*) FROM trades") == 0
    assert await pg_pool.fetchval("SELECT count(*) FROM trade_events") == 0


async def test_a_signal_lab_trade_is_picked_up_open_and_its_round_trip_rewrites_it(pg_pool: asyncpg.Pool) -> None:
    signals, repo = SignalRepository(pg_pool), TradeRepository(pg_pool)
    rig = Rig()
    await signals.save_batch(submitted(rig))
    [confirmation] = confirmed(rig)
    attached = rig.validator.attach_trade("sig-1", "T-1", "trade T-1 open", ENTRY_START + 2)
    record = trade_for(attached.signal, "T-1", ENTRY_START + 2)
    await signals.save_batch([confirmation, attached], [record])

    [restored] = await repo.open_trades()
    assert (restored.trade_id, restored.source, restored.signal_id) == ("T-1", TradeSource.SIGNAL, "sig-1")
    assert (restored.excursion.spec.entry, restored.initial_stop) == (record.entry_price, record.stop_price)
    executed = replace(restored, account_id="paper", gross=Decimal("12.50"))
    await repo.save([TradeChange(executed)])
    again = await repo.get("T-1")
    assert again is not None and (again.account_id, again.gross) == ("paper", Decimal("12.50"))
    assert (await signals.get_trade("T-1")) == record  # the Signal Lab's view of its trade is unchanged


async def test_list_filters_open_closed_contract_account_and_time_newest_first(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    rig = KernelRig(contracts=(ES, NQ))
    rig.ticks(q(0, "6000.00", "6000.25"), q(1, "25000.00", "25000.25", NQ))
    rig.run(SubmitOrder(ACC, ES.id, BUY, 1, MKT), T0 + 2 * MS)
    rig.run(SubmitOrder(ACC, ES.id, SELL, 1, MKT), T0 + 3 * MS)
    rig.run(SubmitOrder(ACC, NQ.id, BUY, 1, MKT), T0 + 4 * MS)
    await repo.save(rig.changes())

    async def ids(**filters: object) -> list[str]:
        return [trip.contract_id for trip in await repo.list(TradeFilter(**filters))]  # type: ignore[arg-type]

    assert await ids() == [NQ.id, ES.id]
    assert await ids(is_open=True) == [NQ.id]
    assert await ids(is_open=False) == [ES.id]
    assert await ids(contract_id=ES.id) == [ES.id]
    assert await ids(account_id="nobody") == []
    assert await ids(from_ns=T0 + 4 * MS) == [NQ.id]
    assert await ids(to_ns=T0 + 4 * MS) == [ES.id]
    assert await ids(limit=1) == [NQ.id]
    assert await ids(limit=0) == []
    assert [trip.contract_id for trip in await repo.closed_between(0, 0)] == [ES.id]


async def test_journal_fields_are_kept_apart_from_trading(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    rig = bracket_round_trip()
    await repo.save(rig.changes())
    [trip] = rig.trips().values()
    notes = JournalNotes(("a+", "news"), "ORB", "chased the open", 4)
    assert await repo.set_journal(trip.trade_id, notes)
    await repo.save(rig.changes())  # trading changes never touch the journal fields
    stored = await repo.get(trip.trade_id)
    assert stored is not None and stored.journal == notes
    assert not await repo.set_journal("no-such-trade", notes)


async def test_a_closed_pool_raises_unavailable(pg_pool: asyncpg.Pool) -> None:
    repo = TradeRepository(pg_pool)
    changes = bracket_round_trip().changes()
    await pg_pool.close()
    with pytest.raises(Unavailable):
        await repo.save(changes)
    with pytest.raises(Unavailable):
        await repo.get("T-1")
    with pytest.raises(Unavailable):
        await repo.list(TradeFilter())
    with pytest.raises(Unavailable):
        await repo.open_trades()
