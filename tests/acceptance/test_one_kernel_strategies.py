"""One kernel, strategies included: a first-hour breakout (a one-minute window, so the test stays short) trading
its ladder on the same ticks through a bare TradingKernel with a StrategyHost (the backtest path) and through the
live server (stepped replay, TestClock, the strategy loaded over gRPC) gives identical fills, identical round
trips and an identical strategy event log."""

from __future__ import annotations

from decimal import Decimal

import grpc

from core_server.app import kernel_settings
from core_server.calendar.session_table import load_trading_calendar
from core_server.execution.commands import OpenAccount
from core_server.execution.events import OrderFilled
from core_server.execution.model import AccountId
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.kernel.assembly import build_kernel
from core_server.model.clock import TestClock
from core_server.model.market_data import Tick
from core_server.strategies.events import StrategyEvent
from core_server.strategies.host import StrategyHost
from core_server.strategies.parse import parse_text
from core_server.trades.model import TradeChange
from tests.acceptance.test_one_kernel import Fill, Trip, trip_row
from tests.integration.execution.desk import T0, open_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from tests.kit.server import server_config
from tests.kit.stepped_source import SteppedTickSource
from tests.kit.time import et
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import strategies_pb2 as spb
from vigil.v1 import strategies_pb2_grpc as spb_grpc
from vigil.v1 import trades_pb2 as tpb
from vigil.v1 import trades_pb2_grpc as tpb_grpc

LOADED_AT = T0 + 1_000_000_000
STRATEGY = """
name = "fhb-1m"
kind = "first_hour_breakout"
account = "paper"
instrument = "ES"
enabled = true
[breakout]
window_start = "10:01"
window_end = "10:02"
offsets = [1, 2]
stop_points = 1
target_points = 1
"""


def at(minute: int, second: int, ms: int = 0) -> int:
    return et(2026, 11, 18, 10, minute, second) + ms * 1_000_000


TICKS: list[Tick] = [
    quote(ES, at(1, 5), "5999.75", "6000.00"), trade(ES, at(1, 10), "6000.00"),
    trade(ES, at(1, 20), "6001.00"), trade(ES, at(1, 40), "5999.50"),
    quote(ES, at(2, 0), "5999.75", "6000.00"),  # 10:02: the ladder goes in (sells 6002, 6003; buys 5998.50, 5997.50)
    quote(ES, at(2, 30), "6002.00", "6002.25"), trade(ES, at(2, 31), "6002.25"),  # sell 6002 fills
    quote(ES, at(2, 40), "6003.00", "6003.25"), trade(ES, at(2, 41), "6003.25"),  # sell 6003 fills; 6003 stop
    quote(ES, at(3, 0), "6000.75", "6001.00"), trade(ES, at(3, 1), "6000.75"),  # targets at 6001 / 6002
    quote(ES, at(3, 30), "5998.00", "5998.25"), trade(ES, at(3, 31), "5998.25"),  # buy 5998.50 fills
    quote(ES, at(4, 0), "5999.50", "5999.75"), trade(ES, at(4, 1), "5999.75"),  # its 5999.50 target
]  # fmt: skip


def fills_of(events: list[OrderFilled]) -> list[Fill]:
    return [(e.fill.order_id, e.fill.side.name, e.fill.quantity, e.fill.price, e.fill.ts_event, str(e.fill.commission))
            for e in events]  # fmt: skip


def direct_run() -> tuple[list[Fill], list[Trip], list[tuple[int, str, str]]]:
    config = server_config("postgresql://unused", symbols=(ES.id,))
    plan = FeedPlan(ReplayFeed(SteppedTickSource([ES.id], []), TestClock(T0), speed=0.0), realtime=False,
                    quote_only=False, store_ticks=False)  # fmt: skip
    settings, _ = kernel_settings(config, plan, None)
    calendar = load_trading_calendar()
    host = StrategyHost(calendar, [ES])
    kernel = build_kernel(settings, [ES], complete_from_ns=T0, calendar=calendar, strategies=host)
    host.bind(kernel.execution, kernel.market)
    kernel.execute(OpenAccount(AccountId("paper"), Decimal(50_000)), T0)
    kernel.on_tick(quote(ES, T0, "6000.00", "6000.25"))
    host.load(parse_text(STRATEGY), STRATEGY, "toml", LOADED_AT)
    kernel.commands.run_strategy_commands(LOADED_AT)
    for tick in TICKS:
        kernel.advance_to(tick.ts_event)
        kernel.on_tick(tick)
    out = kernel.take_output()
    fills = fills_of([e for step in out.execution for e in step.events if isinstance(e, OrderFilled)])
    trips = {c.trip.trade_id: c.trip for c in out.trades if isinstance(c, TradeChange)}
    events = [(e.ts_ns, e.kind, e.message) for e in out.strategies if isinstance(e, StrategyEvent)]
    return fills, sorted(trip_row(t) for t in trips.values()), events


async def test_the_live_server_runs_strategies_exactly_as_the_kernel(database_url: str) -> None:
    expected_fills, expected_trips, expected_events = direct_run()
    assert len(expected_fills) >= 6 and len(expected_trips) >= 2
    assert [k for _, k, _ in expected_events] == ["loaded", "activated", "window_opened", "placed"]
    async with open_desk(database_url) as desk, grpc.aio.insecure_channel(desk.running.address) as channel:
        strategies = spb_grpc.StrategyServiceStub(channel)
        desk.clock.set_ns(LOADED_AT)
        await strategies.LoadStrategy(spb.LoadStrategyRequest(definition=STRATEGY))
        for tick in TICKS:
            desk.clock.set_ns(tick.ts_event)
            desk.running.shell.advance()  # time passes up to the tick, as advance_to does in the direct run
            await desk.ticks(tick)
        await desk.running.shell.writer.flush()

        async def stored() -> list[pb.Fill]:
            fills = (await desk.stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
            return list(fills)[::-1] if len(fills) == len(expected_fills) else []

        fills = await eventually(stored)
        trades = (await tpb_grpc.TradeServiceStub(channel).ListTrades(tpb.ListTradesRequest())).trades
        detail = await strategies.GetStrategy(spb.GetStrategyRequest(strategy_id="fhb-1m", events=100))
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
    assert [t[1:] for t in live_trips] == [t[1:] for t in expected_trips]  # trade ids are uuids live, counters here
    assert {t.strategy_id for t in trades} == {"fhb-1m"}
    assert [(e.ts_ns, e.kind, e.message) for e in detail.events] == expected_events
    # Its closed trades, per version: -$75, +$50, +$50 gross, $5.76 commissions each; -1.5R, +1R, +1R.
    assert [(r.version, r.trades, r.wins, r.net, r.r, r.r_trades) for r in detail.results] == [
        (1, 3, 2, "7.72", "0.5000", 3)
    ]
