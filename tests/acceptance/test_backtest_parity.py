"""Parity: a recorded live session (ticks and commands at their instants, the live timer firing whenever the kernel
says something is due) replayed through the backtest driver gives identical orders, fills and trades.

The live side is the real server (stepped replay feed, TestClock, commands over gRPC); the backtest side is
core_server.backtest.driver.Backtest with the kernel settings the server derives from the same configuration."""

from __future__ import annotations

import grpc

from core_server.app import kernel_settings
from core_server.backtest.config import BacktestConfig
from core_server.backtest.driver import Backtest
from core_server.backtest.source import TickList
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import NS_PER_SECOND, TestClock
from tests.acceptance.test_one_kernel import trip_row
from tests.acceptance.test_one_paper_engine import FIRST, SCRIPT
from tests.integration.execution.desk import T0, open_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES
from tests.kit.server import server_config
from tests.kit.stepped_source import SteppedTickSource
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import trades_pb2 as tpb
from vigil.v1 import trades_pb2_grpc as tpb_grpc

Row = tuple[object, ...]


def backtest_run() -> tuple[list[Row], list[Row], list[Row]]:
    config = server_config("postgresql://unused", symbols=(ES.id,))
    plan = FeedPlan(ReplayFeed(SteppedTickSource([ES.id], []), TestClock(T0), speed=0.0), realtime=False,
                    quote_only=False, store_ticks=False)  # fmt: skip
    settings, _ = kernel_settings(config, plan, None)
    bt_config = BacktestConfig((ES,), T0, T0 + 3600 * NS_PER_SECOND, account_id="paper")
    commands = [(at, command) for at, command, _, _ in SCRIPT]
    ticks = [*FIRST, *(tick for _, _, _, ticks in SCRIPT for tick in ticks)]
    backtest = Backtest(bt_config, settings=settings, commands=commands)
    record = backtest.run(TickList(ticks, batch=2))
    spec = ES.spec
    orders = [(o.order_id, o.side.name, o.order_type.name, o.quantity,
               spec.format_ticks(o.limit_price) if o.limit_price is not None else "",
               spec.format_ticks(o.stop_price) if o.stop_price is not None else "") for o in record.orders]  # fmt: skip
    fills = [(f.order_id, f.side.name, f.quantity, f.price, f.ts_event, str(f.commission)) for f in record.fills]
    trips = sorted(trip_row(t) for t in record.trips.values())
    return orders, fills, trips


async def test_a_live_session_replayed_through_the_backtest_driver_gives_the_same_orders_fills_and_trades(
    database_url: str,
) -> None:
    expected_orders, expected_fills, expected_trips = backtest_run()
    assert len(expected_fills) == 5 and len(expected_trips) >= 2
    async with open_desk(database_url, first=FIRST) as desk:
        shell = desk.running.shell
        for at, _, request, ticks in SCRIPT:
            desk.clock.set_ns(at)
            shell.advance()
            if isinstance(request, pb.SubmitOrderRequest):
                await desk.stub.SubmitOrder(request)
            else:
                await desk.stub.SubmitBracket(request)
            for tick in ticks:
                while (due := shell.kernel.next_due_ns()) <= tick.ts_event:  # the timer fires when something is due
                    desk.clock.set_ns(due)
                    shell.advance()
                await desk.ticks(tick)
        await shell.writer.flush()

        async def stored() -> list[pb.Fill]:
            fills = (await desk.stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
            return list(fills)[::-1] if len(fills) == len(expected_fills) else []

        fills = await eventually(stored)
        orders = (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders
        async with grpc.aio.insecure_channel(desk.running.address) as ch:
            trades = (await tpb_grpc.TradeServiceStub(ch).ListTrades(tpb.ListTradesRequest())).trades
    spec = ES.spec
    assert [
        (f.order_id, pb.OrderSide.Name(f.side).removeprefix("ORDER_SIDE_"), f.quantity, spec.ticks_from_price(f.price),
         f.ts_ns, f.commission)
        for f in fills
    ] == expected_fills  # fmt: skip
    assert sorted(
        (o.order_id, pb.OrderSide.Name(o.side).removeprefix("ORDER_SIDE_"),
         pb.OrderType.Name(o.type).removeprefix("ORDER_TYPE_"), o.quantity, o.limit_price, o.stop_price)
        for o in orders
    ) == sorted(expected_orders)  # fmt: skip
    live_trips = sorted(
        (t.trade_id, tpb.TradeDirection.Name(t.direction).removeprefix("TRADE_DIRECTION_").lower(), t.gross_pnl,
         t.commissions, t.exit_reason or "None", t.closed_ns)
        for t in trades
    )  # fmt: skip
    assert live_trips == expected_trips
