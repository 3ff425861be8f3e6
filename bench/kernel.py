"""The kernel's whole chain per tick (issue 10 target: >= 300,000 ticks/s on one core, live path).

4 contracts (ES, NQ, MES, MNQ); 13 accounts each holding a bracketed position in every contract: 52 open round
trips with 104 resting exits (stops and targets far from the market). Quotes and trades wander a few ticks,
1 ms apart, so candles of every timeframe form and close as they would live. The kernel runs anomaly filter ->
candles -> strategies -> fills -> risk -> trades -> signals for every tick and its output is drained every 100
ticks, as the live shell does. With `--strategies` (when the strategies package is present) the built-ins run too.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from bench.machine import pin_to_core
from core_server.execution.commands import OpenAccount, SubmitBracket
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType, TimeInForce
from core_server.kernel.assembly import KernelSettings, build_kernel
from core_server.kernel.kernel import TradingKernel
from core_server.model.clock import NS_PER_MS
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.risk.days import MarketHours

CONTRACTS = [Contract(root, 2026, 12) for root in ("ES", "NQ", "MES", "MNQ")]
BASE = {"ES": 24_000, "NQ": 100_000, "MES": 24_000, "MNQ": 100_000}  # ticks: 6000.00 and 25000.00
T0 = 1_795_014_000_000_000_000  # 2026-11-19 09:00 CT
ACCOUNTS = 13
TICKS = 400_000


def build() -> TradingKernel:
    settings = KernelSettings(
        fill=FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=0),
        market_hours=MarketHours.DECLARED_OPEN,
    )
    kernel = build_kernel(settings, CONTRACTS, complete_from_ns=T0)
    for contract in CONTRACTS:
        base = BASE[contract.root]
        kernel.on_tick(Quote(contract.id, T0, T0, base, base + 1, 10, 10))
    spec = {c.id: c.spec for c in CONTRACTS}
    for a in range(ACCOUNTS):
        account = AccountId(f"bench-{a}")
        kernel.execute(OpenAccount(account, Decimal(10_000_000)), T0)
        for contract in CONTRACTS:
            s = spec[contract.id]
            base = BASE[contract.root]
            stop, target = s.price_from_ticks(base - 400), s.price_from_ticks(base + 400)
            bracket = SubmitBracket(account, contract.id, OrderSide.BUY, 1, OrderType.MARKET, stop, target,
                                    time_in_force=TimeInForce.GTC)  # fmt: skip
            kernel.execute(bracket, T0)
    kernel.take_output()
    return kernel


def ticks(count: int) -> list[Tick]:
    rng = random.Random(7)
    out: list[Tick] = []
    prices = {c.id: BASE[c.root] for c in CONTRACTS}
    ts = T0 + NS_PER_MS
    for i in range(count):
        contract = CONTRACTS[i % 4]
        cid = contract.id
        base = BASE[contract.root]
        price = min(base + 4, max(base - 4, prices[cid] + rng.choice((-1, 0, 1))))
        prices[cid] = price
        ts += NS_PER_MS // 4
        if i % 8 < 4:
            out.append(Quote(cid, ts, ts, price, price + 1, 10, 10))
        else:
            out.append(Trade(cid, ts, ts, price, 1, Aggressor.BUY))
    return out


def main() -> None:
    pin_to_core(0)
    kernel = build()
    tape = ticks(TICKS)
    on_tick, take = kernel.on_tick, kernel.take_output
    open_trips = len(kernel.trades.open_trips())
    resting = sum(len(kernel.execution.open_orders(a.account_id)) for a in kernel.execution.accounts())
    start = time.perf_counter()
    for i, tick in enumerate(tape):
        on_tick(tick)
        if i % 100 == 99:
            take()
    elapsed = time.perf_counter() - start
    print(
        f"kernel: {TICKS} ticks, 4 contracts, {open_trips} open trades, {resting} resting orders: "
        f"{TICKS / elapsed:,.0f} ticks/s ({elapsed * 1e9 / TICKS:.0f} ns/tick)"
    )


if __name__ == "__main__":
    main()
