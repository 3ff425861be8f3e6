"""A confirmed signal places its paper bracket: market entry, stop at the signal's stop, target 2R from the fill."""

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


async def test_a_confirmed_bullish_signal_places_a_market_bracket_with_a_2r_target(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "tape.csv"
    path.write_text(HEADER + PART_1 + PART_2)
    clock = TestClock(START)
    source = PausingTickSource(path, PAUSE_AT)
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQZ2026",)), clock=clock, feed_plan=plan)
    try:
        await source.paused.wait()
        clock.set_ns(SUBMITTED_AT)
        async with grpc.aio.insecure_channel(running.address) as channel:
            signals = pb_grpc.SignalServiceStub(channel)
            execution = xpb_grpc.ExecutionServiceStub(channel)
            signal = (await signals.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(1)))).signal
            clock.set_ns(AFTER_TAPE)
            source.resume.set()
            await settled(signals, signal.signal_id, pb.SIGNAL_STATUS_CONFIRMED)

            async def bracket() -> list[xpb.Order]:
                orders = (await execution.ListOrders(xpb.ListOrdersRequest(account_id="paper"))).orders
                return list(orders)[::-1] if len(orders) == 3 else []

            entry, stop_loss, take_profit = await eventually(bracket)
    finally:
        await running.stop()
    assert (entry.type, entry.side, entry.quantity, entry.client_order_id) == (
        xpb.ORDER_TYPE_MARKET,
        xpb.ORDER_SIDE_BUY,
        1,
        f"signal:{signal.signal_id}",
    )
    # The tape has trades only, so the market entry fills at the next print after its simulated latency (plus the
    # seeded slippage); the stop then works at the signal's pivot stop and the target sits 2R from the actual fill.
    assert entry.status == xpb.ORDER_STATUS_FILLED
    fill = Decimal(entry.average_fill_price)
    assert fill >= Decimal("25346.50")
    assert (stop_loss.stop_price, stop_loss.status) == ("25285.00", xpb.ORDER_STATUS_WORKING)
    assert Decimal(take_profit.limit_price) == fill + 2 * (fill - Decimal("25285.00"))
    assert take_profit.target_r == "2"
    assert stop_loss.reduce_only and take_profit.reduce_only
