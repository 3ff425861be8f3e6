"""Test kit: tapes of ES across the ESZ2025 -> ESH2026 roll (SPEC §1: ESZ2025 expires Friday 2025-12-19; from the
17:00 CT open of Wednesday 2025-12-10, trading day Thursday 2025-12-11, ESH2026 is the front month)."""

from __future__ import annotations

from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import Contract
from core_server.model.market_data import Tick
from tests.kit.feeds import px, quote, trade
from tests.kit.time import ct, et

ESZ = Contract("ES", 2025, 12)
ESH = Contract("ES", 2026, 3)
ROLL_NS = ct(2025, 12, 10, 17)
S = NS_PER_SECOND


def step(contract: Contract, ts: int, price: str) -> list[Tick]:
    """A quote with its bid at `price` (ask one tick above) and a trade at `price`."""
    ask = contract.spec.format_ticks(px(contract, price) + 1)
    return [quote(contract, ts, price, ask), trade(contract, ts, price)]


def steady(contract: Contract, start_ns: int, end_ns: int, price: str, every_s: int = 60) -> list[Tick]:
    """One step at `price` every `every_s` seconds over [start_ns, end_ns)."""
    return [t for ts in range(start_ns, end_ns, every_s * S) for t in step(contract, ts, price)]


def first_hour(contract: Contract, day: tuple[int, int, int], prices: tuple[str, ...]) -> list[Tick]:
    """Trades cycling through `prices` once a minute from 09:30 to 10:29 ET."""
    return [t for i in range(60) for t in step(contract, et(*day, 9, 30) + i * 60 * S, prices[i % len(prices)])]


def in_order(*parts: list[Tick]) -> list[Tick]:
    """The ticks of every part in event-time order (stable: same-instant ticks keep their order)."""
    return sorted((t for part in parts for t in part), key=lambda t: t.ts_event)
