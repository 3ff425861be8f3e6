"""Risk: the pre-trade check in process, and ticks through the risk engine for ten accounts.

(a) Topstep 50K rules, one account long 2 ES with 4 resting orders; each sample is one `RiskEngine.check` of a
    new 1-lot limit order (the call PaperExecutionEngine makes before accepting an order). Target p99 < 50 us.
(b) Ten accounts, each long 1-3 ES under Topstep 50K rules; trades wander +-4 ticks around the entry (inside the
    quiet bands: the common case) and then sweep 40 ticks (every tick re-evaluates some accounts). Figures for
    the risk engine alone and for the whole shell step (paper engine tick + risk on_tick). Target >= 100,000/s.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from decimal import Decimal

from core_server.execution.commands import OpenAccount, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType, TimeInForce
from core_server.model.market_data import Aggressor, Quote, Trade
from core_server.risk import RiskEngine, preset

ES = "ESZ2026"
BASE = 24_000  # ticks: 6000.00
T0 = 1_795_014_000_000_000_000  # 2026-11-18 15:00 UTC, 09:00 CT
CHECKS = 50_000
TICKS = 300_000
ACCOUNTS = 10


def _rig(accounts: int) -> tuple[PaperExecutionEngine, RiskEngine]:
    rules = preset("topstep_50k").rules
    engine = PaperExecutionEngine(fill_settings=FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0))
    risk = RiskEngine(default_rules=rules)
    engine.add_pre_trade_check(risk)
    engine.on_tick(Quote(ES, T0, T0, BASE, BASE + 1, 10, 10))
    engine.on_tick(Trade(ES, T0, T0, BASE, 1, Aggressor.NONE))
    for i in range(accounts):
        acc = AccountId(f"bench-{i}")
        events = engine.execute(OpenAccount(acc, Decimal(50_000)), T0)
        risk.on_execution_events(events)
        risk.take_pending()
        events = engine.execute(SubmitOrder(acc, ES, OrderSide.BUY, 1 + i % 3, OrderType.MARKET), T0)
        events += engine.advance_to(T0 + 1)
        risk.take_pending()
        risk.on_execution_events(events)
    return engine, risk


def pre_trade_p99() -> None:
    engine, risk = _rig(1)
    acc = AccountId("bench-0")
    for px in ("5990.00", "5985.00", "5980.00"):
        engine.execute(SubmitOrder(acc, ES, OrderSide.BUY, 1, OrderType.LIMIT, TimeInForce.GTC, Decimal(px)), T0 + 2)
    risk.take_pending()
    template = engine.open_orders(acc)[0]
    samples: list[int] = []
    clock = time.perf_counter_ns
    for i in range(CHECKS):
        order = replace(template, submitted_ns=T0 + 10 + i)
        start = clock()
        risk.check(order, engine)
        samples.append(clock() - start)
        if i % 1000 == 999:
            risk.take_pending()
    samples.sort()
    p50, p99 = samples[len(samples) // 2], samples[len(samples) * 99 // 100]
    print(f"risk (a) pre-trade check, {CHECKS:,} orders: p50 {p50 / 1000:.1f} us, p99 {p99 / 1000:.1f} us"
          f" (target p99 < 50 us)")  # fmt: skip


def _trades(count: int) -> list[Trade]:
    rng = random.Random(3)
    out = []
    for i in range(count):
        ts = T0 + 1_000_000 + i * 1000
        # Mostly inside every band; one tick in ten a sweep 40 ticks down that re-evaluates accounts.
        price = BASE + rng.randint(-4, 4) if i % 10_000 < 9_000 else BASE - (i % 10_000 - 9_000) % 40
        out.append(Trade(ES, ts, ts, price, 1, Aggressor.NONE))
    return out


def ticks_per_second() -> None:
    trades = _trades(TICKS)
    engine, risk = _rig(ACCOUNTS)
    start = time.perf_counter()
    for trade in trades:
        risk.on_tick(trade, ())
    alone = TICKS / (time.perf_counter() - start)
    engine, risk = _rig(ACCOUNTS)
    start = time.perf_counter()
    for trade in trades:
        risk.on_tick(trade, engine.on_trade(trade))
    shell = TICKS / (time.perf_counter() - start)
    print(f"risk (b) tick -> risk status, {ACCOUNTS} accounts, {TICKS:,} trades: risk engine {alone:,.0f}/s,"
          f" paper + risk {shell:,.0f}/s (target >= 100,000/s)")  # fmt: skip


def main() -> None:
    pre_trade_p99()
    ticks_per_second()


if __name__ == "__main__":
    main()
