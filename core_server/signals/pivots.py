"""Pivot stops: the extreme 3-candle pivot between the signal and confirmation candles, plus a buffer.

How "between the signal candle and the confirmation candle" is read:
- The range is c0..ck: the closed candles of the signal timeframe from the signal candle c0 up to and
  including the confirmation candle ck (k >= 1), as they exist. A bucket without trades has no candle and a
  halt is no gap: neighbours are the adjacent candles in this sequence, as on a chart.
- Pivot candidates are c0..c(k-1), i.e. up to but not including the confirmation candle, whose right
  neighbour (the entry candle) has not closed when the stop is set. Candidate c(i) has the left neighbour
  c(i-1), or for c0 the closed candle before the signal candle (c0 is no candidate when none is known),
  and the right neighbour c(i+1), for the last candidate the confirmation candle itself.
- A pivot low is strictly below both neighbours' lows (an equal low on either side is no pivot); a pivot
  high is strictly above both neighbours' highs.
- Bullish stop = the lowest pivot low - buffer; when several pivots share that low, the earliest is the one
  reported. With no pivot low, the fallback is the lowest low of c0..ck (confirmation candle included)
  - buffer. Bearish mirrored: the highest pivot high + buffer, else the highest high of c0..ck + buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core_server.model.instruments import InstrumentSpec
from core_server.model.market_data import Candle
from core_server.signals.details import exchange_text, points_text
from core_server.signals.model import SignalDirection
from core_server.signals.settings import InstrumentRules


@dataclass(frozen=True, slots=True)
class StopChoice:
    """The stop and what it came from: a pivot (with its candle) or the fallback extreme of the range."""

    stop: int
    extreme: int  # the pivot low/high, or the range's lowest low/highest high
    pivot_candle_start_ns: int | None  # None when the fallback was used

    @property
    def from_fallback(self) -> bool:
        return self.pivot_candle_start_ns is None


def _depth(direction: SignalDirection, candle: Candle) -> int:
    """How far the candle reaches against the trade, as a number where smaller is further: low, or -high."""
    return candle.low if direction is SignalDirection.BULLISH else -candle.high


def find_pivot(direction: SignalDirection, before: Candle | None, candles: Sequence[Candle]) -> Candle | None:
    """The extreme pivot low (bullish) or high (bearish) among candles[:-1], earliest on ties; see the module note."""
    best: Candle | None = None
    best_depth = 0
    for i in range(len(candles) - 1):
        left = candles[i - 1] if i > 0 else before
        if left is None:
            continue
        depth = _depth(direction, candles[i])
        if (
            depth < _depth(direction, left)
            and depth < _depth(direction, candles[i + 1])
            and (best is None or depth < best_depth)
        ):
            best, best_depth = candles[i], depth
    return best


def choose_stop(
    direction: SignalDirection, before: Candle | None, candles: Sequence[Candle], buffer_ticks: int
) -> StopChoice:
    """The pivot stop for the range `candles` (signal candle first, confirmation candle last)."""
    if len(candles) < 2:
        raise ValueError("the range needs the signal candle and the confirmation candle")
    pivot = find_pivot(direction, before, candles)
    bullish = direction is SignalDirection.BULLISH
    if pivot is not None:
        extreme = pivot.low if bullish else pivot.high
        start: int | None = pivot.start_ns
    else:
        extreme = min(c.low for c in candles) if bullish else max(c.high for c in candles)
        start = None
    return StopChoice(extreme - buffer_ticks if bullish else extreme + buffer_ticks, extreme, start)


def stop_detail(rules: InstrumentRules, direction: SignalDirection, choice: StopChoice, range_size: int) -> str:
    """E.g. "pivot low 25310.00 (candle 2025-11-14 08:40:00 CT) - 25 = 25285.00"."""
    spec: InstrumentSpec = rules.spec
    bullish = direction is SignalDirection.BULLISH
    side, op = ("low", "-") if bullish else ("high", "+")
    arithmetic = f"{op} {points_text(rules.settings.pivot_buffer_points)} = {spec.format_ticks(choice.stop)}"
    if choice.pivot_candle_start_ns is not None:
        where = exchange_text(choice.pivot_candle_start_ns)
        return f"pivot {side} {spec.format_ticks(choice.extreme)} (candle {where}) {arithmetic}"
    extreme = "lowest low" if bullish else "highest high"
    return (
        f"no pivot {side} before the confirmation candle: {extreme} of {range_size} candles"
        f" {spec.format_ticks(choice.extreme)} {arithmetic}"
    )
