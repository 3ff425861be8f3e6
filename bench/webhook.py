"""TradingView webhook POST -> decision returned, at 200 alerts/s, through the bridge to the REAL core.

Three processes, as deployed: `python -m core_server` (simulator, PostgreSQL), `python -m
clients.webhook_bridge`, and this load generator on an open-loop schedule (a slow answer does not
delay the next alert). Every alert is distinct, fired now, priced at the live quote, so each one runs
the whole decision path: parsing, secret, SubmitSignal, validation, persistence of the decision.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import aiohttp

from bench.database import bench_database
from clients.sdk import VigilClient

SECRET = "bench-secret"
RATE = 200.0
SECONDS = 10.0


async def _spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={**os.environ, "GRPC_VERBOSITY": "ERROR", **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _line_with(stream: asyncio.StreamReader, marker: str) -> str:
    while line := (await stream.readline()).decode():
        if marker in line:
            return line
    raise RuntimeError(f"process ended before printing {marker!r}")


def _alert(n: int, price: str) -> bytes:
    fired = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "ticker": "NQ1!",
        "action": "buy" if n % 2 else "sell",
        "price": price,
        "quantity": 1,
        "time": fired,
        "interval": "1",
        "passphrase": SECRET,
        "strategy": f"bench-{n}",
    }
    return json.dumps(body).encode()


async def _load(url: str, price: str) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(force_close=True, limit=0)  # TradingView opens a connection per alert
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(n: int) -> None:
            started = time.perf_counter()
            async with http.post(url, data=_alert(n, price)) as response:
                payload = await response.json()
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[payload.get("status", f"http {response.status}")] += 1

        await one(0)
        latencies.clear()
        outcomes.clear()
        begin = time.perf_counter()
        tasks = []
        for i in range(int(RATE * SECONDS)):
            delay = begin + i / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i + 1)))
        await asyncio.gather(*tasks)
    return latencies, outcomes


async def _run() -> None:
    async with bench_database() as url:
        core = await _spawn(
            "-m",
            "core_server",
            env={
                "DATABASE_URL": url,
                "VIGIL_LISTEN": "127.0.0.1:0",
                "VIGIL_LOG_LEVEL": "warning",
                "VIGIL_LOG_FORMAT": "json",
            },
        )
        assert core.stderr is not None
        address = (await _line_with(core.stderr, "serving on")).split("serving on ", 1)[1].split(" ", 1)[0]
        core_drain = asyncio.create_task(core.stderr.read())
        bridge = await _spawn(
            "-m",
            "clients.webhook_bridge",
            env={
                "VIGIL_TARGET": address,
                "VIGIL_BRIDGE_LISTEN": "127.0.0.1:0",
                "VIGIL_WEBHOOK_SECRET": SECRET,
                "VIGIL_LOG_LEVEL": "warning",
            },
        )
        assert bridge.stderr is not None
        base = (await _line_with(bridge.stderr, "listening on")).split("listening on ", 1)[1].split("/webhook", 1)[0]
        bridge_drain = asyncio.create_task(bridge.stderr.read())
        try:
            async with VigilClient(address) as client:
                quote = None
                while quote is None:
                    try:
                        quote = (await client.get_quote("NQ1!")).quote
                    except Exception:  # no quote yet
                        await asyncio.sleep(0.1)
            latencies, outcomes = await _load(f"{base}/webhook/tradingview", str(quote.bid))
        finally:
            for process in (bridge, core):
                process.send_signal(signal.SIGTERM)
                await process.wait()
            await asyncio.gather(core_drain, bridge_drain)
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    mix = ", ".join(f"{count} {status}" for status, count in outcomes.most_common())
    print(
        f"webhook: POST -> decision at {RATE:.0f} alerts/s through the bridge to the real core: "
        f"p50 {pick(0.5):.2f} ms, p99 {pick(0.99):.2f} ms, max {ordered[-1]:.2f} ms "
        f"({len(ordered):,} alerts, a new connection each; decisions: {mix})"
    )


def main() -> None:
    asyncio.run(_run())
