"""vigil-server backup / restore: a round trip through pg_dump and pg_restore on a real store, external and
embedded; a restore that would not be whole is refused and changes nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from core_server.app import start
from core_server.storage.database import connect_pool
from core_server.storage.embedded import EmbeddedPostgres
from core_server.storage.migrator import migrate
from tests.kit.eventually import eventually
from tests.kit.server import server_config


def vigil_server(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core_server", *args],
        env={**os.environ, "VIGIL_LOG_FORMAT": "json", **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


async def snapshot(dsn: str) -> dict[str, str]:
    """Every public table's rows, as one digest per table."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")]
        return {
            table: await conn.fetchval(
                f"SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') "
                f'FROM "{table}" t'
            )
            for table in sorted(tables)
        }
    finally:
        await conn.close()


async def test_a_backup_restores_the_store_exactly_after_it_changed(database_url: str, tmp_path: Path) -> None:
    running = await start(server_config(database_url))  # ticks, candles, the default paper account
    try:
        conn = await asyncpg.connect(database_url)
        try:
            await eventually(lambda: conn.fetchval("SELECT count(*) FROM ticks"), timeout=30)
        finally:
            await conn.close()
    finally:
        await running.stop()
    before = await snapshot(database_url)
    assert before["ticks"] != "0:" and before["candles"] != "0:" and before["paper_accounts"] != "0:"

    file = tmp_path / "vigil.dump"
    backed_up = await asyncio.to_thread(vigil_server, "backup", str(file), DATABASE_URL=database_url)
    assert backed_up.returncode == 0, backed_up.stderr
    assert file.stat().st_size > 0
    assert not (tmp_path / "vigil.dump.partial").exists()

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM candles; DELETE FROM ticks WHERE ts_event_ns % 2 = 0")
        await conn.execute("UPDATE paper_accounts SET name = 'changed'")
    finally:
        await conn.close()
    assert await snapshot(database_url) != before

    restored = await asyncio.to_thread(vigil_server, "restore", str(file), DATABASE_URL=database_url)
    assert restored.returncode == 0, restored.stderr
    assert await snapshot(database_url) == before


async def test_restore_refuses_what_is_not_a_vigil_backup_or_is_older_than_the_store(
    database_url: str, tmp_path: Path
) -> None:
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("hello")
    refused = await asyncio.to_thread(vigil_server, "restore", str(not_a_dump), DATABASE_URL=database_url)
    assert refused.returncode == 1
    assert "restore failed" in refused.stderr

    file = tmp_path / "vigil.dump"
    assert (await asyncio.to_thread(vigil_server, "backup", str(file), DATABASE_URL=database_url)).returncode == 0
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')")
    finally:
        await conn.close()
    before = await snapshot(database_url)
    older = await asyncio.to_thread(vigil_server, "restore", str(file), DATABASE_URL=database_url)
    assert older.returncode == 1
    assert "older than the store" in older.stderr and "9999" in older.stderr
    assert await snapshot(database_url) == before


async def _embedded_dsn(data_dir: Path) -> tuple[EmbeddedPostgres, str]:
    server = EmbeddedPostgres(data_dir)
    return server, await server.start()


async def test_the_embedded_store_round_trips_through_its_own_pg_dump(embedded_data_dir: Path, tmp_path: Path) -> None:
    missing = await asyncio.to_thread(vigil_server, "backup", str(tmp_path / "x.dump"), VIGIL_DATA_DIR=str(tmp_path))
    assert missing.returncode == 1
    assert "no embedded store" in missing.stderr

    server, dsn = await _embedded_dsn(embedded_data_dir)
    try:
        pool = await connect_pool(dsn, min_size=1, max_size=2)
        try:
            await migrate(pool)
        finally:
            await pool.close()
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                "INSERT INTO paper_accounts (id, name, starting_balance, realised_pnl, commissions, updated_ns)"
                " VALUES ('acct', 'acct', 50000, 0, 0, 1)"
            )
        finally:
            await conn.close()
        before = await snapshot(dsn)
    finally:
        await server.stop()

    file = tmp_path / "embedded.dump"
    env = {"VIGIL_DATA_DIR": str(embedded_data_dir)}
    backed_up = await asyncio.to_thread(vigil_server, "backup", str(file), **env)
    assert backed_up.returncode == 0, backed_up.stderr

    server, dsn = await _embedded_dsn(embedded_data_dir)
    try:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DELETE FROM paper_accounts")
        finally:
            await conn.close()
    finally:
        await server.stop()

    restored = await asyncio.to_thread(vigil_server, "restore", str(file), **env)
    assert restored.returncode == 0, restored.stderr
    server, dsn = await _embedded_dsn(embedded_data_dir)
    try:
        assert await snapshot(dsn) == before
    finally:
        await server.stop()


async def test_a_backup_is_taken_while_the_server_runs_and_a_restore_then_refused(
    embedded_data_dir: Path, tmp_path: Path
) -> None:
    running = await start(server_config(None, data_dir=embedded_data_dir))  # type: ignore[arg-type]
    try:
        file = tmp_path / "live.dump"
        env = {"VIGIL_DATA_DIR": str(embedded_data_dir)}
        backed_up = await asyncio.to_thread(vigil_server, "backup", str(file), **env)
        assert backed_up.returncode == 0, backed_up.stderr
        refused = await asyncio.to_thread(vigil_server, "restore", str(file), **env)
        assert refused.returncode == 1
        assert "stop it before restoring" in refused.stderr
    finally:
        await running.stop()
    restored = await asyncio.to_thread(vigil_server, "restore", str(file), **env)
    assert restored.returncode == 0, restored.stderr
