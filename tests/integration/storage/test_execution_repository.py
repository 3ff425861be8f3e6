"""ExecutionRepository on real PostgreSQL: atomic commits, an append-only journal and fills, exact round trips."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from core_server.execution.changes import change_of, restored_snapshot
from core_server.execution.commands import ExitOffset, OffsetUnit, OpenAccount, SubmitBracket, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.model.errors import Unavailable
from core_server.storage.execution import ExecutionRepository
from tests.kit.feeds import ES, quote
from tests.kit.time import utc

ACC = AccountId("acc")
T0 = utc(2026, 11, 18, 15, 0)
MS = 1_000_000


async def _commit(repo: ExecutionRepository, engine: PaperExecutionEngine, command: object, at: int) -> None:
    events = engine.execute(command, at)  # type: ignore[arg-type]
    await repo.commit([change_of(engine, events, at, command, {ACC: "main"})])  # type: ignore[arg-type]


async def _tick(repo: ExecutionRepository, engine: PaperExecutionEngine, tick: object) -> None:
    events = engine.on_tick(tick)  # type: ignore[arg-type]
    if events:
        await repo.commit([change_of(engine, events, tick.ts_event)])  # type: ignore[attr-defined]


async def _busy(repo: ExecutionRepository) -> PaperExecutionEngine:
    engine = PaperExecutionEngine(fill_settings=FillSettings(seed=3))
    await _commit(repo, engine, OpenAccount(ACC, Decimal("25000")), T0)
    await _tick(repo, engine, quote(ES, T0, "6000.00", "6000.25"))
    await _commit(repo, engine, SubmitOrder(ACC, ES.id, OrderSide.BUY, 3, OrderType.MARKET), T0 + MS)
    await _commit(
        repo,
        engine,
        SubmitOrder(ACC, ES.id, OrderSide.BUY, 1, OrderType.LIMIT, limit_price=Decimal("5990.00")),
        T0 + MS,
    )
    await _commit(
        repo,
        engine,
        SubmitBracket(
            ACC, ES.id, OrderSide.SELL, 1, OrderType.LIMIT, Decimal("6020.00"), Decimal("5980.00"), Decimal("6010.00")
        ),
        T0 + MS,
    )
    await _tick(repo, engine, quote(ES, T0 + 300 * MS, "6000.00", "6000.25"))
    await _commit(repo, engine, SubmitOrder(ACC, ES.id, OrderSide.SELL, 1, OrderType.MARKET), T0 + 400 * MS)
    await _tick(repo, engine, quote(ES, T0 + 700 * MS, "6001.00", "6001.25"))
    return engine


async def test_a_restored_engine_equals_the_stored_one(pg_pool: asyncpg.Pool) -> None:
    repo = ExecutionRepository(pg_pool)
    engine = await _busy(repo)
    stored = await repo.load()
    assert [a.name for a in stored.accounts] == ["main"]
    restored = PaperExecutionEngine(fill_settings=FillSettings(seed=3))
    restored.restore(restored_snapshot(stored))
    mine, theirs = engine.snapshot(), restored.snapshot()
    assert theirs.orders == mine.orders
    assert theirs.positions == mine.positions and theirs.lots == mine.lots
    assert theirs.accounts == mine.accounts
    assert theirs.books == mine.books
    assert [oid for oid, *_ in theirs.resting] == [oid for oid, *_ in mine.resting]
    assert stored.fill_seq == 2 and stored.last_seq > 0
    fills = await repo.list_fills(ACC, 0, 0, 10)
    assert [(f.fill_id, f.quantity) for f in fills] == [("F-2", 1), ("F-1", 3)]
    assert fills[1].commission == Decimal("7.50")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE execution_journal SET type = 'x'",
        "DELETE FROM execution_journal",
        "TRUNCATE execution_journal",
        "UPDATE paper_fills SET price = 1",
        "DELETE FROM paper_fills",
        "TRUNCATE paper_fills CASCADE",
    ],
)
async def test_the_journal_and_the_fills_are_append_only(pg_pool: asyncpg.Pool, statement: str) -> None:
    await _busy(ExecutionRepository(pg_pool))
    with pytest.raises(asyncpg.exceptions.RestrictViolationError):
        await pg_pool.execute(statement)


async def test_the_journal_holds_each_command_before_its_events(pg_pool: asyncpg.Pool) -> None:
    await _busy(ExecutionRepository(pg_pool))
    rows = await pg_pool.fetch("SELECT kind, type, payload->>'account_id' AS acc FROM execution_journal ORDER BY seq")
    assert [(r["kind"], r["type"]) for r in rows[:2]] == [("command", "OpenAccount"), ("event", "AccountOpened")]
    submit = next(i for i, r in enumerate(rows) if r["type"] == "SubmitOrder")
    assert rows[submit + 1]["type"] == "OrderAccepted" and rows[submit]["acc"] == "acc"


async def test_a_closed_pool_is_unavailable(pg_pool: asyncpg.Pool) -> None:
    repo = ExecutionRepository(pg_pool)
    await pg_pool.close()
    with pytest.raises(Unavailable):
        await repo.load()


async def test_reduce_only_flags_and_exit_distances_restore_exactly(pg_pool: asyncpg.Pool) -> None:
    repo = ExecutionRepository(pg_pool)
    engine = PaperExecutionEngine(fill_settings=FillSettings(seed=3))
    await _commit(repo, engine, OpenAccount(ACC, Decimal("25000")), T0)
    await _tick(repo, engine, quote(ES, T0, "6000.00", "6000.25"))
    ticks_8, r_2 = ExitOffset(Decimal(8), OffsetUnit.TICKS), ExitOffset(Decimal("1.5"), OffsetUnit.R)
    await _commit(repo, engine, SubmitBracket(ACC, ES.id, OrderSide.BUY, 2, OrderType.MARKET, ticks_8, r_2), T0 + MS)
    held = SubmitBracket(
        ACC, ES.id, OrderSide.BUY, 1, OrderType.LIMIT, ExitOffset(Decimal("2.5"), OffsetUnit.POINTS), r_2,
        Decimal("5990.00"),
    )  # fmt: skip
    await _commit(repo, engine, held, T0 + MS)
    await _tick(repo, engine, quote(ES, T0 + 300 * MS, "6000.00", "6000.25"))
    reduce = SubmitOrder(
        ACC, ES.id, OrderSide.SELL, 5, OrderType.LIMIT, limit_price=Decimal("6020.00"), reduce_only=True
    )
    await _commit(repo, engine, reduce, T0 + 400 * MS)
    restored = PaperExecutionEngine(fill_settings=FillSettings(seed=3))
    restored.restore(restored_snapshot(await repo.load()))
    mine, theirs = engine.snapshot(), restored.snapshot()
    assert theirs.orders == mine.orders
    by_role = {(o.role.name, o.status.name): o for o in theirs.orders}
    anchored = by_role[("TAKE_PROFIT", "WORKING")]
    assert (anchored.target_r, anchored.reduce_only, anchored.limit_price is not None) == (Decimal("1.5"), True, True)
    waiting = by_role[("STOP_LOSS", "HELD")]
    assert (waiting.offset_ticks, waiting.stop_price) == (10, None)
    assert [o.quantity for o in theirs.orders if o.role.name == "STANDALONE"] == [2]  # cut to the long 2
    # the restored engine keeps cutting and cancelling reduce-only orders
    sell_all = SubmitOrder(ACC, ES.id, OrderSide.SELL, 2, OrderType.MARKET)
    for e in (engine, restored):
        e.execute(sell_all, T0 + 500 * MS)
        e.on_tick(quote(ES, T0 + 700 * MS, "6000.00", "6000.25"))

    def outcome(e: PaperExecutionEngine) -> list[tuple[str, str, int, int]]:  # latency draws differ after a restart
        return [(o.order_id, o.status.name, o.quantity, o.filled_qty) for o in e.orders()]

    assert outcome(restored) == outcome(engine)
    assert restored.position(ACC, ES.id).is_flat
    assert not [o for o in restored.open_orders(ACC) if o.reduce_only and o.status.name != "HELD"]
