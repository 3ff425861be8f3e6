"""Prints ExcursionBook throughput (never asserted): 50 trades on 4 contracts, quiet ticks and a random walk.

Run: .venv/bin/python -m tests.unit.excursions.excursion_timing
"""

from __future__ import annotations

import random
import time

from core_server.excursions.book import ExcursionBook
from core_server.excursions.model import Direction, TradeSpec
from core_server.excursions.settings import ExcursionSettings, PriceSource
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.market_data import Aggressor, Quote, Tick, Trade

CONTRACTS = ("NQZ2026", "ESZ2026", "MNQZ2026", "MESZ2026")
ENTRY = 100_000
TICKS = 400_000


def book_of_50() -> ExcursionBook:
    rng = random.Random(7)
    book = ExcursionBook()
    for i in range(50):
        direction = Direction.LONG if i % 2 else Direction.SHORT
        risk = rng.randint(40, 120)
        spec = TradeSpec(f"t{i}", CONTRACTS[i % 4], direction, 1, ENTRY, ENTRY - risk * direction.sign, 0, target_r=2)
        source = PriceSource.LAST if i % 3 else PriceSource.BID_ASK
        book.add(ExcursionTracker(spec, ExcursionSettings(price_source=source)))
    return book


def ticks(step: int, seed: int) -> list[Tick]:
    """Alternating trades and quotes over the 4 contracts; prices walk by up to `step` ticks, kept near entry."""
    rng = random.Random(seed)
    price = dict.fromkeys(CONTRACTS, ENTRY)
    out: list[Tick] = []
    for n in range(TICKS):
        cid = CONTRACTS[n % 4]
        p = price[cid] + rng.randint(-step, step)
        p = min(max(p, ENTRY - 30), ENTRY + 30)
        price[cid] = p
        if n % 2:
            out.append(Trade(cid, n, n, p, 1, Aggressor.BUY))
        else:
            out.append(Quote(cid, n, n, p, p + 1, 3, 3))
    return out


def run(label: str, tape: list[Tick]) -> None:
    book = book_of_50()
    for tick in tape[:2000]:  # warm-up: MFE/MAE reach the edges of the range
        book.on_tick(tick)
    started = time.perf_counter()
    events = 0
    for tick in tape:
        events += len(book.on_tick(tick))
    elapsed = time.perf_counter() - started
    print(f"{label}: {len(tape) / elapsed:,.0f} ticks/s ({events} trade-event batches)")


def main() -> None:
    run("book, 50 trades / 4 contracts, quiet range (+-30 ticks)", ticks(2, 1))
    tape = ticks(2, 1)
    trackers = list(book_of_50())
    by_contract = {c: [t for t in trackers if t.spec.contract_id == c] for c in CONTRACTS}
    started = time.perf_counter()
    for tick in tape:
        for t in by_contract[tick.contract_id]:
            t.on_tick(tick)
    elapsed = time.perf_counter() - started
    print(f"trackers one by one (no group band), same tape: {len(tape) / elapsed:,.0f} ticks/s")
    rng = random.Random(3)
    walk: list[Tick] = []
    price = dict.fromkeys(CONTRACTS, ENTRY)
    for n in range(20_000):  # an unbounded walk: new highs/lows, break-evens, stops and targets all happen
        cid = CONTRACTS[n % 4]
        price[cid] += rng.randint(-1, 1)
        walk.append(Trade(cid, n, n, price[cid], 1, Aggressor.SELL))
    elapsed, events, still_open = 0.0, 0, 0
    for _ in range(20):
        book = book_of_50()
        started = time.perf_counter()
        events += sum(len(book.on_tick(tick)) for tick in walk)
        elapsed += time.perf_counter() - started
        still_open += sum(1 for t in book if t.is_open)
    print(
        f"book, +-1 tick walk of 20,000 ticks from entry (x20): {20 * len(walk) / elapsed:,.0f} ticks/s "
        f"({events // 20} trade-event batches, {still_open // 20} of 50 trades still open at the end)"
    )


if __name__ == "__main__":
    main()
