"""Strategies on the kernel (issue 10 targets):

1. The kernel's live path with the three built-ins active on each of 4 contracts (12 strategies: the first-hour
   breakout collecting its range tick by tick, momentum and mean reversion evaluating on candle closes), on top
   of bench.kernel's 52 open trades and 104 resting orders: ticks/s on one core (target >= 300,000).
2. Rule evaluation on a candle close with 20 active rule strategies on one contract, every one evaluating on
   1m closes (series and indicators updated, every entry group evaluated): p50/p99 per close (target p99 < 200 us).
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from bench import kernel as bench_kernel
from bench.kernel import CONTRACTS, TICKS, ticks
from bench.machine import pin_to_core
from core_server.calendar.session_table import load_trading_calendar
from core_server.execution.commands import OpenAccount, SubmitBracket
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType, TimeInForce
from core_server.kernel.assembly import KernelSettings, build_kernel
from core_server.kernel.kernel import TradingKernel
from core_server.model.clock import NS_PER_MINUTE
from core_server.model.market_data import Candle, Quote, Tick, Timeframe
from core_server.risk.days import MarketHours
from core_server.strategies.definition import StrategyDefinition
from core_server.strategies.host import StrategyHost
from core_server.strategies.parse import parse_text

EXAMPLES = Path(__file__).resolve().parents[1] / "strategies" / "examples"
BASE = {"ES": 24_000, "NQ": 100_000, "MES": 24_000, "MNQ": 100_000}
T0 = 1_795_012_170_000_000_000  # 2026-11-18 09:29:30 ET: the breakout's window opens 30 s into the tape
ACCOUNTS = 13
CLOSES = 2_000
RULE_STRATEGIES = 20


def examples() -> list[StrategyDefinition]:
    return [parse_text(p.read_text()) for p in sorted(EXAMPLES.glob("*.toml"))]


def build_with_builtins() -> tuple[TradingKernel, StrategyHost]:
    calendar = load_trading_calendar()
    host = StrategyHost(calendar, CONTRACTS)
    settings = KernelSettings(
        fill=FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=0),
        market_hours=MarketHours.DECLARED_OPEN,
    )
    kernel = build_kernel(settings, CONTRACTS, complete_from_ns=T0, calendar=calendar, strategies=host)
    host.bind(kernel.execution, kernel.market)
    for contract in CONTRACTS:
        base = BASE[contract.root]
        kernel.on_tick(Quote(contract.id, T0, T0, base, base + 1, 10, 10))
    for a in range(ACCOUNTS):
        account = AccountId(f"bench-{a}")
        kernel.execute(OpenAccount(account, Decimal(10_000_000)), T0)
        for contract in CONTRACTS:
            s, base = contract.spec, BASE[contract.root]
            stop, target = s.price_from_ticks(base - 400), s.price_from_ticks(base + 400)
            bracket = SubmitBracket(account, contract.id, OrderSide.BUY, 1, OrderType.MARKET, stop, target,
                                    time_in_force=TimeInForce.GTC)  # fmt: skip
            kernel.execute(bracket, T0)
    for contract in CONTRACTS:
        for definition in examples():
            named = replace(definition, name=f"{definition.name}-{contract.root}", account="bench-0",
                            instrument=contract.id, enabled=True)  # fmt: skip
            host.load(named, "", "toml", T0)
    kernel.commands.run_strategy_commands(T0)
    kernel.take_output()
    return kernel, host


def _run(kernel: TradingKernel, tape: list[Tick]) -> float:
    on_tick, take = kernel.on_tick, kernel.take_output
    start = time.perf_counter()
    for i, tick in enumerate(tape):
        on_tick(tick)
        if i % 100 == 99:
            take()
    return len(tape) / (time.perf_counter() - start)


def kernel_with_strategies(rounds: int = 3) -> None:
    """The kernel with and without the built-ins, interleaved, best of `rounds` each (the machine is shared)."""
    tape = [t._replace(ts_event=t.ts_event - bench_kernel.T0 + T0) for t in ticks(TICKS)]
    plain, with_builtins = [], []
    host: StrategyHost | None = None
    kernel: TradingKernel | None = None
    for _ in range(rounds):
        plain.append(_run(bench_kernel.build(), [t._replace(ts_event=t.ts_event - T0 + bench_kernel.T0) for t in tape]))
        kernel, host = build_with_builtins()
        with_builtins.append(_run(kernel, tape))
    assert host is not None and kernel is not None
    active = sum(1 for rt in host.runtimes.values() if rt.status.value == "active")
    collecting = sum(1 for rt in host.runtimes.values() if rt.strategy.state().get("phase") == "collecting")
    best, best_plain = max(with_builtins), max(plain)
    print(
        f"strategies/kernel: {TICKS} ticks, 4 contracts, 52 open trades, 104 resting orders, best of {rounds}: "
        f"{best_plain:,.0f} ticks/s without strategies, {best:,.0f} ticks/s with {active} active built-ins "
        f"({collecting} breakouts collecting tick by tick) ({1e9 / best:.0f} ns/tick, "
        f"{1e9 / best - 1e9 / best_plain:+.0f} ns); stage failures {kernel.isolation.total}"
    )


def rule_definitions(count: int) -> list[StrategyDefinition]:
    momentum, reversion = (d for d in examples() if d.kind.value == "rules")
    out = []
    for i in range(count):
        base = (momentum, reversion)[i % 2]
        assert base.rules is not None
        rules = replace(base.rules, timeframe=Timeframe.M1, window=None, flat_by=None)
        out.append(replace(base, name=f"rule-{i}", rules=rules, enabled=True, account="bench",
                           instrument=CONTRACTS[0].id))  # fmt: skip
    return out


def candles(count: int) -> list[list[Candle]]:
    """What closes each minute: the 1m candle, and the 5m/15m one on their boundaries (a random walk)."""
    rng = random.Random(3)
    cid = CONTRACTS[0].id
    price, t = 24_000, T0 - T0 % (15 * NS_PER_MINUTE)
    closes: list[list[Candle]] = []
    open_of: dict[Timeframe, tuple[int, int, int, int, int]] = {}
    for n in range(count):
        o = price
        moves = [rng.choice((-2, -1, 0, 1, 2)) for _ in range(6)]
        path = [o]
        for m in moves:
            path.append(path[-1] + m)
        price = path[-1]
        high, low, volume = max(path), min(path), rng.randint(50, 500)
        at = t + (n + 1) * NS_PER_MINUTE
        batch = [Candle(cid, Timeframe.M1, at - NS_PER_MINUTE, at, o, high, low, price, volume, 6, True, True)]
        for tf, minutes in ((Timeframe.M5, 5), (Timeframe.M15, 15)):
            first, hi, lo, vol, _ = open_of.get(tf, (o, high, low, 0, 0))
            open_of[tf] = (first, max(hi, high), min(lo, low), vol + volume, 0)
            if (n + 1) % minutes == 0:
                f, h, lw, v, _ = open_of.pop(tf)
                span = minutes * NS_PER_MINUTE
                batch.append(Candle(cid, tf, at - span, at, f, h, lw, price, v, 6 * minutes, True, True))
        closes.append(batch)
    return closes


def rule_evaluation() -> None:
    host = StrategyHost(load_trading_calendar(), CONTRACTS[:1])
    for definition in rule_definitions(RULE_STRATEGIES):
        host.load(definition, "", "toml", T0)
    batches = candles(CLOSES)
    warm, timed = batches[:200], batches[200:]
    for batch in warm:
        host.on_candles(batch, batch[0].end_ns)
        host.take_commands()
        host.take_events()
    wall, cpu = [], []
    for batch in timed:
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        host.on_candles(batch, batch[0].end_ns)
        cpu.append(time.thread_time_ns() - start_cpu)
        wall.append(time.perf_counter_ns() - start)
        host.take_commands()
        host.take_events()
    print(
        f"strategies/rules: {RULE_STRATEGIES} active rule strategies on 1m closes, {len(wall)} closes: "
        f"wall {_quantiles(wall)}; thread CPU time (no preemption by other processes) {_quantiles(cpu)}"
    )


def _quantiles(samples: list[int]) -> str:
    ordered = sorted(samples)
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]
    return f"p50 {p50 / 1000:.0f} us, p99 {p99 / 1000:.0f} us, max {ordered[-1] / 1000:.0f} us"


def main() -> None:
    pin_to_core(0)
    kernel_with_strategies()
    rule_evaluation()


if __name__ == "__main__":
    main()
