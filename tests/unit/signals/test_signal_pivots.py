"""Pivot stops: strict 3-candle pivots between the signal and confirmation candles, or the range's extreme."""

from __future__ import annotations

from decimal import Decimal

from core_server.model.clock import NS_PER_MINUTE
from core_server.model.market_data import Candle
from core_server.signals.model import SignalDirection
from core_server.signals.pivots import StopChoice, choose_stop, find_pivot
from tests.kit.time import ct
from tests.unit.signals.signal_fakes import bar, px

BULLISH, BEARISH = SignalDirection.BULLISH, SignalDirection.BEARISH
BUFFER = px("25")
START = ct(2025, 11, 14, 8, 30)
FIVE_MINUTES = 5 * NS_PER_MINUTE


def lows(*values: str) -> list[Candle]:
    """5m candles from 08:30 CT with the given lows (highs 20 points above, so only lows matter)."""
    return [bar(START + i * FIVE_MINUTES, v, str(Decimal(v) + 20), v, v) for i, v in enumerate(values)]


def highs(*values: str) -> list[Candle]:
    """5m candles from 08:30 CT with the given highs (lows 20 points below)."""
    return [bar(START + i * FIVE_MINUTES, v, v, str(Decimal(v) - 20), v) for i, v in enumerate(values)]


def test_pivot_low_wins_over_a_lower_low_in_the_confirmation_candle() -> None:
    before, *rng = lows("25300.00", "25297.00", "25299.00", "25294.00")
    choice = choose_stop(BULLISH, before, rng, BUFFER)
    assert choice == StopChoice(px("25272.00"), px("25297.00"), rng[0].start_ns)
    assert not choice.from_fallback


def test_signal_candle_is_no_pivot_without_a_known_candle_before_it() -> None:
    _, *rng = lows("25300.00", "25297.00", "25299.00", "25294.00")
    choice = choose_stop(BULLISH, None, rng, BUFFER)
    assert choice == StopChoice(px("25269.00"), px("25294.00"), None)
    assert choice.from_fallback


def test_equal_neighbour_lows_make_no_pivot_so_the_fallback_is_used() -> None:
    # 25295.00 twice in a row: neither is strictly below both neighbours.
    before, *rng = lows("25300.00", "25298.00", "25295.00", "25295.00", "25296.00")
    assert find_pivot(BULLISH, before, rng) is None
    assert choose_stop(BULLISH, before, rng, BUFFER) == StopChoice(px("25270.00"), px("25295.00"), None)


def test_lowest_of_several_pivots_is_used_and_the_earliest_on_a_tie() -> None:
    before, *rng = lows("25300.00", "25290.00", "25295.00", "25290.00", "25296.00", "25292.00", "25299.00")
    # pivots: 25290.00 (08:35), 25290.00 (08:45), 25292.00 (08:55); the last candle (09:00) confirms
    assert find_pivot(BULLISH, before, rng) == rng[0]
    assert choose_stop(BULLISH, before, rng, BUFFER).stop == px("25265.00")


def test_a_low_whose_right_neighbour_is_the_confirmation_candle_can_be_the_pivot() -> None:
    before, *rng = lows("25300.00", "25299.00", "25301.00", "25295.00", "25298.00")
    # 08:35 is a pivot (25299 < 25300, < 25301); 08:45 at 25295 is lower and its right neighbour is the confirmation
    assert find_pivot(BULLISH, before, rng) == rng[2]


def test_bearish_uses_the_highest_pivot_high_plus_the_buffer() -> None:
    before, *rng = highs("25300.00", "25305.00", "25302.00", "25308.00")
    assert choose_stop(BEARISH, before, rng, BUFFER) == StopChoice(px("25330.00"), px("25305.00"), rng[0].start_ns)


def test_bearish_equal_highs_fall_back_to_the_highest_high_of_the_range() -> None:
    before, *rng = highs("25300.00", "25306.00", "25306.00", "25301.00")
    assert choose_stop(BEARISH, before, rng, BUFFER) == StopChoice(px("25331.00"), px("25306.00"), None)
