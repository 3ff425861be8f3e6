"""Backfill from 1-second bars: the synthetic trades restore every second's OHLCV exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core_server.feeds.projectx.bars import Bar, SecondTally, tally_by_second, trades_from_bars
from core_server.model.clock import NS_PER_MS, NS_PER_SECOND
from core_server.model.market_data import Aggressor, Trade

BASE = 1_795_000_000 * NS_PER_SECOND + 250 * NS_PER_MS
CID = "NQZ2026"


def _trades(steps: list[tuple[int, int, int]]) -> list[Trade]:
    trades, ts, price = [], BASE, 84_000
    for gap_ms, move, size in steps:
        ts += gap_ms * NS_PER_MS + (gap_ms and 137)  # odd nanoseconds, and some equal stamps
        price += move
        trades.append(Trade(CID, ts, ts, price, size, Aggressor.BUY))
    return trades


def _bars(trades: list[Trade]) -> list[Bar]:
    return [Bar(s, t.first, t.high, t.low, t.last, t.volume) for s, t in sorted(tally_by_second(trades).items())]


def _last_second(trades: list[Trade]) -> SecondTally | None:
    if not trades:
        return None
    return tally_by_second(trades)[max(tally_by_second(trades))]


steps = st.lists(
    st.tuples(st.integers(0, 1400), st.integers(-3, 3), st.integers(1, 5)),
    min_size=2,
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(steps=steps, cut=st.data())
def test_delivered_plus_synthetic_plus_held_trades_rebuild_every_bar_exactly(
    steps: list[tuple[int, int, int]], cut: st.DataObject
) -> None:
    trades = _trades(steps)
    n = len(trades)
    last_delivered = cut.draw(st.integers(-1, n - 1), label="last delivered")
    first_held = cut.draw(st.integers(last_delivered + 1, n), label="first held")
    delivered, held = trades[: last_delivered + 1], trades[first_held:]
    after_ns = delivered[-1].ts_event if delivered else BASE - 5 * NS_PER_SECOND
    if delivered and first_held < n and last_delivered + 1 < n:  # a quote may have come after the last trade
        room = trades[last_delivered + 1].ts_event - after_ns
        after_ns += cut.draw(st.integers(0, max(0, room - 1)), label="quote after")
    before_ns = held[0].ts_event if held else None
    last_held_second = None if before_ns is None else before_ns - before_ns % NS_PER_SECOND
    held_tally = tally_by_second([t for t in held if t.ts_event - t.ts_event % NS_PER_SECOND == last_held_second])

    fill = trades_from_bars(
        CID,
        _bars(trades),
        after_ns=after_ns,
        before_ns=before_ns,
        delivered=_last_second(delivered),
        held=held_tally,
        ts_init=0,
    )

    assert fill.consistent, fill.problems
    rebuilt = delivered + fill.trades + held
    stamps = [t.ts_event for t in rebuilt]
    assert stamps == sorted(stamps)
    assert all(after_ns <= t.ts_event <= (before_ns or t.ts_event) for t in fill.trades)
    assert all(t.size > 0 for t in fill.trades)
    assert _bars(rebuilt) == _bars(trades)


def test_a_second_wholly_inside_the_gap_becomes_open_high_low_close() -> None:
    bar = Bar(BASE - BASE % NS_PER_SECOND + NS_PER_SECOND, 10, 14, 8, 11, 9)
    fill = trades_from_bars(CID, [bar], after_ns=BASE, before_ns=None, delivered=None, held={}, ts_init=7)
    assert [(t.price, t.size) for t in fill.trades] == [(10, 6), (14, 1), (8, 1), (11, 1)]
    assert fill.trades[0].ts_event == bar.start_ns and fill.consistent


def test_a_flat_second_becomes_one_trade_with_the_whole_volume() -> None:
    bar = Bar(BASE - BASE % NS_PER_SECOND + NS_PER_SECOND, 10, 10, 10, 10, 4)
    fill = trades_from_bars(CID, [bar], after_ns=BASE, before_ns=None, delivered=None, held={}, ts_init=7)
    assert [(t.price, t.size) for t in fill.trades] == [(10, 4)]


def test_a_bar_lower_than_a_price_seen_live_makes_the_fill_inconsistent() -> None:
    second = BASE - BASE % NS_PER_SECOND
    seen = SecondTally(second, 10, 12, 15, 10, 3)
    bar = Bar(second, 10, 14, 9, 11, 6)
    fill = trades_from_bars(CID, [bar], after_ns=BASE, before_ns=None, delivered=seen, held={}, ts_init=0)
    assert not fill.consistent and "contradicts" in fill.problems[0]


def test_a_missing_bar_for_a_second_with_live_trades_makes_the_fill_inconsistent() -> None:
    second = BASE - BASE % NS_PER_SECOND
    seen = SecondTally(second, 10, 12, 12, 10, 3)
    fill = trades_from_bars(CID, [], after_ns=BASE, before_ns=None, delivered=seen, held={}, ts_init=0)
    assert not fill.consistent and fill.trades == []


def test_volume_too_small_for_the_prices_is_reported_but_prices_stay_exact() -> None:
    bar = Bar(BASE - BASE % NS_PER_SECOND + NS_PER_SECOND, 10, 14, 8, 11, 2)
    fill = trades_from_bars(CID, [bar], after_ns=BASE, before_ns=None, delivered=None, held={}, ts_init=0)
    assert [t.price for t in fill.trades] == [10, 14, 8, 11]
    assert sum(t.size for t in fill.trades) == 2 and not fill.consistent


def test_a_second_that_closes_at_its_high_after_a_new_low_needs_no_third_print() -> None:
    # Found by the property above (a clean-clone run): 9 contracts delivered at 10, then the gap held 9 and 11, the
    # second's low and its high, which is also its close. Two prints rebuild it; the high went first, which left
    # the close needing a third print and 2 contracts for 3 prices.
    second = BASE - BASE % NS_PER_SECOND
    seen = SecondTally(second, 10, 10, 10, 10, 9)
    bar = Bar(second, 10, 11, 9, 11, 11)
    fill = trades_from_bars(CID, [bar], after_ns=BASE, before_ns=None, delivered=seen, held={}, ts_init=0)
    assert fill.consistent, fill.problems
    assert [(t.price, t.size) for t in fill.trades] == [(9, 1), (11, 1)]


def test_bars_outside_the_gap_are_ignored() -> None:
    start = BASE - BASE % NS_PER_SECOND
    bars = [Bar(start - NS_PER_SECOND, 1, 1, 1, 1, 1), Bar(start + 5 * NS_PER_SECOND, 2, 2, 2, 2, 1)]
    fill = trades_from_bars(
        CID, bars, after_ns=BASE, before_ns=start + 2 * NS_PER_SECOND, delivered=None, held={}, ts_init=0
    )
    assert fill.trades == [] and fill.consistent
