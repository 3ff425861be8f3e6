"""Live soak (issue 14 §4): real minutes on the running server with 10 quote-stream subscribers and TradingView
webhook load at 50 alerts/s through the bridge, reporting tick -> subscriber latency window by window.

Four processes: `python -m core_server` (simulated feed at 2,000 ticks/s, embedded PostgreSQL), `python -m
clients.webhook_bridge` (its per-sender rate limit off: all alerts come from one address here), this process
(the webhook load generator on an open-loop schedule) and a subscriber process holding the 10 streams, so the
measuring clients do not queue behind the load generator. Latency is a tick's ts_init (stamped by the server
when the feed delivered it) to the moment a subscriber received it; samples go into 10 µs buckets, so 30 minutes
of ~10 quote receipts per tick cost a fixed few kilobytes. Printed per window (VIGIL_LIVE_SOAK_WINDOW_S, default
300 s) and for the whole run: p50/p99/p99.9/max, receipts, alerts sent and their outcomes, the server's RSS.

`python -m bench live_soak` runs one minute; VIGIL_LIVE_SOAK_MINUTES=30 the issue's thirty.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import grpc

from bench.database import bench_database
from clients.sdk import VigilClient
from vigil.v1 import market_data_pb2, market_data_pb2_grpc

SECRET = "bench-secret"
ALERTS_PER_S = float(os.environ.get("VIGIL_LIVE_SOAK_ALERTS", "50"))
SUBSCRIBERS = int(os.environ.get("VIGIL_LIVE_SOAK_SUBSCRIBERS", "10"))
SIM_RATE = 2_000
BUCKET_NS = 10_000
BUCKETS = 20_000  # up to 200 ms; anything slower lands in the last bucket (and in max)


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * BUCKETS)
    samples: int = 0
    max_ns: int = 0

    def add(self, latency_ns: int) -> None:
        self.counts[min(BUCKETS - 1, max(0, latency_ns) // BUCKET_NS)] += 1
        self.samples += 1
        self.max_ns = max(self.max_ns, latency_ns)

    def merge(self, other: Histogram) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.samples += other.samples
        self.max_ns = max(self.max_ns, other.max_ns)

    def quantile_ms(self, q: float) -> float:
        """The upper edge of the bucket holding the q-quantile: never flatters the figure."""
        rank, seen = q * self.samples, 0
        for bucket, count in enumerate(self.counts):
            seen += count
            if seen >= rank and count:
                return (bucket + 1) * BUCKET_NS / 1e6
        return 0.0

    def line(self) -> str:
        return (
            f"p50 {self.quantile_ms(0.5):.2f} ms, p99 {self.quantile_ms(0.99):.2f} ms, "
            f"p99.9 {self.quantile_ms(0.999):.2f} ms, max {self.max_ns / 1e6:.2f} ms ({self.samples:,} receipts)"
        )


async def _spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, env={**os.environ, "GRPC_VERBOSITY": "ERROR", **env},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _line_with(stream: asyncio.StreamReader, marker: str) -> str:
    while line := (await stream.readline()).decode():
        if marker in line:
            return line
    raise RuntimeError(f"process ended before printing {marker!r}")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class Soak:
    def __init__(self, seconds: float, window_s: float) -> None:
        self.seconds, self.window_s = seconds, window_s
        self.window = Histogram()
        self.total = Histogram()
        self.alerts: Counter[str] = Counter()
        self.window_alerts: Counter[str] = Counter()
        self.stream_errors = 0
        self.windows: asyncio.Queue[Histogram] = asyncio.Queue()
        self.reasons: dict[str, str] = {}  # the first answer of each server-error kind, to say why
        self.price = ""  # the NQ bid the alerts carry (follow_price)

    async def subscribers(self, address: str, stop: asyncio.Event) -> None:
        """The 10 streams in their own process; it prints one JSON histogram per window."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.live_soak", "subscribers", address, str(self.seconds), str(self.window_s),
            env={**os.environ, "GRPC_VERBOSITY": "ERROR"}, stdout=asyncio.subprocess.PIPE, limit=2**22,
        )  # fmt: skip
        assert process.stdout is not None
        while line := await process.stdout.readline():
            data = json.loads(line)
            counts = [0] * BUCKETS
            for bucket, count in data["counts"].items():
                counts[int(bucket)] = count
            window = Histogram(counts, data["samples"], data["max_ns"])
            self.stream_errors += data["errors"]
            await self.windows.put(window)
        await process.wait()
        stop.set()

    async def subscriber(self, address: str, stop: asyncio.Event) -> None:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)
            call = stub.StreamQuotes(market_data_pb2.StreamQuotesRequest(max_batch=5000))
            try:
                async for response in call:
                    now_ns = time.time_ns()
                    for quote in response.quotes:
                        self.window.add(now_ns - quote.ts_init_ns)
                    if stop.is_set():
                        break
            except grpc.aio.AioRpcError:
                self.stream_errors += 1
            finally:
                call.cancel()

    async def follow_price(self, address: str, stop: asyncio.Event) -> None:
        """Alerts carry the market's price as TradingView's would (an alert priced off the market is rejected at
        once as stale, which would make the load lighter than real alerts): the NQ bid, read twice a second."""
        async with VigilClient(address) as client:
            while not stop.is_set():
                self.price = str((await client.get_quote("NQ1!")).quote.bid)
                await asyncio.sleep(0.5)

    async def webhooks(self, url: str, stop: asyncio.Event) -> None:
        connector = aiohttp.TCPConnector(force_close=True, limit=0)  # TradingView opens a connection per alert
        async with aiohttp.ClientSession(connector=connector) as http:

            async def one(n: int) -> None:
                body = {
                    "ticker": "NQ1!", "action": "buy" if n % 2 else "sell", "price": self.price, "quantity": 1,
                    "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "interval": "1",
                    "passphrase": SECRET, "strategy": f"soak-{n % 20}",
                }  # fmt: skip
                try:
                    async with http.post(url, json=body) as response:
                        payload = await response.json()
                    status = payload.get("status") or f"http {response.status}"
                    if response.status >= 500 and status not in self.reasons:
                        self.reasons[status] = str(payload)[:300]
                    self.window_alerts[status] += 1
                except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                    self.window_alerts[type(error).__name__] += 1

            begin, n, tasks = time.perf_counter(), 0, set()
            while not stop.is_set() and ALERTS_PER_S > 0:
                delay = begin + n / ALERTS_PER_S - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(one(n))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            await asyncio.gather(*tasks)

    async def report(self, core_pid: int, stop: asyncio.Event) -> None:
        started = time.monotonic()
        while True:
            window = await self.windows.get()
            end = time.monotonic()
            alerts, self.window_alerts = self.window_alerts, Counter()
            self.total.merge(window)
            self.alerts.update(alerts)
            load = os.getloadavg()[0]
            mix = ", ".join(f"{count} {status}" for status, count in alerts.most_common())
            print(
                f"  {end - started:6.0f} s: {window.line()}; alerts: {mix or 'none'}; server RSS "
                f"{_rss_mb(core_pid):.0f} MB (this load generator's {_rss_mb(os.getpid()):.0f} MB); load {load:.1f}",
                flush=True,
            )
            if end - started >= self.seconds:
                return

    async def measure_windows(self, address: str) -> None:
        """The subscriber process: streams for `seconds`, a JSON line per window."""
        stop = asyncio.Event()
        streams = [asyncio.create_task(self.subscriber(address, stop)) for _ in range(SUBSCRIBERS)]
        started, index = time.monotonic(), 0
        while not stop.is_set():
            index += 1
            end = started + min(self.seconds, index * self.window_s)
            await asyncio.sleep(max(0.0, end - time.monotonic()))
            window, self.window = self.window, Histogram()
            errors, self.stream_errors = self.stream_errors, 0
            counts = {str(b): c for b, c in enumerate(window.counts) if c}  # sparse: a line stays short
            line = {"counts": counts, "samples": window.samples, "max_ns": window.max_ns, "errors": errors}
            print(json.dumps(line), flush=True)
            if end - started >= self.seconds:
                stop.set()
        await asyncio.gather(*streams)


async def _run(minutes: float, window_s: float) -> None:
    async with bench_database() as url:
        core = await _spawn(
            "-m", "core_server",
            env={"DATABASE_URL": url, "VIGIL_LISTEN": "127.0.0.1:0", "VIGIL_LOG_LEVEL": "warning",
                 "VIGIL_LOG_FORMAT": "json", "VIGIL_SIM_RATE": str(SIM_RATE)},
        )  # fmt: skip
        assert core.stderr is not None
        address = (await _line_with(core.stderr, "serving on")).split("serving on ", 1)[1].split(" ", 1)[0]
        core_log = asyncio.create_task(core.stderr.read())
        bridge = await _spawn(
            "-m", "clients.webhook_bridge",
            env={"VIGIL_TARGET": address, "VIGIL_BRIDGE_LISTEN": "127.0.0.1:0", "VIGIL_WEBHOOK_SECRET": SECRET,
                 "VIGIL_LOG_LEVEL": "warning", "VIGIL_WEBHOOK_RATE": "0"},
        )  # fmt: skip
        assert bridge.stderr is not None
        base = (await _line_with(bridge.stderr, "listening on")).split("listening on ", 1)[1].split("/webhook", 1)[0]
        bridge_log = asyncio.create_task(bridge.stderr.read())
        soak = Soak(minutes * 60, window_s)
        stop = asyncio.Event()
        rss_start = _rss_mb(core.pid)
        try:
            async with VigilClient(address) as client:
                while not soak.price:
                    try:
                        soak.price = str((await client.get_quote("NQ1!")).quote.bid)
                    except Exception:  # no quote yet
                        await asyncio.sleep(0.1)
            print(
                f"live soak: {minutes:g} min, {SUBSCRIBERS} quote subscribers, simulator {SIM_RATE:,} ticks/s, "
                f"webhooks {ALERTS_PER_S:.0f} alerts/s; server RSS at start {rss_start:.0f} MB",
                flush=True,
            )
            await asyncio.gather(
                soak.report(core.pid, stop),
                soak.follow_price(address, stop),
                soak.webhooks(f"{base}/webhook/tradingview", stop),
                soak.subscribers(address, stop),
            )
            rss_end = _rss_mb(core.pid)
        finally:
            for process in (bridge, core):
                process.send_signal(signal.SIGTERM)
                await process.wait()
            logs = await asyncio.gather(core_log, bridge_log)
    errors = sum(1 for text in logs for line in text.decode().splitlines() if '"level": "error"' in line)
    mix = ", ".join(f"{count} {status}" for status, count in soak.alerts.most_common())
    print(
        f"live soak total: tick -> subscriber {soak.total.line()}; alerts: {mix}; stream errors "
        f"{soak.stream_errors}; error log lines {errors}; server RSS {rss_start:.0f} -> {rss_end:.0f} MB; "
        f"exit codes core {core.returncode}, bridge {bridge.returncode}"
    )
    for status, reason in soak.reasons.items():
        print(f"  first {status}: {reason}")
    print(json.dumps({"p99_ms": soak.total.quantile_ms(0.99), "receipts": soak.total.samples}))


def main() -> None:
    if sys.argv[1:2] == ["subscribers"]:  # the subscriber process
        address, seconds, window_s = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
        asyncio.run(Soak(seconds, window_s).measure_windows(address))
        return
    minutes = float(os.environ.get("VIGIL_LIVE_SOAK_MINUTES", "1"))
    window_s = float(os.environ.get("VIGIL_LIVE_SOAK_WINDOW_S", "300" if minutes >= 10 else "20"))
    asyncio.run(_run(minutes, window_s))


if __name__ == "__main__":
    main()
