"""SPEC §7 / seed 004: the first-hour breakout's worked example (2025-10-08, ES), through the bare kernel."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.model import OrderRole, OrderSide
from core_server.model.instruments import Contract
from core_server.strategies.breakout import levels
from core_server.strategies.definition import BreakoutSpec
from tests.kit.feeds import trade
from tests.kit.strategies import StrategyRig
from tests.kit.time import et

ES = Contract("ES", 2025, 12)
SPEC = ES.spec

BREAKOUT = """
name = "fhb"
kind = "first_hour_breakout"
account = "acc-1"
instrument = "ES"
enabled = true
"""


def price(ticks: int) -> str:
    return SPEC.format_ticks(ticks)


def test_levels_of_the_seed_example() -> None:
    high, low = SPEC.ticks_from_price(Decimal("6774.25")), SPEC.ticks_from_price(Decimal("6772.50"))
    sells, buys = levels(BreakoutSpec(), high, low, SPEC.points_to_ticks)
    assert [price(t) for t in sells] == ["6783.25", "6792.25", "6801.25", "6810.25", "6819.25"]
    assert [price(t) for t in buys] == ["6763.50", "6754.50", "6745.50", "6736.50", "6727.50"]


def t(h: int, m: int, s: int, p: str, day: int = 8) -> object:
    return trade(ES, et(2025, 10, day, h, m, s), p)


def test_the_worked_example_day_through_the_kernel() -> None:
    rig = StrategyRig([ES], t0=et(2025, 10, 8, 9, 0))
    rig.load(BREAKOUT, et(2025, 10, 8, 9, 0))
    assert [e.kind for e in rig.events()] == ["loaded", "activated"]
    # Before the window: not part of the range.
    rig.ticks(t(9, 29, 59, "6790.00"))
    # The first hour 09:30-10:30 ET: high 6774.25, low 6772.50.
    rig.ticks(t(9, 30, 0, "6773.00"), t(9, 45, 0, "6774.25"), t(10, 0, 0, "6772.50"), t(10, 29, 59, "6773.50"))
    assert rig.accepted() == []
    rig.advance(et(2025, 10, 8, 10, 30))
    entries = [e.order for e in rig.accepted() if e.order.role is OrderRole.BRACKET_ENTRY]
    sells = [price(o.limit_price or 0) for o in entries if o.side is OrderSide.SELL]
    buys = [price(o.limit_price or 0) for o in entries if o.side is OrderSide.BUY]
    assert sells == ["6783.25", "6792.25", "6801.25", "6810.25", "6819.25"]
    assert buys == ["6763.50", "6754.50", "6745.50", "6736.50", "6727.50"]
    assert {o.tag for o in entries} == {"strategy:fhb@1"}
    assert {o.quantity for o in entries} == {1}
    placed = rig.events("placed")
    assert len(placed) == 1
    assert "high 6774.25 low 6772.50" in placed[0].message
    # Trade 1 (short, loss): 6783.25 fills, the 5-point stop at 6788.25 is hit.
    rig.ticks(t(10, 31, 0, "6783.50"), t(10, 32, 0, "6788.25"))
    # Trade 2 (short, win): 6792.25 fills, the 5-point target at 6787.25 is hit.
    rig.ticks(t(10, 33, 0, "6792.50"), t(10, 43, 0, "6787.00"))
    # Trade 3 (short, win): 6801.25, target 6796.25.
    rig.ticks(t(11, 51, 0, "6801.50"), t(12, 44, 0, "6796.00"))
    fills = [(e.fill.side, price(e.fill.price)) for e in rig.fills()]
    assert fills == [
        (OrderSide.SELL, "6783.25"),
        (OrderSide.BUY, "6788.25"),
        (OrderSide.SELL, "6792.25"),
        (OrderSide.BUY, "6787.25"),
        (OrderSide.SELL, "6801.25"),
        (OrderSide.BUY, "6796.25"),
    ]
    record = rig.records()[-1]
    # -$250 + $250 + $250, less six fills at $2.50.
    assert record.realised == Decimal("235.00")
    assert record.position == 0
    assert record.trades_today == 3
    # 5 minutes before the next RTH open (Thursday 09:25 ET) the seven unfilled entries are cancelled.
    rig.advance(et(2025, 10, 9, 9, 24, 59))
    assert rig.events("cancelled") == []
    rig.advance(et(2025, 10, 9, 9, 25))
    assert len(rig.events("cancelled")) == 1
    open_orders = rig.kernel.execution.open_orders(entries[0].account_id)
    assert open_orders == ()
    # The next day's window is scheduled.
    assert rig.host.next_timer_ns() == et(2025, 10, 9, 9, 30)
