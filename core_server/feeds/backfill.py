"""Splice broker history into a live stream after a reconnect, without duplicates or holes.

After a reconnect an adapter subscribes live first (so nothing more is missed), holds the live ticks,
fetches history for [last tick before the drop, first live tick), and delivers history then live.
`TickSplicer` remembers what was delivered per contract so that history overlapping it is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core_server.model.market_data import Quote, Tick, Trade


def _identity(tick: Tick) -> tuple[object, ...]:
    """What makes two ticks the same print regardless of when Vigil received them."""
    if type(tick) is Trade:
        return (2, tick.price, tick.size, int(tick.aggressor))
    assert type(tick) is Quote
    return (1, tick.bid, tick.ask, tick.bid_size, tick.ask_size)


@dataclass(slots=True)
class _Watermark:
    ts_ns: int = -1
    at_ts: dict[tuple[object, ...], int] = field(default_factory=dict)  # identity -> count delivered at ts_ns


class TickSplicer:
    """Per-contract high-water marks of delivered ticks (by exchange time)."""

    def __init__(self) -> None:
        self._marks: dict[str, _Watermark] = {}

    def last_ts(self, contract_id: str) -> int:
        """Exchange time of the newest delivered tick, or -1."""
        mark = self._marks.get(contract_id)
        return mark.ts_ns if mark else -1

    def admit(self, ticks: Iterable[Tick]) -> list[Tick]:
        """The ticks not yet delivered, in order; records the admitted ones as delivered.

        A tick older than the contract's watermark was already delivered. At the watermark's own
        timestamp, identical prints are matched as a multiset: the k-th identical print in this call
        is new only if fewer than k were delivered before. So history then held live ticks (or the
        same batch twice) never deliver a print twice, and two genuine identical trades in the same
        nanosecond are both kept.
        """
        admitted: list[Tick] = []
        marks = self._marks
        in_call: dict[tuple[str, int, tuple[object, ...]], int] = {}
        for tick in ticks:
            mark = marks.get(tick.contract_id)
            if mark is None:
                mark = marks[tick.contract_id] = _Watermark()
            ts = tick.ts_event
            if ts < mark.ts_ns:
                continue
            if ts > mark.ts_ns:
                mark.ts_ns = ts
                mark.at_ts = {}
            key = _identity(tick)
            slot = (tick.contract_id, ts, key)
            nth = in_call[slot] = in_call.get(slot, 0) + 1
            if nth <= mark.at_ts.get(key, 0):
                continue
            mark.at_ts[key] = nth
            admitted.append(tick)
        return admitted

    def record_delivered(self, ticks: Sequence[Tick]) -> None:
        """Remember live ticks delivered directly (not through `admit`)."""
        for tick in ticks:
            mark = self._marks.get(tick.contract_id)
            if mark is None:
                mark = self._marks[tick.contract_id] = _Watermark()
            if tick.ts_event > mark.ts_ns:
                mark.ts_ns = tick.ts_event
                mark.at_ts = {}
            if tick.ts_event == mark.ts_ns:
                key = _identity(tick)
                mark.at_ts[key] = mark.at_ts.get(key, 0) + 1
