"""Excursion analytics on hand-computed trades: R left on the table, scratches, MFE on losers, MAE on winners."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from core_server.excursions.analytics import (
    excursion_stats,
    is_break_even_scratch,
    left_on_table_points,
    left_on_table_r,
    mae_on_winners,
    mfe_on_losers,
)
from core_server.excursions.model import Direction, ExcursionSnapshot
from core_server.excursions.settings import ExcursionSettings
from tests.unit.excursions.excursion_kit import feed, ticks, tracker

LONG, SHORT = Direction.LONG, Direction.SHORT


def scratch() -> ExcursionSnapshot:  # +1R then back to entry: 0R
    t = tracker(LONG, "25000.00", "24975.00", trade_id="scratch")
    feed(t, "25025.00", "25000.00")
    return t.snapshot()


def loser() -> ExcursionSnapshot:  # +0.4R, then -0.6R, then stopped at -1R
    t = tracker(LONG, "25000.00", "24975.00", trade_id="loser")
    feed(t, "25010.00", "24985.00", "24975.00")
    return t.snapshot()


def winner() -> ExcursionSnapshot:  # -0.4R heat, then the 2R target
    t = tracker(SHORT, "25000.00", "25025.00", trade_id="winner", target_r=Fraction(2))
    feed(t, "25010.00", "24950.00")
    return t.snapshot()


def offset_scratch() -> ExcursionSnapshot:  # +1.5R, then the +2-tick break-even stop: +0.02R
    t = tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_offset_ticks=2), trade_id="offset")
    feed(t, "25037.50", "25000.50")
    return t.snapshot()


def below_entry_break_even() -> ExcursionSnapshot:  # ES: 1R = 3 ticks, break-even stop 2 ticks below entry
    settings = ExcursionSettings(break_even_offset_ticks=-2)
    t = tracker(LONG, "6000.00", "5999.25", settings, contract_id="ESZ2026", trade_id="below")
    feed(t, "6001.00", "5999.50", contract_id="ESZ2026")  # +4/3R, then the break-even stop: -2/3R
    return t.snapshot()


def still_open() -> ExcursionSnapshot:
    t = tracker(LONG, "25000.00", "24975.00", trade_id="open")
    feed(t, "25050.00")
    return t.snapshot()


def test_money_left_on_the_table_is_mfe_minus_the_realised_r() -> None:
    assert left_on_table_r(scratch()) == 1
    assert left_on_table_r(loser()) == Fraction(7, 5)
    assert left_on_table_r(winner()) == 0
    assert left_on_table_r(offset_scratch()) == Fraction(37, 25)  # 1.5 - 0.02
    assert left_on_table_points(offset_scratch()) == Decimal("37.00")


def test_left_on_the_table_needs_an_ended_trade() -> None:
    with pytest.raises(ValueError):
        left_on_table_r(still_open())


def test_a_break_even_scratch_is_exactly_0r_after_at_least_1r() -> None:
    assert is_break_even_scratch(scratch())
    assert below_entry_break_even().result_r == Fraction(-2, 3)
    assert not is_break_even_scratch(below_entry_break_even())  # a break-even exit, but a -2/3R loss
    assert not is_break_even_scratch(offset_scratch())  # a break-even exit, but a +0.02R win
    assert not is_break_even_scratch(loser())
    assert not is_break_even_scratch(winner())
    assert not is_break_even_scratch(still_open())
    assert not is_break_even_scratch(scratch(), min_mfe_r=Fraction(3, 2))


def test_manual_close_at_entry_after_1r_is_a_scratch() -> None:
    t = tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_enabled=False))
    feed(t, "25030.00")
    t.close(ticks("25000.00"), 5)
    assert is_break_even_scratch(t.snapshot())


def test_manual_close_at_entry_without_1r_is_not_a_scratch() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "25020.00")
    t.close(ticks("25000.00"), 5)
    assert t.snapshot().result_r == 0
    assert not is_break_even_scratch(t.snapshot())


def test_mfe_on_losers_and_mae_on_winners() -> None:
    results = [scratch(), loser(), winner(), offset_scratch(), still_open()]
    assert mfe_on_losers(results) == (Fraction(2, 5),)
    assert mae_on_winners(results) == (Fraction(-2, 5), 0)  # the winner's heat; the offset scratch took none


def test_stats_total_and_average_exactly_over_ended_trades() -> None:
    stats = excursion_stats([scratch(), loser(), winner(), offset_scratch(), still_open()])
    assert stats.trades == 4
    assert stats.total_result_r == Fraction(-1) + 2 + Fraction(1, 50)
    assert stats.total_mfe_r == 1 + Fraction(2, 5) + 2 + Fraction(3, 2)
    assert stats.total_left_on_table_r == 1 + Fraction(7, 5) + 0 + Fraction(37, 25)
    assert stats.mean_left_on_table_r == (1 + Fraction(7, 5) + Fraction(37, 25)) / 4
    assert (stats.break_even_scratches, stats.losers, stats.winners) == (1, 1, 2)
    assert stats.mean_mfe_on_losers_r == Fraction(2, 5)
    assert stats.mean_mae_on_winners_r == Fraction(-1, 5)


def test_stats_of_nothing_have_no_means() -> None:
    stats = excursion_stats([still_open()])
    assert (stats.trades, stats.mean_left_on_table_r, stats.mean_mfe_on_losers_r) == (0, None, None)
