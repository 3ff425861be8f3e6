"""kill -9: a server with active strategies killed with SIGKILL restarts on the same database with every strategy
at its version and status, its event log, and a strategy loaded over gRPC (not from the directory) still there."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc

from tests.kit.eventually import eventually
from vigil.v1 import strategies_pb2 as spb
from vigil.v1 import strategies_pb2_grpc as spb_grpc

EXAMPLES = Path(__file__).parents[3] / "strategies" / "examples"
EXTRA = (EXAMPLES / "momentum.toml").read_text().replace('name = "momentum"', 'name = "extra"')
ACTIVE = spb.STRATEGY_STATUS_ACTIVE
INACTIVE = spb.STRATEGY_STATUS_INACTIVE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def server(database_url: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, spb_grpc.StrategyServiceStub]]:
    address = f"127.0.0.1:{_free_port()}"
    env = {
        **os.environ, "DATABASE_URL": database_url, "VIGIL_LISTEN": address, "VIGIL_SYMBOLS": "ES",
        "VIGIL_SIM_RATE": "500", "VIGIL_STRATEGY_DIR": str(EXAMPLES), "VIGIL_LOG_LEVEL": "warning",
        "VIGIL_LOG_FORMAT": "json", "GRPC_VERBOSITY": "ERROR",
    }  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core_server", env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = spb_grpc.StrategyServiceStub(channel)

            async def up() -> bool:
                assert process.returncode is None, "the server exited"
                try:
                    await stub.ListStrategies(spb.ListStrategiesRequest(), timeout=1)
                except grpc.aio.AioRpcError:
                    return False
                return True

            await eventually(up, timeout=30)
            yield process, stub
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def listed(stub: spb_grpc.StrategyServiceStub) -> dict[str, tuple[int, int]]:
    strategies = (await stub.ListStrategies(spb.ListStrategiesRequest())).strategies
    return {s.strategy_id: (s.version, s.status) for s in strategies}


async def test_strategies_survive_sigkill(database_url: str) -> None:
    async with server(database_url) as (process, stub):
        await stub.ActivateStrategy(spb.ActivateStrategyRequest(strategy_id="first-hour-breakout"))
        await stub.LoadStrategy(spb.LoadStrategyRequest(definition=EXTRA))
        await stub.LoadStrategy(
            spb.LoadStrategyRequest(definition=EXTRA.replace("daily_loss = 500", "daily_loss = 400"))
        )
        await stub.ActivateStrategy(spb.ActivateStrategyRequest(strategy_id="extra"))
        before = await listed(stub)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert before["extra"] == (2, ACTIVE) and before["first-hour-breakout"] == (1, ACTIVE)
    async with server(database_url) as (_, stub):
        assert await listed(stub) == before
        detail = await stub.GetStrategy(spb.GetStrategyRequest(strategy_id="extra"))
        assert [v.version for v in detail.versions] == [1, 2]
        assert [e.kind for e in detail.events] == ["loaded", "loaded", "activated"]
        assert before["momentum"] == (1, INACTIVE)
