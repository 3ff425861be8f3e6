"""EmbeddedPostgres: data survives restarts, and leftovers of a hard kill do not block the next start."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from core_server.storage.embedded import EmbeddedPostgres, default_data_dir
from core_server.storage.failures import StoreUnreachable
from tests.kit.eventually import eventually


@pytest.fixture
async def server(embedded_data_dir: Path) -> AsyncIterator[EmbeddedPostgres]:
    pg = EmbeddedPostgres(embedded_data_dir / "vigil")
    try:
        yield pg
    finally:
        await pg.stop()


async def _query(dsn: str, sql: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def _postmaster_pid(pg: EmbeddedPostgres) -> int:
    return int((pg.pgdata / "postmaster.pid").read_text().splitlines()[0])


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


async def test_data_persists_across_a_clean_restart(server: EmbeddedPostgres) -> None:
    dsn = await server.start()
    await _query(dsn, "CREATE TABLE kept AS SELECT 42 AS answer")
    await server.stop()

    dsn_again = await server.start()

    assert dsn_again == dsn
    assert await _query(dsn_again, "SELECT answer FROM kept") == 42
    assert server.pgdata == server.data_dir / "pgdata"


async def test_a_server_killed_with_sigkill_restarts_with_its_committed_data(server: EmbeddedPostgres) -> None:
    dsn = await server.start()
    await _query(dsn, "CREATE TABLE kept AS SELECT 7 AS answer")
    pid = _postmaster_pid(server)

    os.kill(pid, signal.SIGKILL)
    await eventually(lambda: _gone(pid))
    assert (server.pgdata / "postmaster.pid").exists()

    dsn = await server.start()
    assert await _query(dsn, "SELECT answer FROM kept") == 7


async def test_a_stale_pid_file_naming_a_reused_pid_does_not_fool_the_start(server: EmbeddedPostgres) -> None:
    await server.start()
    pid_file = server.pgdata / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    await server.stop()
    # After a kill -9 and a reboot the old pid may belong to any live process: here, this one.
    pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")

    dsn = await server.start()

    assert await _query(dsn, "SELECT 1") == 1
    assert _postmaster_pid(server) != os.getpid()


async def test_a_second_user_of_the_same_data_dir_is_refused_with_a_clear_message(
    server: EmbeddedPostgres,
) -> None:
    await server.start()
    intruder = EmbeddedPostgres(server.data_dir)

    with pytest.raises(StoreUnreachable, match="another Vigil server is using"):
        await intruder.start()


async def test_stop_is_idempotent_and_stopping_a_dead_server_does_not_raise(server: EmbeddedPostgres) -> None:
    await server.start()
    pid = _postmaster_pid(server)
    os.kill(pid, signal.SIGKILL)
    await eventually(lambda: _gone(pid))

    await server.stop()
    await server.stop()


def test_default_data_dir_prefers_vigil_data_dir_then_xdg_then_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "explicit"

    monkeypatch.delenv("VIGIL_DATA_DIR")
    assert default_data_dir() == tmp_path / "xdg" / "vigil"

    # Without an explicit choice, root gets /var/lib/vigil (the package opens up parent directories).
    fallback = Path("/var/lib/vigil") if os.geteuid() == 0 else tmp_path / "home" / ".local" / "share" / "vigil"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_data_dir() == fallback

    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == fallback
