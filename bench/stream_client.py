"""Client side of the streaming benchmarks, run in its own process (and core) by bench.streaming."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import grpc
import uvloop

from bench.machine import pin_to_core
from vigil.v1 import market_data_pb2, market_data_pb2_grpc


async def _subscriber(address: str, seconds: float, warmup: float, latencies: list[int] | None) -> tuple[int, int]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = market_data_pb2_grpc.MarketDataServiceStub(channel)
        call = stub.StreamQuotes(market_data_pb2.StreamQuotesRequest(max_batch=5000))
        started = time.monotonic()
        received = 0
        conflated = 0
        measuring = False
        async for response in call:
            now_ns = time.time_ns()
            elapsed = time.monotonic() - started
            if not measuring and elapsed >= warmup:
                measuring = True
                started_measuring = time.monotonic()
                base_conflated = response.conflated
            if measuring:
                received += len(response.quotes)
                conflated = response.conflated - base_conflated
                if latencies is not None:
                    latencies.extend(now_ns - q.ts_init_ns for q in response.quotes)
                if time.monotonic() - started_measuring >= seconds:
                    break
        call.cancel()
        return received, conflated


async def _main(mode: str, address: str, subscribers: int, seconds: float) -> dict[str, float]:
    latencies: list[int] = []
    results = await asyncio.gather(
        *(_subscriber(address, seconds, 2.0, latencies if mode == "latency" else None) for _ in range(subscribers))
    )
    received = sum(r[0] for r in results)
    out: dict[str, float] = {
        "received": received,
        "per_second": received / seconds / subscribers,
        "conflated": sum(r[1] for r in results),
    }
    if latencies:
        latencies.sort()
        for name, q in (("p50_ms", 0.5), ("p99_ms", 0.99), ("p999_ms", 0.999)):
            out[name] = latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1e6
        out["max_ms"] = latencies[-1] / 1e6
        out["samples"] = len(latencies)
    return out


if __name__ == "__main__":
    pin_to_core(1)
    mode, address, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(uvloop.run(_main(mode, address, count, seconds))))
