"""Deterministic market scripts for the fake Tradovate server: a seeded random walk of prints on the tick grid."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ScriptPrint:
    """One trade and the top of book right after it. Prices are whole ticks."""

    ts_ms: int
    tick_id: int
    price: int
    size: int
    bid: int
    ask: int
    bid_size: int
    ask_size: int
    volume: int  # cumulative session volume including this print


@dataclass(frozen=True)
class TickScript:
    """What one contract does: `opening` is the state before the first print (a late subscriber's snapshot)."""

    name: str  # the Tradovate contract name, e.g. NQZ6
    contract_id: int  # Tradovate's contract id
    tick_size: Decimal
    opening: ScriptPrint
    prints: tuple[ScriptPrint, ...]
    _times: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        times = [p.ts_ms for p in self.prints]
        if times != sorted(times):
            raise ValueError("script prints must be in time order")
        object.__setattr__(self, "_times", times)

    @classmethod
    def random_walk(
        cls,
        name: str,
        contract_id: int,
        tick_size: Decimal,
        *,
        seed: int,
        count: int,
        start_ms: int,
        start_price: int,
        mean_gap_ms: float = 200.0,
        same_ms_share: float = 0.1,
        start_volume: int = 100_000,
    ) -> TickScript:
        """`count` prints from a seeded walk: steps of -2..+2 ticks, exponential gaps (some prints share a
        millisecond), sizes mostly small, and a one-tick spread on the side the print hit."""
        rng = random.Random(seed)
        price, ts, volume, tick_id = start_price, start_ms, start_volume, contract_id * 1000
        opening = ScriptPrint(ts, tick_id, price, 1, price - 1, price, 10, 10, volume)
        prints = []
        for _ in range(count):
            if rng.random() >= same_ms_share:
                ts += 1 + int(rng.expovariate(1.0 / mean_gap_ms))
            price += rng.choices((-2, -1, 0, 1, 2), weights=(1, 8, 12, 8, 1))[0]
            size = 1 + min(49, int(rng.expovariate(0.6)))
            bid, ask = (price - 1, price) if rng.random() < 0.5 else (price, price + 1)
            volume += size
            tick_id += 1
            prints.append(
                ScriptPrint(ts, tick_id, price, size, bid, ask, rng.randint(1, 40), rng.randint(1, 40), volume)
            )
        return cls(name, contract_id, tick_size, opening, tuple(prints))

    def index_after(self, ts_ms: int) -> int:
        """Index of the first print later than `ts_ms`."""
        return bisect.bisect_right(self._times, ts_ms)

    def index_from(self, ts_ms: int) -> int:
        """Index of the first print at or after `ts_ms`."""
        return bisect.bisect_left(self._times, ts_ms)

    def wire_price(self, ticks: int) -> float:
        """The JSON number Tradovate would send: the shortest float text of the exact price (25341.25)."""
        return float(self.tick_size * ticks)
