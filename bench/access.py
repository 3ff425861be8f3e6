"""What access control costs: the interceptor's decision (key lookup, role check) and the rate limiter in process,
and a unary RPC's round trip over loopback with plaintext, TLS and mutual TLS (the same server settings)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.database import bench_database
from clients.cli.certs import make_certificates
from clients.sdk import VigilClient
from core_server.access.keyring import KeyRing
from core_server.access.keys import ApiKey, Role, secret_hash
from core_server.access.rate import RateLimiter
from core_server.api.interceptors import AccessInterceptor
from core_server.app import start
from core_server.config import Config
from core_server.log_config import configure_logging

DECISIONS = 200_000
CALLS = 2_000


@dataclass
class _Details:
    method: str
    invocation_metadata: tuple[tuple[str, str], ...]


class _Store:
    def __init__(self, keys: list[ApiKey]) -> None:
        self.keys = keys

    async def load(self) -> list[ApiKey]:
        return self.keys

    async def insert(self, key: ApiKey) -> None:  # pragma: no cover
        raise NotImplementedError

    async def revoke(self, name: str, revoked_ns: int) -> ApiKey | None:  # pragma: no cover
        raise NotImplementedError


async def _in_process() -> None:
    keys = [ApiKey(f"k{i}", Role.TRADER, None, secret_hash(f"vgl_{i}"), "vgl_", 1, "bench") for i in range(100)]
    ring = KeyRing(_Store(keys), ("static-key-secret",))
    await ring.load()
    interceptor = AccessInterceptor(ring, open_mode=False)
    details = _Details("/vigil.v1.ExecutionService/SubmitOrder", (("authorization", "Bearer vgl_50"),))
    started = time.perf_counter_ns()
    for _ in range(DECISIONS):
        interceptor._decide(details)  # type: ignore[arg-type]
    decide_ns = (time.perf_counter_ns() - started) / DECISIONS
    limiter = RateLimiter(Decimal(1_000_000), 10)
    started = time.perf_counter_ns()
    for i in range(DECISIONS):
        limiter.take("key:k50", i * 2_000)
    take_ns = (time.perf_counter_ns() - started) / DECISIONS
    print(
        f"access in process: decision {decide_ns / 1000:.1f} us (named key among 100 + 1 static, role check),"
        f" rate limiter {take_ns / 1000:.2f} us per order RPC"
    )


async def _round_trips(address: str, **tls: str) -> list[float]:
    async with VigilClient(address, **tls) as client:  # type: ignore[arg-type]
        for _ in range(100):
            await client.who_am_i()
        times = []
        for _ in range(CALLS):
            started = time.perf_counter_ns()
            await client.who_am_i()
            times.append((time.perf_counter_ns() - started) / 1e6)
    return sorted(times)


def _line(name: str, times: list[float]) -> str:
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    return f"access {name}: WhoAmI round trip over loopback p50 {p50:.3f} ms, p99 {p99:.3f} ms ({len(times):,} calls)"


async def _over_the_wire() -> None:
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    with tempfile.TemporaryDirectory(prefix="vigil-certs-") as tmp:
        certs = Path(tmp)
        make_certificates(certs)
        ca, cert, key = str(certs / "ca.pem"), str(certs / "client.pem"), str(certs / "client-key.pem")
        async with bench_database() as url:
            base = {"listen": "127.0.0.1:0", "database_url": url, "sim_rate": 2000.0, "symbols": ("ES",),
                    "log_level": "warning", "log_format": "json"}  # fmt: skip
            variants: list[tuple[str, dict[str, object], dict[str, str]]] = [
                ("plaintext", {}, {}),
                ("TLS", {"tls_cert": certs / "server.pem", "tls_key": certs / "server-key.pem"}, {"tls_ca": ca}),
                (
                    "mutual TLS",
                    {
                        "tls_cert": certs / "server.pem",
                        "tls_key": certs / "server-key.pem",
                        "tls_client_ca": certs / "ca.pem",
                    },
                    {"tls_ca": ca, "tls_cert": cert, "tls_key": key},
                ),
            ]
            for name, server_tls, client_tls in variants:
                server = await start(Config(**base, **server_tls))  # type: ignore[arg-type]
                try:
                    print(_line(name, await _round_trips(server.address, **client_tls)))
                finally:
                    await server.stop()


def main() -> None:
    configure_logging("warning", "json")
    asyncio.run(_in_process())
    asyncio.run(_over_the_wire())
