"""CandleAggregator: one contract's ticks into session-aligned OHLC candles for several timeframes.

Pure and synchronous. The hot path (a tick inside every current bucket) is two comparisons and a
min/max per timeframe on a __slots__ object; immutable Candle values are built only when a candle
closes or a snapshot is asked for.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from core_server.calendar.trading_day import trading_day_bounds
from core_server.candles.buckets import bucket_in_day, is_whole_day
from core_server.model.market_data import ALL_TIMEFRAMES, Candle, Timeframe

RECENT_CLOSED_PER_TIMEFRAME = 5  # closed candles kept so a late-reported feed gap can still mark them
RECENT_GAPS = 32  # gap ranges kept to mark buckets that open later

_NONE: tuple[Candle, ...] = ()  # shared result of the common case: nothing closed
_NEVER = -(1 << 62)  # bucket bounds before the first tick: every tick lands past the end


class _Bar:
    """The mutable state of one timeframe: its forming candle and the bound below which ticks are late.

    With no forming candle, start_ns == end_ns == the end of the last bucket, so the hot-path range
    test fails for every tick: earlier ones are late, later ones open a new bucket.
    """

    __slots__ = (
        "close",
        "complete",
        "duration_ns",
        "end_ns",
        "forming",
        "high",
        "low",
        "open",
        "recent_closed",
        "start_ns",
        "tick_count",
        "timeframe",
        "volume",
        "whole_day",
    )

    def __init__(self, timeframe: Timeframe) -> None:
        self.timeframe = timeframe
        self.duration_ns = timeframe.duration_ns
        self.whole_day = is_whole_day(timeframe)
        self.start_ns = _NEVER
        self.end_ns = _NEVER
        self.forming = False
        self.complete = False
        self.open = self.high = self.low = self.close = 0
        self.volume = 0
        self.tick_count = 0
        self.recent_closed: deque[Candle] = deque(maxlen=RECENT_CLOSED_PER_TIMEFRAME)

    def candle(self, contract_id: str, closed: bool) -> Candle:
        return Candle(
            contract_id,
            self.timeframe,
            self.start_ns,
            self.end_ns,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
            self.tick_count,
            closed,
            self.complete,
        )


class CandleAggregator:
    """Builds the candles of one contract for `timeframes` (kept in ascending duration order).

    `complete_from_ns`: the instant from which every tick is seen; a bucket starting before it is
    incomplete. Buckets with no ticks produce no candle.
    """

    def __init__(
        self,
        contract_id: str,
        timeframes: Sequence[Timeframe] = ALL_TIMEFRAMES,
        *,
        complete_from_ns: int,
    ) -> None:
        ordered = sorted(set(timeframes), key=lambda tf: tf.duration_ns)
        if not ordered:
            raise ValueError("at least one timeframe is required")
        self.contract_id = contract_id
        self.timeframes: tuple[Timeframe, ...] = tuple(ordered)
        self.complete_from_ns = complete_from_ns
        self.late_ticks = 0  # ticks older than the current bucket of at least one timeframe
        self._bars = tuple(_Bar(tf) for tf in ordered)
        self._by_tf = {bar.timeframe: bar for bar in self._bars}
        self._gaps: deque[tuple[int, int]] = deque(maxlen=RECENT_GAPS)
        self._day_start = _NEVER
        self._day_end = _NEVER

    def update(self, ts_ns: int, price: int, size: int) -> Sequence[Candle]:
        """Apply one price to every timeframe; return the candles this tick closed, shortest first."""
        closed: Sequence[Candle] = _NONE
        late = False
        for bar in self._bars:
            if ts_ns < bar.end_ns:
                if ts_ns >= bar.start_ns:
                    if price > bar.high:
                        bar.high = price
                    elif price < bar.low:
                        bar.low = price
                    bar.close = price
                    bar.volume += size
                    bar.tick_count += 1
                else:
                    late = True
            else:
                closed = self._open_bucket(bar, ts_ns, price, size, closed)
        if late:
            self.late_ticks += 1
        return closed

    def quiet_window(self) -> tuple[int, int]:
        """[from, to): the instants at which a tick falls inside every timeframe's forming bucket (no candle
        closes, opens or is late); empty when a timeframe has no forming candle."""
        bars = self._bars
        return max(bar.start_ns for bar in bars), min(bar.end_ns for bar in bars)

    def apply_run(self, high: int, low: int, close: int, volume: int, count: int) -> None:
        """Exactly what `update` does for `count` ticks inside `quiet_window()` whose prices span [low, high],
        end at `close` and whose sizes add up to `volume` (the kernel's quiet fast path)."""
        for bar in self._bars:
            if high > bar.high:
                bar.high = high
            if low < bar.low:
                bar.low = low
            bar.close = close
            bar.volume += volume
            bar.tick_count += count

    def close_due(self, now_ns: int) -> Sequence[Candle]:
        """Close every forming candle whose bucket ended at or before `now_ns` (the timer's job)."""
        closed: Sequence[Candle] = _NONE
        for bar in self._bars:
            if bar.forming and bar.end_ns <= now_ns:
                closed = self._close(bar, closed)
        return closed

    def forming(self) -> list[Candle]:
        """Snapshots of the forming candles, shortest timeframe first."""
        return [bar.candle(self.contract_id, False) for bar in self._bars if bar.forming]

    def forming_for(self, timeframe: Timeframe) -> Candle | None:
        bar = self._by_tf.get(timeframe)
        return bar.candle(self.contract_id, False) if bar is not None and bar.forming else None

    def forming_start(self, timeframe: Timeframe) -> int | None:
        """The start of the forming bucket of `timeframe` (None when none is forming): a cheap check for opens."""
        bar = self._by_tf.get(timeframe)
        return bar.start_ns if bar is not None and bar.forming else None

    def last_closed(self, timeframe: Timeframe) -> Candle | None:
        """The most recently closed candle of `timeframe` (with any gap marking applied since)."""
        bar = self._by_tf.get(timeframe)
        return bar.recent_closed[-1] if bar is not None and bar.recent_closed else None

    def mark_gap(self, start_ns: int, end_ns: int) -> list[Candle]:
        """Record a feed gap over [start, end): every candle overlapping it is incomplete.

        Forming candles are marked in place, candles that open later over the range come out
        incomplete, and the recently closed candles that change are returned for re-storing.
        Closed candles older than the last few per timeframe are the store's to mark by range.
        """
        if start_ns >= end_ns:
            return []
        self._gaps.append((start_ns, end_ns))
        changed: list[Candle] = []
        for bar in self._bars:
            if bar.forming and bar.start_ns < end_ns and start_ns < bar.end_ns:
                bar.complete = False
            recent = bar.recent_closed
            for i, candle in enumerate(recent):
                if candle.complete and candle.start_ns < end_ns and start_ns < candle.end_ns:
                    recent[i] = marked = candle._replace(complete=False)
                    changed.append(marked)
        return changed

    def cut_short(self, at_ns: int) -> None:
        """The feed ended at `at_ns` (STOPPED, or a replay that FINISHED): a forming candle whose bucket runs past
        it will never see the rest of its bucket from this feed, so it is incomplete. It stays forming: the
        timer closes it at its bucket end (incomplete), and at shutdown it is stored forming, so a restart
        continues that bucket rather than starting it afresh. A bucket that had ended by `at_ns` stays complete.
        """
        for bar in self._bars:
            if bar.forming and bar.end_ns > at_ns:
                bar.complete = False

    def seed(self, candle: Candle) -> bool:
        """Restore a forming candle (e.g. loaded from the store after a restart); True if taken.

        Taken only when it is this contract's, unclosed, exactly one of our buckets, and not behind
        the timeframe's current bucket. Into an empty timeframe it becomes the forming candle and
        later ticks merge into it; over a forming candle of the same bucket it is merged as the
        earlier part (its open and counts come first). The candle keeps its own `complete` flag
        (gaps still apply): the engine marks the hole between the store's last tick and
        `complete_from_ns` with mark_gap if it could not backfill it. Call close_due(now) after
        seeding to close a candle whose bucket has already ended.
        """
        bar = self._by_tf.get(candle.timeframe)
        if bar is None or candle.contract_id != self.contract_id or candle.closed or candle.tick_count <= 0:
            return False
        _, day_start, day_end = trading_day_bounds(candle.start_ns)
        bounds = bucket_in_day(bar.duration_ns, bar.whole_day, candle.start_ns, day_start, day_end)
        if bounds != (candle.start_ns, candle.end_ns):
            return False
        complete = candle.complete and not self._overlaps_gap(candle.start_ns, candle.end_ns)
        if bar.forming:
            if bar.start_ns != candle.start_ns:
                return False
            bar.open = candle.open
            bar.high = max(bar.high, candle.high)
            bar.low = min(bar.low, candle.low)
            bar.volume += candle.volume
            bar.tick_count += candle.tick_count
            bar.complete = bar.complete and complete
            return True
        if candle.end_ns <= bar.end_ns:
            return False  # that bucket is already behind us
        bar.start_ns, bar.end_ns = candle.start_ns, candle.end_ns
        bar.open, bar.high, bar.low, bar.close = candle.open, candle.high, candle.low, candle.close
        bar.volume = candle.volume
        bar.tick_count = candle.tick_count
        bar.complete = complete
        bar.forming = True
        return True

    def _open_bucket(self, bar: _Bar, ts_ns: int, price: int, size: int, closed: Sequence[Candle]) -> Sequence[Candle]:
        """The tick left the bar's bucket (or none was forming): close it and start the tick's bucket."""
        if bar.forming:
            closed = self._close(bar, closed)
        if not self._day_start <= ts_ns < self._day_end:
            self._enter_day(ts_ns)
        start, end = bucket_in_day(bar.duration_ns, bar.whole_day, ts_ns, self._day_start, self._day_end)
        bar.start_ns = start
        bar.end_ns = end
        bar.open = bar.high = bar.low = bar.close = price
        bar.volume = size
        bar.tick_count = 1
        bar.forming = True
        bar.complete = start >= self.complete_from_ns and not self._overlaps_gap(start, end)
        return closed

    def _close(self, bar: _Bar, closed: Sequence[Candle]) -> Sequence[Candle]:
        candle = bar.candle(self.contract_id, True)
        bar.recent_closed.append(candle)
        bar.forming = False
        bar.start_ns = bar.end_ns  # empty range: earlier ticks are late, later ones open a bucket
        if closed is _NONE:
            return [candle]
        assert isinstance(closed, list)
        closed.append(candle)
        return closed

    def _enter_day(self, ts_ns: int) -> None:
        _, self._day_start, self._day_end = trading_day_bounds(ts_ns)
        if self._gaps:
            # buckets tile time, so a bucket opened later starts at or after its bar's current end
            floor = min(bar.end_ns for bar in self._bars)
            kept = [gap for gap in self._gaps if gap[1] > floor]
            if len(kept) != len(self._gaps):
                self._gaps = deque(kept, maxlen=RECENT_GAPS)

    def _overlaps_gap(self, start_ns: int, end_ns: int) -> bool:
        return any(gap_start < end_ns and start_ns < gap_end for gap_start, gap_end in self._gaps)
