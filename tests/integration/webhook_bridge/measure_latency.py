"""Timing script (not a test): POST -> response latency of the bridge at a steady alert rate, fake core behind it.

python -m tests.integration.webhook_bridge.measure_latency [--rate 200] [--seconds 10]

Three processes, as deployed: the fake SignalService, `python -m clients.webhook_bridge`, and this load
generator. Requests leave on an open-loop schedule (a slow answer does not delay the next alert), each a
distinct TradersPost-style alert. Measured twice: a new TCP connection per alert (what TradingView does)
and one kept-alive connection. Also prints the in-process cost of parsing one alert.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
import timeit
from datetime import UTC, datetime, timedelta

import aiohttp

from clients.webhook_bridge import parse_alert
from tests.kit.signal_service_fake import start_fake_signal_server

SECRET = "measure-secret"
FIRST_ALERT = datetime(2025, 11, 27, 15, 0, tzinfo=UTC)


def alert(n: int) -> bytes:
    fired = FIRST_ALERT + timedelta(seconds=n)
    return json.dumps(
        {
            "ticker": "NQ1!",
            "action": "buy" if n % 2 else "sell",
            "sentiment": "long" if n % 2 else "short",
            "quantity": "1",
            "price": f"{25000 + (n % 400) * 0.25:.2f}",
            "time": fired.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "interval": "5",
            "passphrase": SECRET,
        }
    ).encode()


async def serve_core() -> None:
    server = await start_fake_signal_server()
    print(server.address, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop()


async def start(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={**os.environ, "GRPC_VERBOSITY": "ERROR", **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_until(stream: asyncio.StreamReader, marker: str) -> str:
    while line := (await stream.readline()).decode():
        if marker in line:
            return line
    raise RuntimeError(f"process ended before printing {marker!r}")


async def run_load(url: str, rate: float, seconds: float, first: int, keep_alive: bool) -> list[float]:
    count = int(rate * seconds)
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(force_close=not keep_alive, limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(n: int) -> None:
            nonlocal failures
            body = alert(n)
            started = time.perf_counter()
            async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                await response.read()
                if response.status != 200:
                    failures += 1
            latencies.append((time.perf_counter() - started) * 1000)

        await one(first - 1)  # warm the connection pool and the bridge's channel
        latencies.clear()
        begin = time.perf_counter()
        tasks = []
        for i in range(count):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(first + i)))
        await asyncio.gather(*tasks)
    if failures:
        print(f"  {failures} requests did not answer 200")
    return latencies


def report(name: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    print(
        f"  {name:<26} n={len(ordered):5d}  p50 {pick(0.50):6.2f} ms  p90 {pick(0.90):6.2f} ms"
        f"  p99 {pick(0.99):6.2f} ms  max {ordered[-1]:6.2f} ms  mean {statistics.fmean(ordered):6.2f} ms"
    )


async def measure(rate: float, seconds: float) -> None:
    core = await start("-m", "tests.integration.webhook_bridge.measure_latency", "--serve-core")
    assert core.stdout is not None
    address = (await core.stdout.readline()).decode().strip()
    env = {"VIGIL_TARGET": address, "VIGIL_BRIDGE_LISTEN": "127.0.0.1:0", "VIGIL_WEBHOOK_SECRET": SECRET}
    bridge = await start("-m", "clients.webhook_bridge", env=env)
    assert bridge.stderr is not None
    line = await read_until(bridge.stderr, "listening on")
    base = line.split("listening on ", 1)[1].split("/webhook", 1)[0]
    drain = asyncio.create_task(bridge.stderr.read())  # the bridge logs every alert (info, JSON lines)
    try:
        print(f"bridge {base} -> fake core {address}; {rate:g} alerts/s for {seconds:g} s per run")
        report("new connection per alert", await run_load(f"{base}/webhook/orb", rate, seconds, 1, False))
        report("kept-alive connection", await run_load(f"{base}/webhook/orb", rate, seconds, 100_000, True))
    finally:
        for process in (bridge, core):
            process.send_signal(signal.SIGTERM)
            await process.wait()
        await drain
    body = alert(1)
    runs = 20_000
    per_call = min(timeit.repeat(lambda: parse_alert(body), number=runs, repeat=3)) / runs
    print(f"  parse_alert (in process)   {per_call * 1e6:.1f} us per alert")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--serve-core", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_core:
        asyncio.run(serve_core())
    else:
        asyncio.run(measure(args.rate, args.seconds))


if __name__ == "__main__":
    main()
