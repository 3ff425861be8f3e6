"""Statistics from the kernel's own round trips (what a backtest report calls), hand-computed."""

from __future__ import annotations

from decimal import Decimal

from core_server.analytics.round_trips import closed_facts, round_trip_statistics
from core_server.execution.commands import SubmitOrder
from core_server.execution.model import OrderSide, OrderType
from tests.kit.kernel import ACC, ES, MS, T0, KernelRig, q, t


def test_a_plain_round_trip_and_an_open_one() -> None:
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitOrder(ACC, ES.id, OrderSide.BUY, 2, OrderType.MARKET), T0 + 1 * MS)
    rig.ticks(q(10, "6004.00", "6004.25"), t(11, "6004.25"))
    rig.run(SubmitOrder(ACC, ES.id, OrderSide.SELL, 2, OrderType.MARKET), T0 + 20 * MS)
    rig.run(SubmitOrder(ACC, ES.id, OrderSide.BUY, 1, OrderType.MARKET), T0 + 30 * MS)  # still open
    trips = list(rig.trips().values())
    assert len(trips) == 2
    # 3.75 points x $50 x 2 = $375 gross; four $2.50 fills
    s = round_trip_statistics(trips, starting_balance=Decimal(50_000), source="backtest")
    assert (s.trades, s.wins, s.net_pnl, s.commissions, s.r_trades) == (1, 1, Decimal("365.00"), Decimal("10.00"), 0)
    assert [f.source for f in closed_facts(trips, source="backtest")] == ["backtest"]
