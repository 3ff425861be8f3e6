"""Gap backfill from 1-second bars: synthetic trades that make every candle equal an unbroken stream.

ProjectX history is bars, not prints. For a gap (L, F) - L the newest tick delivered before the
drop, F the first live tick after the resubscribe - we fetch the 1-second bars of the seconds
sec(L)..sec(F) and turn each into trades that, together with what was delivered live in that second,
reproduce the bar's open, high, low, close and volume:

* A second wholly inside the gap: trades at open, high, low, close (duplicates merged; open first,
  close last) whose sizes sum to the bar's volume.
* The drop second sec(L): its open and some trades were delivered. Missing are only trades after L,
  so we add the bar's high/low if they exceed what was seen, then the close last, carrying the
  residual volume (bar volume - volume seen in that second).
* The resume second sec(F): the live trades from F on are held back. Missing are only trades before
  F, so we add the bar's open first, then any high/low not reached by the held trades; the held
  trades supply the close. Volume is again the residual.
* Both edges in one second: only the middle is missing (high, low and residual volume at a neutral
  price already seen in that second).

Every 1m and longer candle is a union of whole seconds, so its OHLCV is then exactly that of an
uninterrupted run (tick counts are not: bars do not say how many prints they hold). Synthetic trades
are stamped inside (L, F) within their own second, so they never move into another bucket.
A bar that contradicts what was seen live (lower high, residual volume < 0, missing edge bar) makes
the fill inconsistent: its trades are still delivered (they are the best estimate) but the gap is
reported unfilled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from core_server.model.clock import NS_PER_SECOND
from core_server.model.market_data import Aggressor, Trade


class Bar(NamedTuple):
    """One history bar in whole ticks; `start_ns` is the start of its (1-second) interval."""

    start_ns: int
    open: int
    high: int
    low: int
    close: int
    volume: int


@dataclass(slots=True)
class SecondTally:
    """What was delivered of one contract's trades within one second."""

    second_ns: int
    first: int
    last: int
    high: int
    low: int
    volume: int

    @classmethod
    def of(cls, trade: Trade) -> SecondTally:
        price = trade.price
        return cls(trade.ts_event - trade.ts_event % NS_PER_SECOND, price, price, price, price, trade.size)

    def add(self, price: int, size: int) -> None:
        self.last = price
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.volume += size


def tally_by_second(trades: Iterable[Trade]) -> dict[int, SecondTally]:
    """Per-second tallies of trades given in time order."""
    tallies: dict[int, SecondTally] = {}
    for trade in trades:
        second = trade.ts_event - trade.ts_event % NS_PER_SECOND
        tally = tallies.get(second)
        if tally is None:
            tallies[second] = SecondTally.of(trade)
        else:
            tally.add(trade.price, trade.size)
    return tallies


@dataclass(frozen=True, slots=True)
class BarFill:
    trades: list[Trade]
    consistent: bool
    problems: tuple[str, ...] = ()


def trades_from_bars(
    contract_id: str,
    bars: Sequence[Bar],
    *,
    after_ns: int,
    before_ns: int | None,
    delivered: SecondTally | None,
    held: Mapping[int, SecondTally],
    ts_init: int,
) -> BarFill:
    """Synthetic trades for the gap (after_ns, before_ns); bars outside sec(after)..sec(before) are ignored.

    `after_ns` is L (the newest delivered tick, any kind); `before_ns` is F (the first held live
    tick) or None when no live tick came (the gap then runs to the end of the last bar).
    `delivered` tallies the trades delivered in the newest second that had any; `held` tallies the
    held live trades by second.
    """
    first_second = after_ns - after_ns % NS_PER_SECOND
    last_second = None if before_ns is None else before_ns - before_ns % NS_PER_SECOND
    by_second = {bar.start_ns: bar for bar in bars}
    problems: list[str] = []
    edge_seconds = {first_second} if last_second is None else {first_second, last_second}
    for second in edge_seconds:
        seen = (delivered is not None and delivered.second_ns == second) or (second in held and second == last_second)
        if seen and second not in by_second:
            problems.append(f"no bar for second {second} in which trades were seen")
    trades: list[Trade] = []
    for second in sorted(by_second):
        if second < first_second or (last_second is not None and second > last_second):
            continue
        bar = by_second[second]
        before = delivered if delivered is not None and delivered.second_ns == second else None
        after = held.get(second) if second == last_second else None
        trades.extend(_fill_second(contract_id, bar, before, after, after_ns, before_ns, ts_init, problems))
    return BarFill(trades, not problems, tuple(problems))


def _fill_second(
    contract_id: str,
    bar: Bar,
    before: SecondTally | None,
    after: SecondTally | None,
    after_ns: int,
    before_ns: int | None,
    ts_init: int,
    problems: list[str],
) -> list[Trade]:
    second = bar.start_ns
    seen = [t for t in (before, after) if t is not None]
    residual = bar.volume - sum(t.volume for t in seen)
    seen_high = max((t.high for t in seen), default=None)
    seen_low = min((t.low for t in seen), default=None)
    if (
        residual < 0
        or (seen_high is not None and seen_high > bar.high)
        or (seen_low is not None and seen_low < bar.low)
    ):
        problems.append(f"bar at {second} contradicts the {sum(t.volume for t in seen)} contracts seen live")
    missing = residual > 0 or not seen
    points: list[int] = []
    if before is None and missing:
        points.append(bar.open)  # the second's first print lies in the gap
    extremes = [
        price
        for price, unseen in (
            (bar.high, seen_high is None or bar.high > seen_high),
            (bar.low, seen_low is None or bar.low < seen_low),
        )
        if unseen
    ]
    if after is None and len(extremes) == 2 and extremes[0] == bar.close:
        extremes.reverse()  # the extreme the second closes at comes last, where one print is both
    points.extend(extremes)
    if after is None and (missing or (before is not None and before.last != bar.close)):
        points.append(bar.close)  # the second's last print lies in the gap
    if before is not None and before.first != bar.open:
        problems.append(f"bar at {second} opens at {bar.open}, the first live print was {before.first}")
    if after is not None and after.last != bar.close:
        problems.append(f"bar at {second} closes at {bar.close}, the last live print was {after.last}")
    if after is not None and before is None and not missing and after.first != bar.open:
        problems.append(f"bar at {second} opens at {bar.open}, the first live print was {after.first}")
    points = _merge(points, keep_last=after is None)
    if not points and residual > 0 and seen:
        points = [seen[0].last if before is not None else seen[0].first]  # a price that moves no extreme
    if not points:
        return []
    sizes = _sizes(max(residual, 0), len(points))
    if sizes[-1] == 0:
        problems.append(f"bar at {second} has volume {bar.volume}, too little for its prices")
    lo = max(second, after_ns)
    hi = second + NS_PER_SECOND - 1
    if before_ns is not None:
        hi = min(hi, before_ns)
    first_ts = second if second > after_ns else after_ns + 1
    return [
        Trade(contract_id, max(lo, min(first_ts + i, hi)), ts_init, price, size, Aggressor.NONE)
        for i, (price, size) in enumerate(zip(points, sizes, strict=True))
    ]


def _merge(points: list[int], keep_last: bool) -> list[int]:
    """Drop prices already realised by a neighbour; the first point stays first and, if it is the
    close, the last stays last."""
    merged: list[int] = []
    for i, price in enumerate(points):
        is_last = i == len(points) - 1
        if price in merged and not (keep_last and is_last and merged[-1] != price):
            continue
        merged.append(price)
    return merged


def _sizes(volume: int, count: int) -> list[int]:
    """`count` sizes summing to `volume`, each at least 1 when the volume allows."""
    if volume >= count:
        return [volume - (count - 1)] + [1] * (count - 1)
    return [1] * volume + [0] * (count - volume)
