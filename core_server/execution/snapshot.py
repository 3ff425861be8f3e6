"""EngineSnapshot: all of the paper engine's mutable state as one comparable value."""

from __future__ import annotations

from dataclasses import dataclass

from core_server.execution.exchange import PaperExchange
from core_server.execution.model import Account, Order, OrderId, Position


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    orders: tuple[Order, ...]
    positions: tuple[Position, ...]
    accounts: tuple[Account, ...]
    books: tuple[tuple[str, tuple[OrderId, ...]], ...]
    arrivals: tuple[tuple[int, int, OrderId], ...]
    expiries: tuple[tuple[int, int, OrderId], ...]
    counters: tuple[int, ...]
    rng_state: tuple[object, object]


def snapshot_of(x: PaperExchange, order_seq: int) -> EngineSnapshot:
    return EngineSnapshot(
        orders=tuple(x.orders.values()),
        positions=x.positions.all(),
        accounts=x.accounts.all(),
        books=tuple((cid, book.resting_ids()) for cid, book in sorted(x.books.items())),
        arrivals=tuple(sorted(a for book in x.books.values() for a in book.arrivals)),
        expiries=tuple(sorted(x.expiries)),
        counters=(order_seq, x.seq, x.fill_seq),
        rng_state=x.fill_model.rng_state(),
    )
