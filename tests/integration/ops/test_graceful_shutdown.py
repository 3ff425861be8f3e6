"""SIGTERM on a real server process: stops accepting, drains the writers, closes the store, exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests.kit.eventually import eventually


async def _serving(process: subprocess.Popen[bytes], stderr_path: Path) -> None:
    def serving() -> bool:
        assert process.poll() is None, stderr_path.read_text()[-3000:]
        return "Vigil is serving on" in stderr_path.read_text()

    await eventually(serving, timeout=120)


def _start(
    database_url: str, tmp_path: Path, *, shutdown_timeout_s: str = "60"
) -> tuple[subprocess.Popen[bytes], Path]:
    stderr_path = tmp_path / "server.stderr"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VIGIL_LISTEN": "127.0.0.1:0",
        "VIGIL_SIM_RATE": "5000",
        "VIGIL_LOG_FORMAT": "json",
        "VIGIL_SHUTDOWN_TIMEOUT_S": shutdown_timeout_s,
    }
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "core_server"], env=env, stderr=stderr, stdout=stderr)
    return process, stderr_path


async def test_sigterm_drains_the_writers_closes_the_store_and_exits_0(database_url: str, tmp_path: Path) -> None:
    process, stderr_path = _start(database_url, tmp_path)
    try:
        await _serving(process, stderr_path)
        conn = await asyncpg.connect(database_url)
        try:
            # Ticks flow and are being written; wait until some are stored so the feed is known to run.
            await eventually(lambda: conn.fetchval("SELECT count(*) FROM ticks"), timeout=60)
        finally:
            await conn.close()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = stderr_path.read_text()
    assert code == 0, output[-3000:]
    assert "server.stopped" in output
    assert "ticks_lost_at_shutdown" not in output
    assert "unsaved_at_stop" not in output
    assert "stop_step_failed" not in output
    conn = await asyncpg.connect(database_url)
    try:
        # The candles still forming at the stop were stored (incomplete), which happens after the feed stopped:
        # every tick the feed produced reached the candles, and the tick writer drained into the table.
        assert await conn.fetchval("SELECT count(*) FROM candles WHERE NOT complete") > 0
        # Nothing holds a session on the store any more: the pool was closed before exit.
        sessions = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert sessions == 0
    finally:
        await conn.close()


async def _serving_with_candles_locked(
    database_url: str, tmp_path: Path, timeout_s: str
) -> tuple[subprocess.Popen[bytes], Path, asyncpg.Connection]:
    """A server whose candle writes hang: a transaction of the test holds the candles table locked."""
    process, stderr_path = _start(database_url, tmp_path, shutdown_timeout_s=timeout_s)
    await _serving(process, stderr_path)
    conn = await asyncpg.connect(database_url)
    await eventually(lambda: conn.fetchval("SELECT count(*) FROM ticks"), timeout=60)  # candles are forming
    await conn.execute("BEGIN; LOCK TABLE candles IN ACCESS EXCLUSIVE MODE")
    return process, stderr_path, conn


async def test_a_second_sigterm_exits_at_once_while_the_first_stop_still_drains(
    database_url: str, tmp_path: Path
) -> None:
    process, stderr_path, conn = await _serving_with_candles_locked(database_url, tmp_path, "600")
    try:
        process.send_signal(signal.SIGTERM)
        await eventually(lambda: "vigil: stopping" in stderr_path.read_text(), timeout=30)
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await conn.close()
    assert code == 143, stderr_path.read_text()[-3000:]
    assert "exiting at once" in stderr_path.read_text()


async def test_a_stop_that_cannot_finish_is_bounded_and_exits_1(database_url: str, tmp_path: Path) -> None:
    process, stderr_path, conn = await _serving_with_candles_locked(database_url, tmp_path, "2")
    try:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await conn.close()
    output = stderr_path.read_text()
    assert code == 1, output[-3000:]
    assert "server.stop_timed_out" in output
