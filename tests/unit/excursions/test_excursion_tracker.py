"""ExcursionTracker on hand-computed NQ, ES and MES paths: MFE/MAE, break-even, stops, targets, closes."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core_server.excursions.model import Direction, ExcursionEventKind, TradeStatus
from core_server.excursions.r_multiples import display_r
from core_server.excursions.settings import ExcursionSettings, PriceSource
from core_server.excursions.tracker import NO_EVENTS, ExcursionTracker
from tests.unit.excursions.excursion_kit import feed, quote, spec, ticks, tracker, trade

LONG, SHORT = Direction.LONG, Direction.SHORT
NO_BREAK_EVEN = ExcursionSettings(break_even_enabled=False)
BID_ASK = ExcursionSettings(price_source=PriceSource.BID_ASK)


def test_nq_long_reaching_one_r_moves_the_stop_to_entry_and_a_return_to_entry_is_a_break_even_scratch() -> None:
    t = tracker(LONG, "25000.00", "24975.00")  # risk 25 points = 100 ticks

    assert feed(t, "25010.00", "25025.00") == [
        ("new_high", Fraction(2, 5)),
        ("new_high", Fraction(1)),
        ("break_even_triggered", Fraction(1)),
    ]
    assert t.stop == ticks("25000.00")
    assert [(e.kind, e.r) for e in t.on_tick(trade("25000.00", 3))] == [(ExcursionEventKind.STOP_HIT, 0)]
    assert t.status is TradeStatus.BREAK_EVEN

    s = t.snapshot()
    assert (s.mfe_r, s.mae_r, s.result_r) == (1, 0, 0)
    assert (s.mfe_points, s.mae_points, s.result_points) == (Decimal("25.00"), Decimal("0.00"), Decimal("0.00"))
    assert s.exit_price == ticks("25000.00")
    assert s.closed_ns == trade("25000.00", 3).ts_event
    assert s.break_even_triggered
    assert [e.kind for e in s.events][-1] is ExcursionEventKind.STOP_HIT


def test_stop_hit_event_carries_time_price_and_r_of_the_stop() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "25025.00")
    (stop_hit,) = t.on_tick(trade("25000.00", 9))

    assert stop_hit.kind is ExcursionEventKind.STOP_HIT
    assert (stop_hit.ts_ns, stop_hit.price, stop_hit.r) == (trade("25000.00", 9).ts_event, ticks("25000.00"), 0)
    assert stop_hit.trade_id == "t1"


def test_trade_hitting_the_initial_stop_after_mae_of_minus_0_6r_is_stopped_out_at_minus_1r() -> None:
    t = tracker(LONG, "25000.00", "24975.00")

    events = feed(t, "24990.00", "24985.00", "24990.00", "25010.00", "24975.00")

    assert events == [
        ("new_low", Fraction(-2, 5)),
        ("new_low", Fraction(-3, 5)),
        ("new_high", Fraction(2, 5)),
        ("new_low", Fraction(-1)),
        ("stop_hit", Fraction(-1)),
    ]
    s = t.snapshot()
    assert s.status is TradeStatus.STOPPED_OUT
    assert (s.result_r, s.mfe_r, s.mae_r) == (-1, Fraction(2, 5), -1)
    assert s.mfe_points == Decimal("10.00")


def test_mae_before_the_stop_is_kept_in_points() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "24985.00", "24999.75")
    s = t.snapshot()
    assert (s.mae_r, s.mae_ticks, s.mae_points) == (Fraction(-3, 5), -60, Decimal("-15.00"))
    assert s.mae_ns == trade("24985.00", 1).ts_event
    assert s.mfe_ns == s.spec.opened_ns  # still 0R: never above entry


def test_short_mirrors_the_long_and_books_2r_exactly_at_the_target() -> None:
    t = tracker(SHORT, "25000.00", "25025.00", target_r=Fraction(2))

    events = feed(t, "25010.00", "24980.00", "24975.00", "24950.00")

    assert events == [
        ("new_low", Fraction(-2, 5)),
        ("new_high", Fraction(4, 5)),
        ("new_high", Fraction(1)),
        ("break_even_triggered", Fraction(1)),
        ("new_high", Fraction(2)),
        ("target_hit", Fraction(2)),
    ]
    s = t.snapshot()
    assert s.status is TradeStatus.TARGET_HIT
    assert (s.result_r, s.exit_price, s.target, s.stop) == (2, ticks("24950.00"), ticks("24950.00"), ticks("25000.00"))
    assert (s.mfe_points, s.mae_points) == (Decimal("50.00"), Decimal("-10.00"))


def test_an_anomalous_spike_through_the_stop_neither_stops_the_trade_nor_moves_mae() -> None:
    t = tracker(LONG, "25000.00", "24975.00")

    assert t.on_tick(trade("24900.00", 1), anomalous=True) is NO_EVENTS
    assert t.on_tick(trade("25100.00", 2), anomalous=True) is NO_EVENTS

    s = t.snapshot()
    assert (s.status, s.mfe_r, s.mae_r, s.events) == (TradeStatus.OPEN, 0, 0, ())
    assert feed(t, "24995.00") == [("new_low", Fraction(-1, 5))]


def test_break_even_with_a_two_tick_offset_books_plus_0_02r_on_a_100_tick_risk() -> None:
    t = tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_offset_ticks=2))

    feed(t, "25025.00")
    assert t.stop == ticks("25000.50")
    assert t.on_tick(trade("25000.75", 2)) is NO_EVENTS
    (stop_hit,) = t.on_tick(trade("25000.25", 3))  # one tick through the offset stop: booked at it, seen below

    s = t.snapshot()
    assert (s.status, s.result_r, display_r(s.result_r or Fraction(0))) == (
        TradeStatus.BREAK_EVEN,
        Fraction(1, 50),
        Decimal("0.02"),
    )
    assert (stop_hit.price, stop_hit.r, stop_hit.stop, s.exit_price) == (
        ticks("25000.25"),
        Fraction(1, 100),
        ticks("25000.50"),
        ticks("25000.50"),
    )


def test_short_offset_break_even_stop_sits_below_entry() -> None:
    t = tracker(SHORT, "25000.00", "25025.00", ExcursionSettings(break_even_offset_ticks=2))
    feed(t, "24975.00")
    assert t.stop == ticks("24999.50")


def test_last_source_reads_trades_and_ignores_quotes() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    assert t.on_tick(quote("24975.00", "24975.25", 1)) is NO_EVENTS
    assert t.status is TradeStatus.OPEN


def test_bid_ask_source_reads_the_bid_for_a_long_and_ignores_trades() -> None:
    t = tracker(LONG, "25000.00", "24975.00", BID_ASK)

    assert t.on_tick(trade("25025.00", 1)) is NO_EVENTS
    events = t.on_tick(quote("25024.75", "25025.00", 2))  # the bid is 99 ticks up: 0.99R, no break-even

    assert [(e.kind, e.r) for e in events] == [(ExcursionEventKind.NEW_HIGH, Fraction(99, 100))]
    assert t.stop == ticks("24975.00")
    (low, stop) = t.on_tick(quote("24975.00", "24975.25", 3))
    assert (stop.kind, t.status) == (ExcursionEventKind.STOP_HIT, TradeStatus.STOPPED_OUT)


def test_bid_ask_source_reads_the_ask_for_a_short() -> None:
    t = tracker(SHORT, "25000.00", "25025.00", BID_ASK)
    events = t.on_tick(quote("24974.75", "24975.00", 1))
    assert [(e.kind, e.r) for e in events] == [
        (ExcursionEventKind.NEW_HIGH, Fraction(1)),
        (ExcursionEventKind.BREAK_EVEN_TRIGGERED, Fraction(1)),
    ]


def test_same_quotes_give_a_lower_mfe_on_bid_ask_than_on_last() -> None:
    on_last = tracker(LONG, "25000.00", "24975.00")
    on_bid = tracker(LONG, "25000.00", "24975.00", BID_ASK)
    for tick in (trade("25020.00", 1), quote("25019.75", "25020.00", 1)):
        on_last.on_tick(tick)
        on_bid.on_tick(tick)
    assert (on_last.snapshot().mfe_r, on_bid.snapshot().mfe_r) == (Fraction(4, 5), Fraction(79, 100))


def test_an_empty_bid_is_not_a_price() -> None:
    t = tracker(LONG, "25000.00", "24975.00", BID_ASK)
    empty = quote("25000.00", "25000.25", 1)._replace(bid=0)
    assert t.on_tick(empty) is NO_EVENTS
    assert t.is_open


def test_with_break_even_disabled_the_stop_stays_at_the_initial_stop() -> None:
    t = tracker(LONG, "25000.00", "24975.00", NO_BREAK_EVEN)
    assert feed(t, "25050.00", "25000.00") == [("new_high", Fraction(2))]
    assert feed(t, "24975.00") == [("new_low", Fraction(-1)), ("stop_hit", Fraction(-1))]
    assert t.snapshot().status is TradeStatus.STOPPED_OUT


def test_a_half_r_trigger_moves_the_stop_at_plus_0_5r() -> None:
    t = tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_trigger_r=Decimal("0.5")))
    assert feed(t, "25012.25") == [("new_high", Fraction(49, 100))]
    assert feed(t, "25012.50")[-1] == ("break_even_triggered", Fraction(1, 2))


def test_a_target_nearer_than_the_trigger_ends_the_trade_before_break_even() -> None:
    t = tracker(LONG, "25000.00", "24975.00", target_r=Fraction(1, 2))
    assert feed(t, "25012.50") == [("new_high", Fraction(1, 2)), ("target_hit", Fraction(1, 2))]
    assert not t.snapshot().break_even_triggered


def test_with_a_target_in_r_and_a_target_price_the_nearer_one_ends_the_trade() -> None:
    t = tracker(LONG, "25000.00", "24975.00", target_r=Fraction(3), target_price="25050.00")
    feed(t, "25060.00")
    assert (t.status, t.snapshot().result_r) == (TradeStatus.TARGET_HIT, 2)


def test_manual_close_books_the_r_at_its_price_and_takes_it_into_mfe() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "25010.00")
    events = t.close(ticks("25015.00"), 7)

    assert [(e.kind, e.r) for e in events] == [
        (ExcursionEventKind.NEW_HIGH, Fraction(3, 5)),
        (ExcursionEventKind.CLOSED, Fraction(3, 5)),
    ]
    s = t.snapshot()
    assert (s.status, s.result_r, s.mfe_r, s.closed_ns, s.result_points) == (
        TradeStatus.CLOSED,
        Fraction(3, 5),
        Fraction(3, 5),
        7,
        Decimal("15.00"),
    )


def test_after_the_trade_ends_ticks_and_closes_change_nothing() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "24975.00")
    before = t.snapshot()

    assert t.on_tick(trade("24900.00", 5)) is NO_EVENTS
    assert t.on_tick(trade("25100.00", 6)) is NO_EVENTS
    assert t.close(ticks("25000.00"), 99) is NO_EVENTS
    assert t.snapshot() == before


def test_ticks_inside_the_band_return_the_shared_empty_tuple() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "25005.00", "24995.00")
    assert t.quiet_band == (ticks("24994.75"), ticks("25005.25"))
    assert t.on_tick(trade("25000.00", 9)) is NO_EVENTS
    assert t.on_tick(trade("24995.00", 9)) is NO_EVENTS  # equal to MAE is not a new low


def test_es_long_scratch_after_1_5r() -> None:
    t = tracker(LONG, "6000.00", "5990.00", contract_id="ESZ2026")  # 10 points = 40 ticks
    assert feed(t, "6005.00", "6015.00", "6000.00", contract_id="ESZ2026") == [
        ("new_high", Fraction(1, 2)),
        ("new_high", Fraction(3, 2)),
        ("break_even_triggered", Fraction(3, 2)),
        ("stop_hit", Fraction(0)),
    ]
    s = t.snapshot()
    assert (s.mfe_points, s.result_r, s.status) == (Decimal("15.00"), 0, TradeStatus.BREAK_EVEN)


def test_mes_short_on_an_11_tick_risk_keeps_elevenths_exact() -> None:
    t = tracker(SHORT, "6000.25", "6003.00", contract_id="MESZ2026")  # 2.75 points = 11 ticks
    assert feed(t, "5998.00", "5997.50", "5996.25", contract_id="MESZ2026") == [
        ("new_high", Fraction(9, 11)),
        ("new_high", Fraction(1)),
        ("break_even_triggered", Fraction(1)),
        ("new_high", Fraction(16, 11)),
    ]
    t.close(ticks("5997.00", "MESZ2026"), 10)
    s = t.snapshot()
    assert (s.result_r, display_r(Fraction(13, 11)), s.mfe_points, s.result_points) == (
        Fraction(13, 11),
        Decimal("1.18"),
        Decimal("4.00"),
        Decimal("3.25"),
    )


def test_a_target_in_r_between_ticks_is_reached_at_the_first_tick_beyond_it() -> None:
    t = tracker(SHORT, "6000.25", "6003.00", contract_id="MESZ2026", target_r=Fraction(3, 2))  # 16.5 ticks
    assert t.snapshot().target == ticks("5996.00", "MESZ2026")
    assert feed(t, "5996.25", contract_id="MESZ2026")[0] == ("new_high", Fraction(16, 11))
    assert t.on_tick(trade("5996.00", 5, "MESZ2026"))[-1].r == Fraction(17, 11)
    assert t.status is TradeStatus.TARGET_HIT


def test_instrument_comes_from_the_contract_id_unless_given() -> None:
    from core_server.model.instruments import INSTRUMENTS

    es = spec(LONG, "6000.00", "5990.00", contract_id="ESZ2026")
    assert ExcursionTracker(es).instrument is INSTRUMENTS["ES"]
    assert ExcursionTracker(es, instrument=INSTRUMENTS["MES"]).instrument is INSTRUMENTS["MES"]
