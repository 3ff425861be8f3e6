"""KernelOutput's count of ticks a backtest's quiet path applied from columns (note_quiet): released ticks counted
beside the listed ones, the first and last instants in the order they were released, drained by take()."""

from __future__ import annotations

from core_server.kernel.output import KernelOutput
from core_server.model.market_data import Aggressor, Trade


def trade(ts: int) -> Trade:
    return Trade("ESZ2025", ts, ts, 26_800, 1, Aggressor.NONE)


def test_counted_and_listed_ticks_keep_their_order() -> None:
    out = KernelOutput()
    assert (out.tick_count(), out.first_tick_ns(), out.last_tick_ns()) == (0, None, None) and not out
    out.note_quiet(5, 10, 14)
    assert (out.tick_count(), out.first_tick_ns(), out.last_tick_ns()) == (5, 10, 14) and out
    out.ticks.append(trade(15))
    assert (out.tick_count(), out.first_tick_ns(), out.last_tick_ns()) == (6, 10, 15)
    out.note_quiet(3, 16, 18)
    assert (out.tick_count(), out.first_tick_ns(), out.last_tick_ns()) == (9, 10, 18)
    out.ticks.append(trade(19))
    assert (out.tick_count(), out.first_tick_ns(), out.last_tick_ns()) == (10, 10, 19)


def test_listed_ticks_first_then_a_run_and_take_drains_both() -> None:
    out = KernelOutput()
    out.ticks.append(trade(7))
    out.note_quiet(2, 8, 9)
    taken = out.take()
    assert (taken.tick_count(), taken.first_tick_ns(), taken.last_tick_ns()) == (3, 7, 9)
    assert out.quiet is None and out.tick_count() == 0 and not out
