"""What the kernel's quiet fast path (kernel.quiet) derives from a columnar batch of ticks, once per batch.

Most conditions of a quiet run do not depend on where the run starts: the price chain of the anomaly filter (each
price within the threshold of the one before), the contract, the kind of tick. For each the batch keeps, per index,
the next index where it breaks (`next_*`, length n + 1 so that n itself can be asked), so a run's end is a few
lookups; only the prices against the resting orders' band are compared tick by tick. Prefix sums and last-seen
indices give the run's effect (volume, trade count, last trade and quote) without a loop.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from core_server.model.column_ticks import ColumnTicks

I64 = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
FAR = 1 << 62  # beyond every price: a band edge that stops nothing


def next_true(flags: Flags) -> I64:
    """For each index k in [0, n]: the smallest index >= k whose flag is set (n when none)."""
    at, n = np.flatnonzero(flags), len(flags)
    return np.repeat(np.append(at, n), np.diff(at, prepend=-1, append=n))


def last_true(flags: Flags) -> I64:
    """For each index k in [0, n): the largest index <= k whose flag is set (-1 when none)."""
    at, n = np.flatnonzero(flags), len(flags)
    return np.repeat(np.insert(at, 0, -1), np.diff(at, prepend=0, append=n))


def prefix_sum(values: npt.NDArray[np.generic]) -> I64:
    """Sums of values[:k] for k in [0, n]."""
    out = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=out[1:])
    return out


class QuietColumns:
    """One batch's derived arrays for a quote price mode and an anomaly threshold (those only some runs need:
    computed when first asked for)."""

    __slots__ = (
        "_band",
        "_batch",
        "_next_change",
        "_next_quote",
        "last_quote",
        "last_trade",
        "next_jump",
        "next_trade",
        "ordered",
        "prices",
        "trades",
        "volume",
    )

    def __init__(self, batch: ColumnTicks, mode: str, threshold: int) -> None:
        self._batch = batch
        is_trade, ts, n = batch.is_trade, batch.ts, len(batch)
        self.ordered = bool(n < 2 or (ts[1:] >= ts[:-1]).all())
        bid, ask = batch.bid, batch.ask
        quote = bid if mode == "bid" else ask if mode == "ask" else (bid + ask) // 2  # kernel.market.quote_price
        self.prices: I64 = np.where(is_trade, batch.price, quote)
        jump = np.zeros(n, dtype=np.bool_)
        np.greater(np.abs(np.diff(self.prices)), threshold, out=jump[1:])
        self.next_jump = next_true(jump)  # a price beyond the threshold of the one before
        self.next_trade = next_true(is_trade)
        self.last_trade = last_true(is_trade)
        self.last_quote = last_true(~is_trade)
        self.trades = prefix_sum(is_trade)
        self.volume = prefix_sum(np.where(is_trade, batch.size, 0))
        self._next_change: I64 | None = None
        self._next_quote: I64 | None = None
        self._band: tuple[I64, I64] | None = None

    @staticmethod
    def of(batch: ColumnTicks, mode: str, threshold: int) -> QuietColumns:
        key = ("quiet", mode, threshold)
        derived = batch.memo.get(key)
        if derived is None:
            derived = batch.memo[key] = QuietColumns(batch, mode, threshold)
        return derived  # type: ignore[return-value]

    def next_change(self) -> I64:
        """The next index >= k where the contract differs from the tick before."""
        if self._next_change is None:
            contract = self._batch.contract
            change = np.zeros(len(contract), dtype=np.bool_)
            np.not_equal(contract[1:], contract[:-1], out=change[1:])
            self._next_change = next_true(change)
        return self._next_change

    def next_quote(self) -> I64:
        if self._next_quote is None:
            self._next_quote = next_true(~self._batch.is_trade)
        return self._next_quote

    def band(self) -> tuple[I64, I64]:
        """(low, high): a quote's bid and ask, a trade's price in both (what the exchange's quiet band reads)."""
        if self._band is None:
            b = self._batch
            self._band = np.where(b.is_trade, b.price, b.bid), np.where(b.is_trade, b.price, b.ask)
        return self._band
