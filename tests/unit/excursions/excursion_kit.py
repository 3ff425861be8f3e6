"""Builders for excursion tests: ticks and trades from readable decimal prices."""

from __future__ import annotations

from fractions import Fraction

from core_server.excursions.model import Direction, TradeSpec
from core_server.excursions.settings import ExcursionSettings
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Aggressor, Quote, Trade

OPENED_NS = 1_790_000_000_000_000_000
NQ = "NQZ2026"


def ticks(price: str, contract_id: str = NQ) -> int:
    root = contract_id[:-5]
    return INSTRUMENTS[root].ticks_from_price(price)


def trade(price: str, at: int = 1, contract_id: str = NQ) -> Trade:
    """A print `at` seconds after the trade opened."""
    ts = OPENED_NS + at * 1_000_000_000
    return Trade(contract_id, ts, ts, ticks(price, contract_id), 1, Aggressor.BUY)


def quote(bid: str, ask: str, at: int = 1, contract_id: str = NQ) -> Quote:
    ts = OPENED_NS + at * 1_000_000_000
    return Quote(contract_id, ts, ts, ticks(bid, contract_id), ticks(ask, contract_id), 5, 5)


def spec(
    direction: Direction,
    entry: str,
    stop: str,
    contract_id: str = NQ,
    trade_id: str = "t1",
    target_r: Fraction | None = None,
    target_price: str | None = None,
) -> TradeSpec:
    return TradeSpec(
        trade_id=trade_id,
        contract_id=contract_id,
        direction=direction,
        quantity=1,
        entry=ticks(entry, contract_id),
        stop=ticks(stop, contract_id),
        opened_ns=OPENED_NS,
        target_r=target_r,
        target_price=None if target_price is None else ticks(target_price, contract_id),
    )


def tracker(
    direction: Direction,
    entry: str,
    stop: str,
    settings: ExcursionSettings | None = None,
    **kwargs: object,
) -> ExcursionTracker:
    return ExcursionTracker(spec(direction, entry, stop, **kwargs), settings or ExcursionSettings())  # type: ignore[arg-type]


def feed(t: ExcursionTracker, *prices: str, contract_id: str = NQ) -> list[tuple[str, Fraction]]:
    """Feed last-trade prices one second apart; return (kind, r) of every event."""
    out = []
    for i, price in enumerate(prices, start=1):
        out.extend((e.kind.value, e.r) for e in t.on_tick(trade(price, i, contract_id)))
    return out
