"""One kernel: the same ticks and commands through a bare TradingKernel (the backtest path) and through the live
server (stepped replay, TestClock, commands over gRPC at the same instants) give identical fills, identical round
trips and identical risk decisions. Both are assembled from the same settings (app.kernel_settings)."""

from __future__ import annotations

from decimal import Decimal

import grpc

from core_server.app import kernel_settings
from core_server.execution.commands import OpenAccount
from core_server.execution.events import OrderFilled
from core_server.execution.model import AccountId
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.kernel.assembly import build_kernel
from core_server.model.clock import TestClock
from core_server.trades.model import RoundTrip, TradeChange
from tests.acceptance.test_one_paper_engine import FIRST, SCRIPT
from tests.integration.execution.desk import T0, open_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES
from tests.kit.server import server_config
from tests.kit.stepped_source import SteppedTickSource
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import risk_pb2 as rpb
from vigil.v1 import risk_pb2_grpc as rpb_grpc
from vigil.v1 import trades_pb2 as tpb
from vigil.v1 import trades_pb2_grpc as tpb_grpc

Fill = tuple[str, str, int, int, int, str]
Trip = tuple[str, str, str, str, str, int]


def trip_row(trip: RoundTrip) -> Trip:
    return (trip.trade_id, trip.direction.label, str(trip.gross), str(trip.commissions), str(trip.exit_reason),
            trip.closed_ns or 0)  # fmt: skip


def direct_run() -> tuple[list[Fill], list[Trip], list[str]]:
    config = server_config("postgresql://unused", symbols=(ES.id,))
    clock = TestClock(T0)
    plan = FeedPlan(ReplayFeed(SteppedTickSource([ES.id], []), clock, speed=0.0), realtime=False,
                    quote_only=False, store_ticks=False)  # fmt: skip
    settings, _ = kernel_settings(config, plan, None)
    kernel = build_kernel(settings, [ES], complete_from_ns=T0)
    kernel.execute(OpenAccount(AccountId("paper"), Decimal(50_000)), T0)
    for tick in FIRST:
        kernel.on_tick(tick)
    for at, command, _, ticks in SCRIPT:
        kernel.advance_to(at)
        kernel.execute(command, at)
        for tick in ticks:
            kernel.on_tick(tick)
    out = kernel.take_output()
    fills = [
        (e.fill.order_id, e.fill.side.name, e.fill.quantity, e.fill.price, e.fill.ts_event, str(e.fill.commission))
        for step in out.execution
        for e in step.events
        if isinstance(e, OrderFilled)
    ]
    trips = {c.trip.trade_id: c.trip for c in out.trades if isinstance(c, TradeChange)}
    decisions = [e.kind.label for e in out.risk]
    return fills, sorted(trip_row(t) for t in trips.values()), decisions


async def test_the_live_server_runs_exactly_the_kernel_it_wraps(database_url: str) -> None:
    expected_fills, expected_trips, expected_decisions = direct_run()
    assert len(expected_fills) == 5 and len(expected_trips) >= 2
    async with open_desk(database_url, first=FIRST) as desk:
        for at, _, request, ticks in SCRIPT:
            desk.clock.set_ns(at)
            if isinstance(request, pb.SubmitOrderRequest):
                await desk.stub.SubmitOrder(request)
            else:
                await desk.stub.SubmitBracket(request)
            await desk.ticks(*ticks)
        await desk.running.shell.writer.flush()

        async def stored() -> list[pb.Fill]:
            fills = (await desk.stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
            return list(fills)[::-1] if len(fills) == len(expected_fills) else []

        fills = await eventually(stored)
        async with grpc.aio.insecure_channel(desk.running.address) as ch:
            trades = (await tpb_grpc.TradeServiceStub(ch).ListTrades(tpb.ListTradesRequest())).trades
            audit = rpb_grpc.RiskServiceStub(ch).StreamRiskEvents(rpb.StreamRiskEventsRequest(replay=500))
            decisions: list[str] = []
            async for update in audit:
                decisions.append(update.event.kind)
                if len(decisions) >= len(expected_decisions):
                    break
            audit.cancel()
    spec = ES.spec
    assert [
        (f.order_id, pb.OrderSide.Name(f.side).removeprefix("ORDER_SIDE_"), f.quantity, spec.ticks_from_price(f.price),
         f.ts_ns, f.commission)
        for f in fills
    ] == expected_fills  # fmt: skip
    live_trips = sorted(
        (t.trade_id, tpb.TradeDirection.Name(t.direction).removeprefix("TRADE_DIRECTION_").lower(), t.gross_pnl,
         t.commissions, t.exit_reason or "None", t.closed_ns)
        for t in trades
    )  # fmt: skip
    assert live_trips == expected_trips
    assert decisions[: len(expected_decisions)] == expected_decisions
