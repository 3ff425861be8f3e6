"""Migrations: applied once, in order, recorded, and safe when two servers start together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest

from core_server.storage.database import connect_pool
from core_server.storage.migrator import Migration, load_migrations, migrate
from tests.kit.postgres import drop_database, with_database


@pytest.fixture
async def empty_pool(postgres_admin_url: str) -> AsyncIterator[asyncpg.Pool]:
    name = f"t_empty_{uuid4().hex}"
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    pool = await connect_pool(with_database(postgres_admin_url, name), min_size=2, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()
        await drop_database(postgres_admin_url, name)


async def _tables(pool: asyncpg.Pool) -> set[str]:
    rows = await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


async def test_migrate_on_a_fresh_database_creates_the_schema_and_records_each_version(
    empty_pool: asyncpg.Pool,
) -> None:
    applied = await migrate(empty_pool)

    assert applied == [m.version for m in load_migrations()]
    assert {"ticks", "tick_batches", "candles", "schema_migrations"} <= await _tables(empty_pool)
    recorded = await empty_pool.fetch("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["name"]) for r in recorded] == [(m.version, m.name) for m in load_migrations()]
    assert all(r["applied_at"] is not None for r in recorded)


async def test_migrate_again_applies_nothing(empty_pool: asyncpg.Pool) -> None:
    await migrate(empty_pool)

    assert await migrate(empty_pool) == []
    assert await empty_pool.fetchval("SELECT count(*) FROM schema_migrations") == len(load_migrations())


async def test_concurrent_migrations_apply_each_version_exactly_once(empty_pool: asyncpg.Pool) -> None:
    first, second = await asyncio.gather(migrate(empty_pool), migrate(empty_pool))

    assert sorted([first, second]) == [[], [m.version for m in load_migrations()]]
    assert await empty_pool.fetchval("SELECT count(*) FROM schema_migrations") == len(load_migrations())


async def test_a_failing_migration_leaves_no_trace_and_is_retried_next_time(empty_pool: asyncpg.Pool) -> None:
    shipped = load_migrations()
    next_version = shipped[-1].version + 1
    broken = [*shipped, Migration(next_version, "broken", "CREATE TABLE half_done (x int); SELECT 1/0;")]

    with pytest.raises(asyncpg.DivisionByZeroError):
        await migrate(empty_pool, broken)

    assert "half_done" not in await _tables(empty_pool)
    recorded = await empty_pool.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in recorded] == [m.version for m in shipped]
    fixed = [*shipped, Migration(next_version, "fixed", "CREATE TABLE half_done (x int);")]
    assert await migrate(empty_pool, fixed) == [next_version]


async def test_the_migration_lock_is_released_after_migrating(empty_pool: asyncpg.Pool) -> None:
    await migrate(empty_pool)

    held = await empty_pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
    assert held == 0


def test_shipped_migrations_are_numbered_in_order() -> None:
    versions = [m.version for m in load_migrations()]

    assert versions == sorted(versions)
    assert versions[0] == 1


async def test_account_names_become_unique_even_when_an_older_store_holds_duplicates(
    empty_pool: asyncpg.Pool,
) -> None:
    before = [m for m in load_migrations() if m.name != "account_names_unique"]
    await migrate(empty_pool, before)
    rows = [("paper", "paper"), ("A-1", "eval"), ("A-2", "EVAL"), ("A-3", "eval"), ("A-4", "eval (A-3)"),
            ("A-5", "other")]  # fmt: skip
    for account_id, name in rows:
        await empty_pool.execute(
            "INSERT INTO paper_accounts (id, name, starting_balance, realised_pnl, commissions, updated_ns)"
            " VALUES ($1, $2, 50000, 0, 0, 0)",
            account_id,
            name,
        )

    await migrate(empty_pool)  # does not fail on the duplicates

    names = dict(await empty_pool.fetch("SELECT id, name FROM paper_accounts"))
    assert names["paper"] == "paper" and names["A-1"] == "eval" and names["A-5"] == "other"
    assert len({n.lower() for n in names.values()}) == len(names)
    assert names["A-2"] == "EVAL (A-2)"
    with pytest.raises(asyncpg.UniqueViolationError):
        await empty_pool.execute(
            "INSERT INTO paper_accounts (id, name, starting_balance, realised_pnl, commissions, updated_ns)"
            " VALUES ('A-9', 'Other', 50000, 0, 0, 0)"
        )
