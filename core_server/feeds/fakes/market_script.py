"""Seeded market scripts for the ProjectX and Trade Manager fakes: quotes and trades on the tick grid.

A script is what the market does, independent of who watches: the fakes publish it to whoever is
subscribed, and serve history bars computed from it, so a client that misses a stretch can compare
its backfill with the truth.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from core_server.model.clock import NS_PER_SECOND, NS_PER_US
from core_server.model.instruments import Contract

START_PRICES = {"NQ": "21000", "MNQ": "21000", "ES": "6000", "MES": "6000", "YM": "44000", "MYM": "44000"}
START_PRICES |= {"RTY": "2300", "M2K": "2300"}


class ScriptEvent(NamedTuple):
    """A top-of-book change (`is_trade` false) or a print; prices are whole ticks."""

    ts_ns: int
    contract_id: str
    is_trade: bool
    price: int  # the print's price (trades); 0 for quotes
    size: int  # the print's size (trades); 0 for quotes
    side: int  # aggressor: 0 buy, 1 sell (TradeLogType); -1 for quotes
    bid: int
    ask: int
    bid_size: int
    ask_size: int
    volume: int  # the contract's cumulative traded volume after this event


class BarRow(NamedTuple):
    start_ns: int
    open: int
    high: int
    low: int
    close: int
    volume: int


@dataclass(frozen=True)
class MarketScript:
    contracts: tuple[Contract, ...]
    events: tuple[ScriptEvent, ...]

    @property
    def start_ns(self) -> int:
        return self.events[0].ts_ns if self.events else 0

    @property
    def end_ns(self) -> int:
        return self.events[-1].ts_ns if self.events else 0

    @classmethod
    def generate(
        cls,
        contracts: Sequence[Contract],
        *,
        seed: int = 1,
        start_ns: int,
        duration_s: float = 180.0,
        rate: float = 10.0,
        trade_share: float = 0.6,
    ) -> MarketScript:
        """About `rate` events per second per contract for `duration_s`, reproducible from `seed`.

        Timestamps have microsecond resolution and ~3% of events share a timestamp with the previous
        one (bursts), so clients meet equal stamps.
        """
        rng = random.Random(seed)
        events: list[ScriptEvent] = []
        for contract in contracts:
            spec = contract.spec
            mid = spec.ticks_from_price(START_PRICES.get(contract.root, "1000"))
            bid, ask = mid - 1, mid
            bid_size, ask_size = rng.randint(5, 40), rng.randint(5, 40)
            ts, volume = start_ns, 0
            end = start_ns + int(duration_s * NS_PER_SECOND)
            mean_gap_us = 1_000_000 / rate
            while True:
                if rng.random() > 0.03:
                    ts += max(1, int(rng.expovariate(1.0 / mean_gap_us))) * NS_PER_US
                if ts >= end:
                    break
                if rng.random() < trade_share:
                    side = rng.randrange(2)
                    size = rng.choice((1, 1, 1, 2, 2, 3, 5, 10))
                    volume += size
                    price = ask if side == 0 else bid
                    events.append(
                        ScriptEvent(ts, contract.id, True, price, size, side, bid, ask, bid_size, ask_size, volume)
                    )
                else:
                    step = rng.choice((-1, 0, 0, 1))
                    bid += step
                    ask = bid + rng.choice((1, 1, 1, 2))
                    bid_size, ask_size = rng.randint(1, 60), rng.randint(1, 60)
                    events.append(ScriptEvent(ts, contract.id, False, 0, 0, -1, bid, ask, bid_size, ask_size, volume))
        events.sort(key=lambda e: e.ts_ns)  # stable: same-stamp events keep their order per contract
        return cls(tuple(contracts), tuple(events))

    def trades(self, contract_id: str) -> list[ScriptEvent]:
        return [e for e in self.events if e.is_trade and e.contract_id == contract_id]

    def bars(self, contract_id: str, start_ns: int, end_ns: int, unit_ns: int, upto_ns: int) -> list[BarRow]:
        """Bars of `unit_ns` (aligned to the epoch) that start in [start_ns, end_ns), built from the
        trades stamped at or before `upto_ns` (the market's present), oldest first."""
        index = self._index(contract_id)
        times = [e.ts_ns for e in index]
        lo = bisect.bisect_left(times, start_ns - start_ns % unit_ns)
        hi = bisect.bisect_right(times, min(upto_ns, end_ns + unit_ns))
        rows: dict[int, list[int]] = {}
        for event in index[lo:hi]:
            bucket = event.ts_ns - event.ts_ns % unit_ns
            if not start_ns <= bucket < end_ns:
                continue
            row = rows.get(bucket)
            if row is None:
                rows[bucket] = [event.price, event.price, event.price, event.price, event.size]
            else:
                row[1] = max(row[1], event.price)
                row[2] = min(row[2], event.price)
                row[3] = event.price
                row[4] += event.size
        return [BarRow(start, *row) for start, row in sorted(rows.items())]

    def _index(self, contract_id: str) -> list[ScriptEvent]:
        cache: dict[str, list[ScriptEvent]] = self.__dict__.setdefault("_trade_index", {})
        if contract_id not in cache:
            cache[contract_id] = self.trades(contract_id)
        return cache[contract_id]
