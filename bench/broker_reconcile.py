"""Broker reconciliation traffic: REST requests and answer bytes per reconcile against the fake Tradovate and ProjectX
gateways holding a long finished order history (500 orders, each with its fill), plus the wall and CPU time.

The broker desk runs as in the server (its catch-up reads the order and fill history) with bindings kept in
memory: the figure is the traffic between the adapter and the gateway, which the store does not touch. The first
reconcile (on connect) is the full one; the periodic ones follow while nothing changes, then while one order
rests at the broker. CPU time is this process's, and the fake gateway runs in it too.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core_server.brokers.desk import BrokerDesk
from core_server.brokers.model import Binding, BrokerFill, BrokerKind, BrokerOrder, BrokerOrderRequest
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID, FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from core_server.model.clock import LiveClock

HISTORY = 500
PERIODIC = 5


class _Bindings:
    """Bindings held in memory (the bench measures broker traffic, not the store)."""

    def __init__(self) -> None:
        self.saved: dict[str, Binding] = {}

    async def load(self) -> list[Binding]:
        return list(self.saved.values())

    async def save(self, binding: Binding, kind: str, detail: Mapping[str, object]) -> None:
        self.saved[binding.account_id] = binding

    async def delete(self, account_id: str, ts_ns: int, actor: str) -> None:
        self.saved.pop(account_id, None)

    async def audit(self, account_id: str, ts_ns: int, actor: str, kind: str, detail: Mapping[str, object]) -> None:
        return None

    async def audit_trail(self, account_id: str, limit: int = 100) -> list[tuple[int, str, str, dict[str, Any]]]:
        return []


class _HistoryCounter:
    """Stands in for the router's catch-up: counts the orders and fills each reconcile read."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    async def __call__(
        self, account_id: str, orders: tuple[BrokerOrder, ...], fills: tuple[BrokerFill, ...]
    ) -> set[str]:
        self.seen.append((len(orders), len(fills)))
        return set()


async def _measure(name: str, fake: Any, kind: BrokerKind, environment: str, account: str, symbol: str) -> None:
    desk = BrokerDesk(_Bindings(), LiveClock(), fake.env())
    history = _HistoryCounter()
    desk.catch_up = history
    await desk.bind("bench", kind, environment, account, "bench")
    try:
        rows = []
        steps = [("connect + full", "connect"), *[("periodic, idle", "periodic")] * PERIODIC]
        steps += [("periodic, 1 resting", "resting"), *[("periodic, 1 resting", "periodic")] * 2]
        for label, call in steps:
            if call == "resting":
                await desk.set_live("bench", True, "bench")
                request = BrokerOrderRequest("bench-rest", symbol, "Buy", 1, "Limit", limit_price=Decimal("20000.00"))
                assert (await desk.submit("bench", request, "bench")).accepted
                await desk.set_live("bench", False, "bench")
            fake.requests.clear()
            fake.response_bytes.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            if call == "connect":
                await desk.reconcile("bench", "reconcile:connect")
            else:
                await desk.reconcile_all()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows.append((label, sum(fake.requests.values()), sum(fake.response_bytes.values()), wall, cpu,
                         history.seen[-1], dict(fake.requests)))  # fmt: skip
        print(f"{name}: {HISTORY} finished orders with their fills at the broker")
        for label, requests, size, wall, cpu, seen, paths in rows:
            print(
                f"  {label:<22} {requests:>2} requests {size:>9,} bytes  wall {wall * 1e3:7.1f} ms  "
                f"cpu {cpu * 1e3:7.1f} ms  history read: {seen[0]} orders, {seen[1]} fills  {_short(paths)}"
            )
    finally:
        await desk.close()


def _short(paths: Counter[str] | dict[str, int]) -> str:
    return " ".join(f"{path}x{count}" if count > 1 else path for path, count in sorted(paths.items()))


async def _run() -> None:
    projectx = FakeProjectXBroker()
    await projectx.start()
    projectx.set_market("CON.F.US.ENQ.Z26", "25000.00", "25000.25")
    projectx.seed_history(HISTORY)
    try:
        await _measure("ProjectX", projectx, BrokerKind.PROJECTX, projectx.api_url, str(ACCOUNT_ID), "CON.F.US.ENQ.Z26")
    finally:
        await projectx.close()
    tradovate = FakeTradovateBroker()
    await tradovate.start()
    tradovate.set_market("NQZ6", "25000.00", "25000.25")
    tradovate.seed_history(HISTORY)
    try:
        await _measure("Tradovate", tradovate, BrokerKind.TRADOVATE, "demo", DEFAULT_ACCOUNT, "NQZ6")
    finally:
        await tradovate.close()


def main() -> None:
    print(f"broker reconcile traffic (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    asyncio.run(_run())


if __name__ == "__main__":
    main()
