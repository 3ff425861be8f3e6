"""Copy trading fan-out (issue 15 target: one source signal -> orders for 20 followers, p99 < 20 ms).

In process: the kernel with a leader and 20 followers (a mix of x1, x2, x1 as micros and risk-$ as micros, so
every sizing rule and the micro substitution run); one leader bracket -> 21 brackets decided (20 sized, each
through its follower's pre-trade risk check, 20 outcomes recorded), then the leader's close -> 21 closes.

Through the webhook bridge: three processes as deployed (`python -m core_server` on PostgreSQL with zero paper
latency, `python -m clients.webhook_bridge`, this client). Each round the leader buys 1 NQ by hand (copied to
the 20 followers by an account-source group), then a TradingView `exit` alert for the webhook strategy is POSTed:
timed from the POST to the bridge's answer, which comes once the core has closed the signal account and all 20
followers (each close accepted and filled by the paper exchange) and stored every order, fill and outcome.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp

from bench.database import bench_database
from bench.machine import pin_to_core
from bench.webhook import SECRET, _line_with, _spawn
from clients.sdk import CopyFollower, VigilClient, market
from core_server.copying.model import CopyGroup, Follower, Sizing, SizingKind, SourceKind
from core_server.execution.commands import ClosePosition, OpenAccount, SubmitBracket
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.kernel.assembly import KernelSettings, build_kernel
from core_server.kernel.kernel import TradingKernel
from core_server.model.instruments import Contract
from core_server.model.market_data import Quote
from core_server.risk.days import MarketHours

NQ, MNQ = Contract("NQ", 2026, 12), Contract("MNQ", 2026, 12)
T0 = 1_795_014_000_000_000_000  # 2026-11-19 09:00 CT
FOLLOWERS = 20
ROUNDS = 200
BRIDGE_ROUNDS = 200
LEADER = AccountId("leader")


def _sizing(i: int) -> tuple[Sizing, bool]:
    kind = i % 4
    if kind == 0:
        return Sizing(SizingKind.MULTIPLIER, multiplier=Decimal(1)), False
    if kind == 1:
        return Sizing(SizingKind.MULTIPLIER, multiplier=Decimal(2)), False
    if kind == 2:
        return Sizing(SizingKind.MULTIPLIER, multiplier=Decimal(1)), True
    return Sizing(SizingKind.RISK, risk_dollars=Decimal(500)), True


def build() -> TradingKernel:
    settings = KernelSettings(
        fill=FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=0),
        market_hours=MarketHours.DECLARED_OPEN,
    )
    kernel = build_kernel(settings, [NQ, MNQ], complete_from_ns=T0)
    for contract in (NQ, MNQ):
        kernel.on_tick(Quote(contract.id, T0, T0, 100_000, 100_001, 10, 10))
    kernel.execute(OpenAccount(LEADER, Decimal(10_000_000)), T0)
    followers = []
    for i in range(FOLLOWERS):
        account = AccountId(f"follower-{i}")
        kernel.execute(OpenAccount(account, Decimal(10_000_000)), T0)
        sizing, micros = _sizing(i)
        followers.append(Follower(account, sizing, micros))
    kernel.copying.put(CopyGroup("bench", "bench", SourceKind.ACCOUNT, LEADER, tuple(followers)))
    kernel.take_output()
    return kernel


def _pick(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def in_process() -> None:
    pin_to_core(0)
    kernel = build()
    entry = SubmitBracket(
        LEADER, NQ.id, OrderSide.BUY, 1, OrderType.MARKET, stop_loss=Decimal("24990.00"),
        take_profit=Decimal("25100.00"),
    )  # fmt: skip
    close = ClosePosition(LEADER, NQ.id)
    entries: list[float] = []
    exits: list[float] = []
    outcomes = 0
    now = T0 + 1
    for _ in range(ROUNDS):
        now += 1_000_000
        started = time.perf_counter_ns()
        kernel.execute(entry, now)
        out = kernel.take_output()
        entries.append((time.perf_counter_ns() - started) / 1e6)
        outcomes += len(out.copies)
        now += 1_000_000
        started = time.perf_counter_ns()
        kernel.execute(close, now)
        out = kernel.take_output()
        exits.append((time.perf_counter_ns() - started) / 1e6)
        outcomes += len(out.copies)
    assert outcomes == 2 * ROUNDS * FOLLOWERS, outcomes
    entries.sort()
    exits.sort()
    direct = _direct_baseline()
    print(
        f"copy in process: 1 leader bracket -> {FOLLOWERS} follower brackets (sized, risk-checked, outcomes): "
        f"p50 {_pick(entries, 0.5):.3f} ms, p99 {_pick(entries, 0.99):.3f} ms; leader close -> {FOLLOWERS} closes: "
        f"p50 {_pick(exits, 0.5):.3f} ms, p99 {_pick(exits, 0.99):.3f} ms ({ROUNDS:,} rounds); "
        f"baseline without a group, the same 21 brackets as 21 commands: p50 {_pick(direct, 0.5):.3f} ms, "
        f"p99 {_pick(direct, 0.99):.3f} ms"
    )


def _direct_baseline() -> list[float]:
    """The same orders placed as separate kernel commands (no copy group): what the fan-out itself adds."""
    kernel = build()
    kernel.copying.delete("bench")
    kernel.take_output()
    commands = []
    for i in range(FOLLOWERS):
        _, micros = _sizing(i)
        contract = MNQ if micros else NQ
        quantity = {0: 1, 1: 2, 2: 10, 3: 25}[i % 4]
        commands.append(
            SubmitBracket(
                AccountId(f"follower-{i}"), contract.id, OrderSide.BUY, quantity, OrderType.MARKET,
                stop_loss=Decimal("24990.00"), take_profit=Decimal("25100.00"),
            )
        )  # fmt: skip
    entry = SubmitBracket(
        LEADER, NQ.id, OrderSide.BUY, 1, OrderType.MARKET, stop_loss=Decimal("24990.00"),
        take_profit=Decimal("25100.00"),
    )  # fmt: skip
    closes = [ClosePosition(LEADER, NQ.id)] + [ClosePosition(c.account_id, c.contract_id) for c in commands]
    timings: list[float] = []
    now = T0 + 1
    for _ in range(ROUNDS):
        now += 1_000_000
        started = time.perf_counter_ns()
        for command in (entry, *commands):
            kernel.execute(command, now)
        kernel.take_output()
        timings.append((time.perf_counter_ns() - started) / 1e6)
        now += 1_000_000
        for close in closes:
            kernel.execute(close, now)
        kernel.take_output()
    timings.sort()
    return timings


def _exit_alert() -> bytes:
    fired = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"ticker": "NQ1!", "action": "exit", "time": fired, "passphrase": SECRET, "strategy": "bench-copy"}
    return json.dumps(body).encode()


async def _bridge_rounds(address: str, url: str) -> tuple[list[float], dict[str, int]]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    async with VigilClient(address) as client:
        while True:
            try:
                await client.get_quote("NQ1!")
                break
            except Exception:  # no quote yet
                await asyncio.sleep(0.1)
        names = [f"f{i}" for i in range(FOLLOWERS)]
        for name in names:
            await client.create_account(name, Decimal(10_000_000))
        rules = []
        for i, name in enumerate(names):
            sizing, micros = _sizing(i)
            if sizing.kind is SizingKind.RISK:
                rules.append(CopyFollower.risk(name, sizing.risk_dollars, micros_only=micros))
            else:
                rules.append(CopyFollower.times(name, sizing.multiplier, micros_only=micros))
        await client.create_copy_group("bench-entries", "account", "paper", rules)
        await client.create_copy_group("bench-exits", "webhook", "bench-copy", rules)
        connector = aiohttp.TCPConnector(force_close=True, limit=0)  # TradingView opens a connection per alert
        async with aiohttp.ClientSession(connector=connector) as http:
            for _ in range(BRIDGE_ROUNDS + 1):
                await client.submit_order("paper", market("NQ1!", "buy", 1))
                started = time.perf_counter()
                async with http.post(url, data=_exit_alert()) as response:
                    payload = await response.json()
                latencies.append((time.perf_counter() - started) * 1000)
                status = str(payload.get("status", f"http {response.status}"))
                statuses[status] = statuses.get(status, 0) + 1
        positions = await client.list_positions("f0")
        assert all(p.is_flat for p in positions), positions
    return latencies[1:], statuses


async def through_bridge() -> None:
    async with bench_database() as url:
        core = await _spawn(
            "-m", "core_server",
            env={
                "DATABASE_URL": url, "VIGIL_LISTEN": "127.0.0.1:0", "VIGIL_LOG_LEVEL": "warning",
                "VIGIL_LOG_FORMAT": "json", "VIGIL_PAPER_LATENCY_MS": "0", "VIGIL_PAPER_SLIPPAGE_TICKS": "0",
            },
        )  # fmt: skip
        assert core.stderr is not None
        address = (await _line_with(core.stderr, "serving on")).split("serving on ", 1)[1].split(" ", 1)[0]
        core_drain = asyncio.create_task(core.stderr.read())
        bridge = await _spawn(
            "-m", "clients.webhook_bridge",
            env={
                "VIGIL_TARGET": address, "VIGIL_BRIDGE_LISTEN": "127.0.0.1:0", "VIGIL_WEBHOOK_SECRET": SECRET,
                "VIGIL_LOG_LEVEL": "warning",
            },
        )  # fmt: skip
        assert bridge.stderr is not None
        base = (await _line_with(bridge.stderr, "listening on")).split("listening on ", 1)[1].split("/webhook", 1)[0]
        bridge_drain = asyncio.create_task(bridge.stderr.read())
        try:
            latencies, statuses = await _bridge_rounds(address, f"{base}/webhook/tradingview")
        finally:
            for process in (bridge, core):
                process.send_signal(signal.SIGTERM)
                await process.wait()
            await asyncio.gather(core_drain, bridge_drain)
    ordered = sorted(latencies)
    mix = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    print(
        f"copy through the bridge: exit alert POST -> signal account and {FOLLOWERS} followers closed and stored: "
        f"p50 {_pick(ordered, 0.5):.2f} ms, p99 {_pick(ordered, 0.99):.2f} ms, max {ordered[-1]:.2f} ms "
        f"({len(ordered)} alerts, one at a time, a new connection each; decisions: {mix})"
    )


def main() -> None:
    in_process()
    asyncio.run(through_bridge())
