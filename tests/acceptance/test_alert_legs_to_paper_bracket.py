"""An alert's own stopLoss / takeProfit become the bracket of the order its confirmed signal places: a stop 20
points from the entry's fill (TradersPost `amount`) and a target 0.1 % of the entry price from the fill (percent),
both reduce-only, measured from the actual fill by the execution engine (the tape: test_signal_to_confirmation).

Hand-computed: the signal's entry is 25346.50 = 101386 ticks of 0.25; 0.1 % of it is 101.386 ticks, rounded away
from the entry to 102 ticks = 25.50 points. So stop = fill - 20.00 and target = fill + 25.50.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import grpc

from core_server.app import start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import TestClock
from tests.acceptance.test_signal_to_confirmation import (
    AFTER_TAPE,
    HEADER,
    PART_1,
    PART_2,
    PAUSE_AT,
    START,
    SUBMITTED_AT,
    PausingTickSource,
    settled,
    signal_input,
)
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import signals_pb2 as pb
from vigil.v1 import signals_pb2_grpc as pb_grpc


async def test_alert_stop_loss_and_take_profit_become_the_bracket_measured_from_the_fill(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "tape.csv"
    path.write_text(HEADER + PART_1 + PART_2)
    clock = TestClock(START)
    source = PausingTickSource(path, PAUSE_AT)
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQZ2026",)), clock=clock, feed_plan=plan)
    legs = {
        "stop_loss": pb.BracketLeg(kind=pb.BRACKET_LEG_KIND_POINTS, value="20", order_type=pb.BRACKET_LEG_TYPE_STOP),
        "take_profit": pb.BracketLeg(kind=pb.BRACKET_LEG_KIND_PERCENT, value="0.1"),
    }
    try:
        await source.paused.wait()
        clock.set_ns(SUBMITTED_AT)
        async with grpc.aio.insecure_channel(running.address) as channel:
            signals = pb_grpc.SignalServiceStub(channel)
            execution = xpb_grpc.ExecutionServiceStub(channel)
            request = pb.SubmitSignalRequest(input=signal_input(pb.SIGNAL_DIRECTION_BULLISH, **legs))
            signal = (await signals.SubmitSignal(request)).signal
            clock.set_ns(AFTER_TAPE)
            source.resume.set()
            confirmed = await settled(signals, signal.signal_id, pb.SIGNAL_STATUS_CONFIRMED)

            async def bracket() -> list[xpb.Order]:
                orders = (await execution.ListOrders(xpb.ListOrdersRequest(account_id="paper"))).orders
                return list(orders)[::-1] if len(orders) == 3 else []

            entry, stop_loss, take_profit = await eventually(bracket)
    finally:
        await running.stop()
    assert confirmed.entry_price == "25346.50"
    created = next(e for e in confirmed.events if e.kind == "trade_created")
    assert "alert stop-loss 20 points from the fill" in created.detail
    assert "alert take-profit 0.1% of 25346.50 = 102 ticks from the fill" in created.detail
    assert entry.status == xpb.ORDER_STATUS_FILLED
    fill = Decimal(entry.average_fill_price)
    assert Decimal(stop_loss.stop_price) == fill - Decimal("20.00")
    assert Decimal(take_profit.limit_price) == fill + Decimal("25.50")
    assert stop_loss.reduce_only and take_profit.reduce_only
