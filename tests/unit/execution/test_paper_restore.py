"""Restoring the paper engine from a snapshot: exact state, and restored orders keep working."""

from __future__ import annotations

from core_server.execution.commands import CancelOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.fill_model import FillSettings
from tests.unit.execution.execution_kit import ACC, BUY, ES, LMT, MKT, MS, SELL, STP, T0, Rig, fills, ticks


def _busy_rig() -> tuple[Rig, str, str]:
    rig = Rig(fill={"max_slippage_ticks": 2, "seed": 5})
    rig.quote(ES, "5000.00", "5000.25", at=0)
    rig.submit(ES, BUY, 2, MKT, at=0)
    resting = rig.submit(ES, BUY, 1, LMT, limit="4990.00", at=0)
    rig.bracket(ES, SELL, 1, LMT, "5010.00", "5020.00", "4980.00", at=0)
    rig.submit(ES, SELL, 1, STP, stop="4950.00", at=0)
    rig.quote(ES, "5000.00", "5000.25", at=150)  # arrivals; the market buy fills
    pending = rig.submit(ES, BUY, 1, LMT, limit="4995.00", at=160)  # still travelling at the snapshot
    return rig, resting, pending


def test_snapshot_restore_snapshot_is_identical() -> None:
    rig, _, _ = _busy_rig()
    before = rig.engine.snapshot()
    fresh = PaperExecutionEngine(fill_settings=FillSettings(seed=99))
    fresh.restore(before)
    assert fresh.snapshot() == before


def test_a_restored_engine_behaves_exactly_like_the_original() -> None:
    rig, resting, pending = _busy_rig()
    twin = PaperExecutionEngine(fill_settings=rig.engine.fill_model.settings)
    twin.restore(rig.engine.snapshot())
    rig_twin = Rig.__new__(Rig)
    rig_twin.engine = twin
    rig_twin.quote(ES, "5000.00", "5000.25", at=150)  # the twin learns the market from the feed
    rig.quote(ES, "5000.00", "5000.25", at=150)
    for r in (rig, rig_twin):
        r.quote(ES, "4989.50", "4989.75", at=400)
    assert rig_twin.engine.snapshot() == rig.engine.snapshot()
    order = twin.order(resting)  # type: ignore[arg-type]
    assert order.filled_qty == 1 and order.avg_fill_price_ticks() == ticks(ES, "4990.00")
    assert twin.order(pending).filled_qty == 1  # type: ignore[arg-type]


def test_a_restored_resting_order_still_fills_at_its_limit() -> None:
    rig, resting, _ = _busy_rig()
    restored = PaperExecutionEngine(fill_settings=rig.engine.fill_model.settings)
    restored.restore(rig.engine.snapshot())
    twin = Rig.__new__(Rig)
    twin.engine = restored
    events = twin.trade(ES, "4989.75", at=500)
    assert (resting, 1, ticks(ES, "4990.00")) in fills(events)


def test_a_rollback_point_copies_only_open_orders_and_undoes_a_command_exactly() -> None:
    rig, resting, _ = _busy_rig()
    rig.quote(ES, "5000.00", "5000.25", at=300)
    before = rig.engine.snapshot()
    point = rig.engine.rollback_point()
    finished = [o for o in before.orders if not o.is_open]
    assert finished and len(point.orders) == len(before.orders) - len(finished)

    rig.submit(ES, SELL, 3, LMT, limit="5050.00", at=310)  # a new order ...
    rig.engine.execute(CancelOrder(ACC, resting), T0 + 320 * MS)  # ... and an open one finished
    rig.submit(ES, BUY, 1, MKT, at=330)
    rig.engine.restore(point)
    assert rig.engine.snapshot() == before
