"""ExcursionTracker.restore: a stored trade continues exactly where it stood (stop, MFE/MAE, history, status)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from core_server.excursions.model import Direction, ExcursionState, TradeStatus
from core_server.excursions.settings import ExcursionSettings
from core_server.excursions.tracked import TrackedTrade, TradeSource, TradeWrite
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.errors import InvalidArgument
from core_server.storage.trade_rows import EVENT_COLUMNS, TRADE_COLUMNS, event_rows, trade_from_record, trade_row
from tests.unit.excursions.excursion_kit import OPENED_NS, feed, spec, ticks, tracker, trade

LONG, SHORT = Direction.LONG, Direction.SHORT


def restored(t: ExcursionTracker, settings: ExcursionSettings | None = None) -> ExcursionTracker:
    s = t.snapshot()
    return ExcursionTracker.restore(s.spec, s.state, settings or ExcursionSettings(), events=s.events)


def test_a_restored_trade_has_the_same_snapshot_as_the_one_it_was_stored_from() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "24990.00", "25030.00")

    again = restored(t)

    assert again.snapshot() == t.snapshot()
    assert again.quiet_band == t.quiet_band


def test_a_restored_trade_after_break_even_keeps_its_stop_at_entry_and_scratches_at_entry() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "25025.00")  # +1R: the stop moves to entry
    again = restored(t)

    assert again.stop == ticks("25000.00")
    assert [(e.kind.value, e.r) for e in again.on_tick(trade("25010.00", 5))] == []
    assert [(e.kind.value, e.r) for e in again.on_tick(trade("25000.00", 6))] == [("stop_hit", 0)]
    s = again.snapshot()
    assert (s.status, s.mfe_r, s.mae_r, s.result_r, s.break_even_triggered) == (TradeStatus.BREAK_EVEN, 1, 0, 0, True)
    assert [e.kind.value for e in s.events] == ["new_high", "break_even_triggered", "stop_hit"]


def test_a_restored_trade_before_break_even_still_triggers_it_and_keeps_its_mae() -> None:
    t = tracker(SHORT, "25000.00", "25025.00")
    feed(t, "25015.00", "24990.00")  # MAE -0.6R, MFE +0.4R
    again = restored(t)

    events = [(e.kind.value, e.r) for e in again.on_tick(trade("24975.00", 5))]

    assert events == [("new_high", 1), ("break_even_triggered", 1)]
    assert again.snapshot().mae_r == Fraction(-3, 5)
    assert again.snapshot().mae_ns == trade("25015.00", 1).ts_event


def test_a_restored_ended_trade_stays_ended_and_ignores_ticks() -> None:
    t = tracker(LONG, "25000.00", "24975.00")
    feed(t, "24975.00")
    again = restored(t)

    assert again.status is TradeStatus.STOPPED_OUT
    assert again.on_tick(trade("25100.00", 9)) == ()
    assert again.snapshot() == t.snapshot()


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (ExcursionState(TradeStatus.OPEN, 24_975 * 4, -1, 0, OPENED_NS, OPENED_NS), "state"),
        (ExcursionState(TradeStatus.OPEN, 24_975 * 4, 0, 1, OPENED_NS, OPENED_NS), "state"),
        (ExcursionState(TradeStatus.OPEN, 24_970 * 4, 0, 0, OPENED_NS, OPENED_NS), "state.stop"),
        (ExcursionState(TradeStatus.OPEN, 25_010 * 4, 20, 0, OPENED_NS, OPENED_NS), "state.stop"),
        (ExcursionState(TradeStatus.OPEN, 24_975 * 4, 0, 0, OPENED_NS, OPENED_NS, -100, OPENED_NS), "state"),
        (ExcursionState(TradeStatus.STOPPED_OUT, 24_975 * 4, 0, -100, OPENED_NS, OPENED_NS), "state"),
    ],
)
def test_an_impossible_stored_state_is_refused_naming_what_is_wrong(state: ExcursionState, field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        ExcursionTracker.restore(spec(LONG, "25000.00", "24975.00"), state)
    assert raised.value.field == field


def through_the_store(t: ExcursionTracker) -> ExcursionTracker:
    """A restart: the trade's row and event rows as stored, read back, and tracked again."""
    trade = TrackedTrade(t.snapshot(), TradeSource.PAPER, account_id="acct-1")
    row = dict(zip(TRADE_COLUMNS, trade_row(trade), strict=True))
    events = [dict(zip(EVENT_COLUMNS, e, strict=True)) for e in event_rows(TradeWrite(trade, 0))]
    s = trade_from_record(row, events).excursion
    return ExcursionTracker.restore(s.spec, s.state, t.settings, events=s.events)


def test_a_trade_stopped_through_a_gap_comes_back_with_its_real_mae_and_the_stop_result() -> None:
    t = tracker(SHORT, "6009.50", "6010.00", contract_id="ESZ2026")  # 1R = 2 ticks
    feed(t, "6009.00", "6010.50", contract_id="ESZ2026")  # +1R, break-even ... then a gap to -2R

    again = through_the_store(t)

    s = again.snapshot()
    assert s == t.snapshot()
    assert (s.status, s.mfe_r, s.mae_r, s.result_r, s.exit_price) == (
        TradeStatus.BREAK_EVEN,
        1,
        -2,
        0,
        ticks("6009.50", "ESZ2026"),
    )
    assert [(e.kind.value, e.price, e.r) for e in s.events][-1] == ("stop_hit", ticks("6010.50", "ESZ2026"), -2)


def test_a_restored_open_trade_gapping_through_its_initial_stop_books_minus_1r_with_the_gap_in_mae() -> None:
    t = tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_enabled=False))
    feed(t, "24990.00")
    again = through_the_store(t)

    assert [(e.kind.value, e.r) for e in again.on_tick(trade("24950.00", 5))] == [
        ("new_low", Fraction(-2)),
        ("stop_hit", Fraction(-2)),
    ]
    s = again.snapshot()
    assert (s.status, s.mae_r, s.result_r, s.exit_price) == (TradeStatus.STOPPED_OUT, -2, -1, ticks("24975.00"))
    assert through_the_store(again).snapshot() == s


def test_a_restored_trade_whose_target_and_break_even_come_on_one_tick_ends_at_the_target() -> None:
    t = tracker(LONG, "25000.00", "24975.00", target_price="25025.00")
    feed(t, "25010.00")
    again = through_the_store(t)

    assert [(e.kind.value, e.r) for e in again.on_tick(trade("25030.00", 5))] == [
        ("new_high", Fraction(6, 5)),
        ("target_hit", Fraction(6, 5)),
    ]
    s = again.snapshot()
    assert (s.status, s.result_r, s.break_even_triggered, s.exit_price) == (
        TradeStatus.TARGET_HIT,
        1,
        False,
        ticks("25025.00"),
    )
