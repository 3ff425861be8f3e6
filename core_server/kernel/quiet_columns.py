"""What the kernel's quiet fast path (kernel.quiet) derives from a columnar batch of ticks, once per batch.

Most conditions of a quiet run do not depend on where the run starts: the price chain of the anomaly filter (each
price within the threshold of the one before), the contract, the kind of tick. For each the batch keeps, per index,
the next index where it breaks (`next_*`, length n + 1 so that n itself can be asked), so a run's end is a few
lookups; only the prices against the resting orders' band are compared tick by tick. The next or last trade or
quote from an index is found by looking (ticks alternate: one or two steps), and a prefix sum gives a run's volume.
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


def first_at(flags: Flags, start: int, stop: int, value: bool) -> int:
    """The first index in [start, stop) whose flag is `value` (stop when none): the first few one by one (ticks
    alternate, so usually the first or second), then with numpy."""
    k, near = start, min(stop, start + 8)
    while k < near:
        if flags.item(k) == value:
            return k
        k += 1
    if k >= stop:
        return stop
    rest = flags[k:stop]
    at = int(rest.argmax() if value else rest.argmin())
    return k + at if rest.item(at) == value else stop


def last_at(flags: Flags, start: int, stop: int, value: bool) -> int:
    """The last index in [start, stop) whose flag is `value` (-1 when none), the same way from the end."""
    k, near = stop - 1, max(start, stop - 8)
    while k >= near:
        if flags.item(k) == value:
            return k
        k -= 1
    if k < start:
        return -1
    rest = flags[start : k + 1][::-1]
    at = int(rest.argmax() if value else rest.argmin())
    return k - at if rest.item(at) == value else -1


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
        "next_jump",
        "ordered",
        "prices",
        "trade_high",
        "trade_low",
        "volume",
    )

    def __init__(self, batch: ColumnTicks, mode: str, threshold: int) -> None:
        self._batch = batch
        is_trade, ts, n = batch.is_trade, batch.ts, len(batch)
        self.ordered = bool(n < 2 or (ts[1:] >= ts[:-1]).all())
        bid, ask = batch.bid, batch.ask
        quote = (
            bid if mode == "bid" else ask if mode == "ask" else (bid + ask) >> 1
        )  # floored: kernel.market.quote_price
        self.prices: I64 = np.where(is_trade, batch.price, quote)
        self.trade_low: I64 = np.where(is_trade, batch.price, FAR)  # a trade's price, beyond every one for a quote
        self.trade_high: I64 = np.where(is_trade, batch.price, -FAR)
        jump = np.zeros(n, dtype=np.bool_)
        np.greater(np.abs(np.diff(self.prices)), threshold, out=jump[1:])
        self.next_jump = next_true(jump)  # a price beyond the threshold of the one before
        self.volume = prefix_sum(np.where(is_trade, batch.size, 0))
        self._next_change: I64 | None = None
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

    def band(self) -> tuple[I64, I64]:
        """(low, high): a quote's bid and ask, a trade's price in both (what the exchange's quiet band reads)."""
        if self._band is None:
            b = self._batch
            self._band = np.where(b.is_trade, b.price, b.bid), np.where(b.is_trade, b.price, b.ask)
        return self._band
