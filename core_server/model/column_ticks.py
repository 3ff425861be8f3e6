"""ColumnTicks: a batch of ticks held as numpy columns, read as a Sequence[Tick] that builds a Quote or Trade only
when one is indexed.

A backtest reads its ticks from the store as columns (storage.tick_read); the kernel's quiet fast path
(kernel.quiet) works on the columns of such a batch and builds only the few ticks it keeps (the last quote and
trade of a run), and the driver indexes only the ticks that go down the full chain. Built values are the same
Quote/Trade values (plain ints, the Aggressor enum) a list of ticks would hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np
import numpy.typing as npt

from core_server.model.market_data import Aggressor, Quote, Tick, Trade

I64 = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
_AGGRESSORS = tuple(Aggressor)


class ColumnTicks(Sequence[Tick]):
    """Ticks in event-time order. `contract` indexes `contract_ids`; `is_trade` tells a trade from a quote; quote
    fields are 0 on trades and trade fields (price, size, aggressor) 0 on quotes. `ts_init` None: the same as
    `ts`. The columns are read, never written; `memo` keeps what a reader derives from them (by the reader's key)."""

    __slots__ = (
        "aggressor",
        "ask",
        "ask_size",
        "bid",
        "bid_size",
        "contract",
        "contract_ids",
        "is_trade",
        "memo",
        "price",
        "size",
        "ts",
        "ts_init",
    )

    def __init__(
        self,
        contract_ids: tuple[str, ...],
        contract: I64,
        ts: I64,
        is_trade: Flags,
        bid: I64,
        ask: I64,
        bid_size: I64,
        ask_size: I64,
        price: I64,
        size: I64,
        aggressor: I64,
        ts_init: I64 | None = None,
    ) -> None:
        self.contract_ids = contract_ids
        self.contract, self.ts, self.is_trade = contract, ts, is_trade
        self.bid, self.ask, self.bid_size, self.ask_size = bid, ask, bid_size, ask_size
        self.price, self.size, self.aggressor = price, size, aggressor
        self.ts_init = ts_init
        self.memo: dict[object, object] = {}  # what readers derive from the columns, once per batch

    @classmethod
    def of(cls, ticks: Sequence[Tick], contract_ids: Sequence[str] = ()) -> ColumnTicks:
        """Quote/Trade values as columns (tests and tools; the store reads columns directly). `contract_ids`:
        the order of the contracts (those not named follow in order of appearance)."""
        ids = list(contract_ids)
        index = {c: at for at, c in enumerate(ids)}
        n = len(ticks)
        names = ("contract", "ts", "ts_init", "bid", "ask", "bid_size", "ask_size", "price", "size", "aggressor")
        cols = {name: np.zeros(n, dtype=np.int64) for name in names}
        is_trade = np.zeros(n, dtype=np.bool_)
        for i, tick in enumerate(ticks):
            at = index.get(tick.contract_id)
            if at is None:
                at = index[tick.contract_id] = len(ids)
                ids.append(tick.contract_id)
            cols["contract"][i], cols["ts"][i], cols["ts_init"][i] = at, tick.ts_event, tick.ts_init
            if type(tick) is Trade:
                is_trade[i] = True
                cols["price"][i], cols["size"][i], cols["aggressor"][i] = tick.price, tick.size, int(tick.aggressor)
            else:
                quote: Quote = tick  # type: ignore[assignment]
                cols["bid"][i], cols["ask"][i] = quote.bid, quote.ask
                cols["bid_size"][i], cols["ask_size"][i] = quote.bid_size, quote.ask_size
        c = cols
        return cls(tuple(ids), c["contract"], c["ts"], is_trade, c["bid"], c["ask"], c["bid_size"], c["ask_size"],
                   c["price"], c["size"], c["aggressor"], c["ts_init"])  # fmt: skip

    def __len__(self) -> int:
        return len(self.ts)

    @overload
    def __getitem__(self, index: int) -> Tick: ...

    @overload
    def __getitem__(self, index: slice) -> list[Tick]: ...

    def __getitem__(self, index: int | slice) -> Tick | list[Tick]:
        if isinstance(index, slice):
            return self.tolist()[index]
        n = len(self.ts)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("tick index out of range")
        name = self.contract_ids[self.contract.item(i)]
        ts = self.ts.item(i)
        init = ts if self.ts_init is None else self.ts_init.item(i)
        if self.is_trade.item(i):
            return Trade(name, ts, init, self.price.item(i), self.size.item(i), _AGGRESSORS[self.aggressor.item(i)])
        return Quote(name, ts, init, self.bid.item(i), self.ask.item(i), self.bid_size.item(i), self.ask_size.item(i))

    def __iter__(self) -> Iterator[Tick]:
        return iter(self.tolist())

    def tolist(self) -> list[Tick]:
        """Every tick built. By tuple.__new__ from plain lists (no per-tick call into Python code): about 40%
        cheaper than calling the NamedTuple classes."""
        n = len(self.ts)
        ids = self.contract_ids
        names = [ids[0]] * n if len(ids) == 1 else [ids[c] for c in self.contract.tolist()]
        ts = self.ts.tolist()
        init = ts if self.ts_init is None else self.ts_init.tolist()
        is_trade = self.is_trade.tolist()
        bid, ask, bid_size, ask_size = (
            self.bid.tolist(),
            self.ask.tolist(),
            self.bid_size.tolist(),
            self.ask_size.tolist(),
        )
        price, size = self.price.tolist(), self.size.tolist()
        aggressor = [_AGGRESSORS[a] for a in self.aggressor.tolist()]
        new = tuple.__new__
        return [
            new(Trade, (names[i], ts[i], init[i], price[i], size[i], aggressor[i]))
            if is_trade[i]
            else new(Quote, (names[i], ts[i], init[i], bid[i], ask[i], bid_size[i], ask_size[i]))
            for i in range(n)
        ]
