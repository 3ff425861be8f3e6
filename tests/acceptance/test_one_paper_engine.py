"""One engine: the same ticks and commands through PaperExecutionEngine directly (the backtest path) and through
the live server (stepped replay, TestClock, commands at the same instants) give identical fills."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.accounts import CommissionSchedule
from core_server.execution.commands import ExecutionCommand, OpenAccount, SubmitBracket, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import OrderFilled
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.model.clock import NS_PER_MS
from core_server.model.market_data import Tick
from tests.integration.execution.desk import MS, T0, S, open_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from vigil.v1 import execution_pb2 as pb

ACC = AccountId("paper")
BUY, SELL = OrderSide.BUY, OrderSide.SELL

# (command time, command, its wire form, the ticks that follow it); every command's orders arrive (<= 200 ms)
# before the next command's time, so the live timer never has an arrival to process on its own.
SCRIPT: list[tuple[int, ExecutionCommand, object, list[Tick]]] = [
    (
        T0 + S,
        SubmitOrder(ACC, ES.id, BUY, 2, OrderType.MARKET),
        pb.SubmitOrderRequest(
            account_id="paper", order=pb.OrderSpec(symbol=ES.id, side=1, type=pb.ORDER_TYPE_MARKET, quantity=2)
        ),
        [quote(ES, T0 + 1300 * MS, "6000.25", "6000.50"), trade(ES, T0 + 1500 * MS, "6000.50")],
    ),
    (
        T0 + 2 * S,
        SubmitOrder(ACC, ES.id, SELL, 1, OrderType.LIMIT, limit_price=Decimal("6003.00")),
        pb.SubmitOrderRequest(
            account_id="paper",
            order=pb.OrderSpec(symbol=ES.id, side=2, type=pb.ORDER_TYPE_LIMIT, quantity=1, limit_price="6003.00"),
        ),
        [quote(ES, T0 + 2300 * MS, "6001.00", "6001.25"), trade(ES, T0 + 2600 * MS, "6003.25")],
    ),
    (
        T0 + 3 * S,
        SubmitOrder(ACC, ES.id, SELL, 1, OrderType.STOP, stop_price=Decimal("5998.00")),
        pb.SubmitOrderRequest(
            account_id="paper",
            order=pb.OrderSpec(symbol=ES.id, side=2, type=pb.ORDER_TYPE_STOP, quantity=1, stop_price="5998.00"),
        ),
        [quote(ES, T0 + 3300 * MS, "5999.00", "5999.25"), quote(ES, T0 + 3500 * MS, "5997.75", "5998.00")],
    ),
    (
        T0 + 4 * S,
        SubmitBracket(ACC, ES.id, BUY, 1, OrderType.MARKET, Decimal("5990.00"), Decimal("6005.00")),
        pb.SubmitBracketRequest(
            account_id="paper",
            bracket=pb.BracketSpec(
                entry=pb.OrderSpec(symbol=ES.id, side=1, type=pb.ORDER_TYPE_MARKET, quantity=1),
                stop_loss_price="5990.00",
                take_profit_price="6005.00",
            ),
        ),
        [quote(ES, T0 + 4300 * MS, "5998.00", "5998.25"), quote(ES, T0 + 5 * S, "6005.25", "6005.50")],
    ),
]
FIRST = [quote(ES, T0, "6000.00", "6000.25")]


def direct_fills() -> list[tuple[str, str, int, int, int, str]]:
    engine = PaperExecutionEngine(
        fill_settings=FillSettings(seed=1, latency_min_ns=50 * NS_PER_MS, latency_max_ns=200 * NS_PER_MS),
        commissions=CommissionSchedule.broker(),  # the server's defaults
    )
    engine.execute(OpenAccount(ACC, Decimal(50_000)), T0)
    events = [e for t in FIRST for e in engine.on_tick(t)]
    for at, command, _, ticks in SCRIPT:
        events += engine.execute(command, at)
        for t in ticks:
            events += engine.on_tick(t)
    return [
        (e.fill.order_id, e.fill.side.name, e.fill.quantity, e.fill.price, e.fill.ts_event, str(e.fill.commission))
        for e in events
        if isinstance(e, OrderFilled)
    ]


async def test_the_live_server_fills_exactly_like_the_engine_it_wraps(database_url: str) -> None:
    expected = direct_fills()
    assert len(expected) == 5  # the 2-lot buy, the limit sell, the stop, the bracket entry and its take-profit
    async with open_desk(database_url, first=FIRST) as desk:
        for at, _, request, ticks in SCRIPT:
            desk.clock.set_ns(at)
            if isinstance(request, pb.SubmitOrderRequest):
                await desk.stub.SubmitOrder(request)
            else:
                await desk.stub.SubmitBracket(request)
            await desk.ticks(*ticks)

        async def stored() -> list[pb.Fill]:
            fills = (await desk.stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
            return list(fills)[::-1] if len(fills) == len(expected) else []

        fills = await eventually(stored)
    spec = ES.spec
    assert [
        (
            f.order_id,
            pb.OrderSide.Name(f.side).removeprefix("ORDER_SIDE_"),
            f.quantity,
            spec.ticks_from_price(f.price),
            f.ts_ns,
            f.commission,
        )
        for f in fills
    ] == expected
