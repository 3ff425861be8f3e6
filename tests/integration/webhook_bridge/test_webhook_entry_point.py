"""`python -m clients.webhook_bridge` reads its settings, says where it listens, serves, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

import aiohttp

from tests.kit.signal_service_fake import FakeSignalServer

LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)/webhook/tradingview")


async def start_bridge(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "clients.webhook_bridge",
        env={**os.environ, "GRPC_VERBOSITY": "ERROR", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def listening_url(process: asyncio.subprocess.Process) -> str:
    assert process.stderr is not None
    while line := await process.stderr.readline():
        found = LISTENING.search(line.decode())
        if found:
            return found.group(1)
    raise AssertionError("the bridge exited without saying where it listens")


async def test_the_bridge_process_prints_its_address_serves_and_stops_cleanly(core: FakeSignalServer) -> None:
    process = await start_bridge(
        {
            "VIGIL_TARGET": core.address,
            "VIGIL_BRIDGE_LISTEN": "127.0.0.1:0",
            "VIGIL_WEBHOOK_SECRETS": "orb=entry-secret",
            "VIGIL_API_KEY": "core-key",
        }
    )
    try:
        base = await asyncio.wait_for(listening_url(process), 20)
        body = {"ticker": "NQ1!", "action": "buy", "price": 25341.25, "passphrase": "entry-secret"}
        async with aiohttp.ClientSession() as http:
            health = await http.get(f"{base}/healthz")
            posted = await http.post(f"{base}/webhook/orb", data=json.dumps(body))
            assert (health.status, posted.status) == (200, 200)
            assert (await posted.json())["status"] == "pending"
        assert core.service.authorizations == ["Bearer core-key"]
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 20)
    assert code == 0


async def test_the_bridge_refuses_to_start_without_any_secret() -> None:
    env = {k: "" for k in ("VIGIL_WEBHOOK_SECRET", "VIGIL_WEBHOOK_SECRETS")}
    process = await start_bridge(env)

    _, stderr = await asyncio.wait_for(process.communicate(), 20)

    assert process.returncode == 2
    assert b"configuration error: VIGIL_WEBHOOK_SECRET" in stderr
