"""SPEC §4 on gaps: MFE/MAE are the prices actually reached, exits carry the price that hit, results book the level."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core_server.excursions.model import Direction, ExcursionEventKind, TradeStatus
from core_server.excursions.settings import ExcursionSettings, PriceSource
from tests.unit.excursions.excursion_kit import feed, quote, ticks, tracker, trade

LONG, SHORT = Direction.LONG, Direction.SHORT
ES = "ESZ2026"
BID_ASK = ExcursionSettings(price_source=PriceSource.BID_ASK)
K = ExcursionEventKind


def test_an_es_short_whose_ask_gaps_two_ticks_through_its_stop_has_mae_minus_2r_and_books_minus_1r() -> None:
    # Short 6009.50, stop 6010.00: 1R = 2 ticks. The one ask at 6010.50 is 4 ticks against: -2R.
    t = tracker(SHORT, "6009.50", "6010.00", BID_ASK, contract_id=ES)

    events = t.on_tick(quote("6010.25", "6010.50", 1, ES))

    assert [(e.kind, e.price, e.r, e.stop) for e in events] == [
        (K.NEW_LOW, ticks("6010.50", ES), Fraction(-2), ticks("6010.00", ES)),
        (K.STOP_HIT, ticks("6010.50", ES), Fraction(-2), ticks("6010.00", ES)),
    ]
    s = t.snapshot()
    assert (s.status, s.mae_r, s.mae_ticks, s.mae_points) == (TradeStatus.STOPPED_OUT, -2, -4, Decimal("-1.00"))
    booked = (s.result_r, s.result_ticks, s.result_points, s.exit_price)
    assert booked == (-1, -2, Decimal("-0.50"), ticks("6010.00", ES))
    assert s.mae_ns == s.closed_ns == quote("6010.25", "6010.50", 1, ES).ts_event


def test_an_nq_long_printing_15_points_through_its_stop_shows_mae_minus_1_6r() -> None:
    t = tracker(LONG, "25000.00", "24975.00")  # 1R = 25 points

    assert feed(t, "24990.00", "24960.00") == [
        ("new_low", Fraction(-2, 5)),
        ("new_low", Fraction(-8, 5)),
        ("stop_hit", Fraction(-8, 5)),
    ]
    s = t.snapshot()
    assert (s.mae_r, s.result_r, s.exit_price) == (Fraction(-8, 5), -1, ticks("24975.00"))
    assert s.events[-1].price == ticks("24960.00")


def test_a_gap_through_the_target_counts_in_mfe_and_books_the_target() -> None:
    t = tracker(SHORT, "25000.00", "25025.00", target_r=Fraction(2))  # target 24950.00

    assert feed(t, "24940.00") == [("new_high", Fraction(12, 5)), ("target_hit", Fraction(12, 5))]
    s = t.snapshot()
    assert (s.status, s.mfe_r, s.mfe_points, s.result_r, s.exit_price) == (
        TradeStatus.TARGET_HIT,
        Fraction(12, 5),
        Decimal("60.00"),
        2,
        ticks("24950.00"),
    )


def test_when_break_even_and_the_target_trigger_on_the_same_tick_the_target_wins() -> None:
    t = tracker(LONG, "25000.00", "24975.00", target_r=Fraction(1))  # trigger and target both at +1R

    assert feed(t, "25025.00") == [("new_high", Fraction(1)), ("target_hit", Fraction(1))]
    s = t.snapshot()
    assert (s.status, s.result_r, s.break_even_triggered, s.stop) == (
        TradeStatus.TARGET_HIT,
        1,
        False,
        ticks("24975.00"),
    )
    assert K.BREAK_EVEN_TRIGGERED not in [e.kind for e in s.events]


def test_a_gap_beyond_both_the_trigger_and_a_nearer_target_emits_no_break_even() -> None:
    t = tracker(LONG, "25000.00", "24975.00", target_r=Fraction(1, 2))
    assert feed(t, "25040.00") == [("new_high", Fraction(8, 5)), ("target_hit", Fraction(8, 5))]
    assert t.snapshot().result_r == Fraction(1, 2)


def test_a_gap_through_the_break_even_stop_scratches_at_0r_with_the_real_mae() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "25025.00")  # +1R: stop to entry

    (low, hit) = t.on_tick(trade("24990.00", 5))

    assert (low.kind, low.r, hit.kind, hit.price, hit.r, hit.stop) == (
        K.NEW_LOW,
        Fraction(-2, 5),
        K.STOP_HIT,
        ticks("24990.00"),
        Fraction(-2, 5),
        ticks("25000.00"),
    )
    s = t.snapshot()
    assert (s.status, s.result_r, s.mfe_r, s.mae_r, s.exit_price) == (
        TradeStatus.BREAK_EVEN,
        0,
        1,
        Fraction(-2, 5),
        ticks("25000.00"),
    )


def test_a_stop_touched_exactly_books_the_stop_with_no_extra_mae() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "24985.00")
    assert feed(t, "24975.00") == [("new_low", Fraction(-1)), ("stop_hit", Fraction(-1))]
    assert (t.snapshot().mae_r, t.snapshot().result_r) == (-1, -1)


def test_closing_at_a_known_fill_books_the_fill_price() -> None:
    """The paper fill is the true exit: a caller that knows it closes the trade there instead."""
    t = tracker(SHORT, "6009.50", "6010.00", contract_id=ES)
    t.close(ticks("6010.75", ES), 9)
    s = t.snapshot()
    assert (s.status, s.result_r, s.mae_r) == (TradeStatus.CLOSED, Fraction(-5, 2), Fraction(-5, 2))
    assert s.exit_price == ticks("6010.75", ES)
