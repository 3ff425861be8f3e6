"""Strategy parity: the first-hour breakout (with a short window) loaded and active in the live server, on a stepped
feed with the live timer firing whenever the kernel says something is due, and the same definition in the backtest
driver over the same ticks, give identical orders, fills and trades."""

from __future__ import annotations

import grpc

from core_server.app import kernel_settings
from core_server.backtest.config import BacktestConfig
from core_server.backtest.driver import Backtest
from core_server.backtest.source import TickList
from core_server.backtest_jobs.strategies import hosted
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.market_data import Tick
from tests.acceptance.test_one_kernel import trip_row
from tests.integration.execution.desk import T0, open_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from tests.kit.server import server_config
from tests.kit.stepped_source import SteppedTickSource
from tests.kit.time import ct
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import strategies_pb2 as spb
from vigil.v1 import strategies_pb2_grpc as spb_grpc
from vigil.v1 import trades_pb2 as tpb
from vigil.v1 import trades_pb2_grpc as tpb_grpc

S = NS_PER_SECOND
DEFINITION = """name = "fhb-parity"
kind = "first_hour_breakout"
account = "paper"
instrument = "ES"
enabled = true
[breakout]
window_start = "10:05"
window_end = "10:10"
offsets = [2, 4]
stop_points = 2
target_points = 2
"""


def step(ts: int, price: str) -> list[Tick]:
    ask = f"{float(price) + 0.25:.2f}"
    return [quote(ES, ts, price, ask), trade(ES, ts, price)]


def tape() -> list[Tick]:
    """The range 6000.00-6001.00 from 09:05 to 09:10 CT (10:05-10:10 ET), then up through the first sell (6003.00),
    down to its target (6001.00), up through the second sell (6005.00) and on to its stop (6007.00)."""
    ticks: list[Tick] = []
    for i in range(10):
        ticks += step(ct(2026, 11, 18, 9, 5) + i * 30 * S, ("6000.00", "6001.00", "6000.50")[i % 3])
    path = ["6002.00", "6003.50", "6002.00", "6000.75", "6003.00", "6005.25", "6006.00", "6007.25", "6004.00"]
    for k, price in enumerate(path):
        ticks += step(ct(2026, 11, 18, 9, 11) + k * 60 * S, price)
    return ticks


Row = tuple[object, ...]


def backtest_run() -> tuple[list[Row], list[Row], list[Row]]:
    config = server_config("postgresql://unused", symbols=(ES.id,))
    plan = FeedPlan(ReplayFeed(SteppedTickSource([ES.id], []), TestClock(T0), speed=0.0), realtime=False,
                    quote_only=False, store_ticks=False)  # fmt: skip
    settings, _ = kernel_settings(config, plan, None)
    bt_config = BacktestConfig((ES,), T0 + S, T0 + 3600 * S, account_id="paper")
    stage, _, setup = hosted(DEFINITION, "definition", bt_config)
    backtest = Backtest(bt_config, settings=settings, strategies=stage)
    setup(backtest)
    record = backtest.run(TickList([quote(ES, T0, "6000.00", "6000.25"), *tape()], batch=5))
    spec = ES.spec
    orders = sorted(
        (o.order_id, o.side.name, o.order_type.name, o.quantity,
         spec.format_ticks(o.limit_price) if o.limit_price is not None else "",
         spec.format_ticks(o.stop_price) if o.stop_price is not None else "")
        for o in record.orders
    )  # fmt: skip
    fills = [(f.order_id, f.side.name, f.quantity, f.price, f.ts_event, str(f.commission)) for f in record.fills]
    return orders, fills, sorted(trip_row(t) for t in record.trips.values())


async def test_a_strategy_trades_the_same_live_and_in_a_backtest(database_url: str) -> None:
    expected_orders, expected_fills, expected_trips = backtest_run()
    assert len(expected_trips) == 2 and len(expected_fills) == 4
    async with open_desk(database_url, first=[quote(ES, T0, "6000.00", "6000.25")]) as desk:
        shell = desk.running.shell
        async with grpc.aio.insecure_channel(desk.running.address) as channel:
            await spb_grpc.StrategyServiceStub(channel).LoadStrategy(spb.LoadStrategyRequest(definition=DEFINITION))
            for tick in tape():
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
            trades = (await tpb_grpc.TradeServiceStub(channel).ListTrades(tpb.ListTradesRequest())).trades
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
    ) == expected_orders  # fmt: skip
    live_trips = sorted(
        (t.trade_id, tpb.TradeDirection.Name(t.direction).removeprefix("TRADE_DIRECTION_").lower(), t.gross_pnl,
         t.commissions, t.exit_reason or "None", t.closed_ns)
        for t in trades
    )  # fmt: skip
    assert live_trips == expected_trips
