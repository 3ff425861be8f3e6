"""AnomalyFilter: holds a price that jumps too far from the last good one until later ticks confirm it.

A held tick stays out of candles and never triggers a stop. If `confirm_count` consecutive prices
(the first held one included) sit beyond the threshold from the last good price and within it of the
first held price, the jump is real: the held ticks are released in order and the new level is good.
A price back within the threshold of the last good price rejects the held ticks as anomalies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from core_server.model.instruments import InstrumentSpec

T = TypeVar("T")

_NONE: tuple[Any, ...] = ()  # shared result of the common path: nothing held back or rejected


def threshold_ticks_for(spec: InstrumentSpec) -> int:
    """The instrument's anomaly distance in whole ticks (NQ: 50 points = 200 ticks)."""
    return spec.points_to_ticks(spec.anomaly_points)


class AnomalyFilter(Generic[T]):
    """Filters one contract's price stream. A move of exactly `threshold_ticks` is not an anomaly."""

    __slots__ = (
        "_first_held",
        "_good",
        "_held",
        "_seen",
        "confirm_count",
        "confirmed_jumps",
        "rejected_total",
        "threshold_ticks",
    )

    def __init__(self, threshold_ticks: int, confirm_count: int = 3) -> None:
        if threshold_ticks < 1:
            raise ValueError("threshold_ticks must be at least 1")
        if confirm_count < 1:
            raise ValueError("confirm_count must be at least 1")
        self.threshold_ticks = threshold_ticks
        self.confirm_count = confirm_count
        self.rejected_total = 0
        self.confirmed_jumps = 0
        self._seen = False
        self._good = 0
        self._first_held = 0
        self._held: list[T] = []

    @property
    def held(self) -> int:
        """How many items are held back right now, awaiting confirmation or rejection."""
        return len(self._held)

    @property
    def last_good_price(self) -> int | None:
        return self._good if self._seen else None

    def push(self, item: T, price: int) -> tuple[Sequence[T], Sequence[T]]:
        """Offer one item at `price`; returns (items released in order, items rejected as anomalies)."""
        threshold = self.threshold_ticks
        if not self._held:
            if -threshold <= price - self._good <= threshold or not self._seen:
                self._good = price
                self._seen = True
                return (item,), _NONE
            self._first_held = price
            self._held.append(item)
            return self._confirm_if_due(price)
        if -threshold <= price - self._good <= threshold:
            rejected = self._held
            self._held = []
            self.rejected_total += len(rejected)
            self._good = price
            return (item,), rejected
        if -threshold <= price - self._first_held <= threshold:
            self._held.append(item)
            return self._confirm_if_due(price)
        # beyond both levels: the held jump was not confirmed; this price becomes the new candidate
        rejected = self._held
        self._held = [item]
        self.rejected_total += len(rejected)
        self._first_held = price
        released, _ = self._confirm_if_due(price)
        return released, rejected

    def _confirm_if_due(self, price: int) -> tuple[Sequence[T], Sequence[T]]:
        if len(self._held) < self.confirm_count:
            return _NONE, _NONE
        released = self._held
        self._held = []
        self._good = price
        self.confirmed_jumps += 1
        return released, _NONE

    # -- bulk use (tick import): exact shortcuts for runs the caller has checked with numpy -----------------

    def accept_run(self, last_price: int) -> None:
        """Equivalent to pushing a run of prices while nothing is held, each within the threshold of the one
        before it and the first within it of the last good price (or the very first price seen): all are
        released and the last becomes the good price. The caller checks those conditions."""
        if self._held:
            raise ValueError("accept_run needs an empty hold")
        self._good = last_price
        self._seen = True

    def quiet_good(self) -> int | None:
        """The last good price while nothing is held (a tick within the threshold of it is simply released), else
        None (the kernel's quiet fast path then runs every tick through `push`)."""
        return self._good if self._seen and not self._held else None

    def drop_held(self) -> int:
        """Forget the held items (they will be pushed again, in order); the last good price stays."""
        count = len(self._held)
        self._held = []
        return count

    def restore(self, good_price: int | None) -> None:
        """Start from a saved last good price (None: nothing seen yet), nothing held."""
        self._held = []
        self._seen = good_price is not None
        self._good = good_price or 0
