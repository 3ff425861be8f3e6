"""TradeService over a real server (scripted ticks, TestClock, real PostgreSQL, zero latency and slippage): every
round trip from real paper fills, request validation field by field, exact R/points/prices/dollars as text, the
event history, filters, NOT_FOUND and the update stream.

NQ long filled at 25000.00 with its stop at 24975.00: risk 25 points = 100 ticks, so each point is 0.04R.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from core_server.app import RunningServer, start
from core_server.config import PaperConfig
from core_server.feeds.catalog import FeedPlan
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import Tick
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, NQ, ScriptedFeed, quote, trade
from tests.kit.server import server_config
from tests.kit.time import utc
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import trades_pb2 as pb
from vigil.v1 import trades_pb2_grpc as pb_grpc

S = NS_PER_SECOND
OPENED = utc(2026, 11, 19, 15, 0)
EXACT = PaperConfig(latency_ms=(0, 0), slippage_ticks=0)


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    clock = TestClock(OPENED)
    plan = FeedPlan(ScriptedFeed([NQ, ES], clock=clock), realtime=False, quote_only=False, store_ticks=False)
    config = server_config(database_url, symbols=("NQZ2026", "ESZ2026"), paper=EXACT, break_even=True)
    running = await start(config, clock=clock, feed_plan=plan)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)
    running.engine.bindings[0].on_ticks([market(NQ, "25000.00", OPENED), market(ES, "6000.00", OPENED)])
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(server.address) as opened:
        yield opened


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> pb_grpc.TradeServiceStub:
    return pb_grpc.TradeServiceStub(channel)


@pytest.fixture
def orders(channel: grpc.aio.Channel) -> xpb_grpc.ExecutionServiceStub:
    return xpb_grpc.ExecutionServiceStub(channel)


def market(contract: Contract, price: str, ts: int) -> Tick:
    """A quote whose ask is `price` (so a buy fills there) and whose bid is one tick under."""
    bid = contract.spec.price_from_ticks(contract.spec.ticks_from_price(Decimal(price)) - 1)
    return quote(contract, ts, str(bid), price)


def play(server: RunningServer, *prices: str, at: int = 1, contract: Any = NQ) -> None:
    """For each price, one second apart: a trade there and a quote with that price as its bid."""
    ticks: list[Tick] = []
    for i, p in enumerate(prices):
        ts = OPENED + (at + i) * S
        ask = contract.spec.price_from_ticks(contract.spec.ticks_from_price(Decimal(p)) + 1)
        ticks += [trade(contract, ts, p), quote(contract, ts, p, str(ask))]
    server.engine.bindings[0].on_ticks(ticks)


async def nq_long(orders: xpb_grpc.ExecutionServiceStub, quantity: int = 2, stop: str = "24975.00") -> None:
    """A market bracket: filled at the 25000.00 ask, its stop at `stop`, no target."""
    entry = xpb.OrderSpec(symbol=NQ.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_MARKET, quantity=quantity)
    bracket = xpb.BracketSpec(entry=entry, stop_loss_price=stop, take_profit_price="25500.00")
    await orders.SubmitBracket(xpb.SubmitBracketRequest(account_id="paper", bracket=bracket))


async def only_trade(stub: pb_grpc.TradeServiceStub) -> pb.TrackedTrade:
    [listed] = (await stub.ListTrades(pb.ListTradesRequest())).trades
    return (await stub.GetTrade(pb.GetTradeRequest(trade_id=listed.trade_id))).trade


def bad_field(error: grpc.aio.AioRpcError) -> str:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    status = rpc_status.from_call(error)
    assert status is not None
    detail = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(detail)
    return detail.field_violations[0].field


async def test_a_break_even_scratch_comes_back_with_exact_values_and_its_history(
    server: RunningServer, stub: pb_grpc.TradeServiceStub, orders: xpb_grpc.ExecutionServiceStub
) -> None:
    await nq_long(orders)
    play(server, "24985.00", "25025.00", "25000.00")  # -0.6R, +1R (break-even moves the stop), back to entry

    trade = await only_trade(stub)

    assert (trade.signal_id, trade.account_id, trade.contract_id, trade.source) == ("", "paper", "NQZ2026", "manual")
    assert (trade.direction, trade.quantity, trade.status) == (pb.TRADE_DIRECTION_LONG, 2, pb.TRADE_STATUS_BREAK_EVEN)
    assert (trade.entry_price, trade.initial_stop, trade.current_stop, trade.target_price) == (
        "25000.00",
        "24975.00",
        "25000.00",
        "25500.00",
    )
    assert (trade.mfe_r, trade.mae_r, trade.mfe_points, trade.mae_points) == ("1.00", "-0.60", "25.00", "-15.00")
    assert (trade.result_r, trade.exit_price, trade.current_r, trade.exit_reason) == ("0.00", "25000.00", "", "stop")
    # both contracts in at 25000.00 and out at 25000.00: $0 gross, 4 contract-sides x $2.88 (NQ's default)
    assert (trade.gross_pnl, trade.commissions, trade.net_pnl) == ("0.00", "11.52", "-11.52")
    assert (trade.avg_entry_price, trade.avg_exit_price, trade.open_quantity) == ("25000.00", "25000.00", 0)
    assert (trade.opened_ns, trade.closed_ns) == (OPENED, OPENED + 3 * S)
    assert [(e.kind, e.ts_ns, e.price, e.r) for e in trade.events] == [
        ("new_low", OPENED + S, "24985.00", "-0.60"),
        ("new_high", OPENED + 2 * S, "25025.00", "1.00"),
        ("break_even_triggered", OPENED + 2 * S, "25025.00", "1.00"),
        ("stop_hit", OPENED + 3 * S, "25000.00", "0.00"),
    ]
    # The same from the store, once the trade has left memory.
    assert server.kernel.trades.get(trade.trade_id) is None
    assert (await stub.GetTrade(pb.GetTradeRequest(trade_id=trade.trade_id))).trade == trade


async def test_an_open_trade_shows_its_current_r_and_unrealised_dollars(
    server: RunningServer, stub: pb_grpc.TradeServiceStub, orders: xpb_grpc.ExecutionServiceStub
) -> None:
    await nq_long(orders)
    play(server, "25020.00", "25015.00")

    trade = await only_trade(stub)

    assert (trade.status, trade.mfe_r, trade.current_r, trade.result_r) == (pb.TRADE_STATUS_OPEN, "0.80", "0.60", "")
    assert trade.unrealised_pnl == "600.00"  # 15 points x $20 x 2


async def test_a_plain_round_trip_is_a_trade_with_dollars_but_no_r(
    server: RunningServer, stub: pb_grpc.TradeServiceStub, orders: xpb_grpc.ExecutionServiceStub
) -> None:
    spec = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_SELL, type=xpb.ORDER_TYPE_MARKET, quantity=1)
    await orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=spec))  # sold at the 5999.75 bid
    play(server, "5995.00", contract=ES)
    await orders.ClosePosition(xpb.ClosePositionRequest(account_id="paper", symbol=ES.id))  # bought at 5995.25

    trade = await only_trade(stub)
    assert (trade.direction, trade.status, trade.exit_reason) == (pb.TRADE_DIRECTION_SHORT, pb.TRADE_STATUS_CLOSED,
                                                                 "close")  # fmt: skip
    assert (trade.initial_stop, trade.result_r, trade.mfe_r) == ("", "", "")
    assert (trade.gross_pnl, trade.net_pnl) == ("225.00", "219.24")  # 4.50 points x $50, less 2 x $2.88


async def test_get_trade_refuses_an_empty_id_and_does_not_find_an_unknown_one(
    stub: pb_grpc.TradeServiceStub,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetTrade(pb.GetTradeRequest(trade_id=" "))
    assert bad_field(raised.value) == "trade_id"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetTrade(pb.GetTradeRequest(trade_id="nope"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"open_only": True, "closed_only": True}, "closed_only"),
        ({"limit": 1001}, "limit"),
        ({"limit": -1}, "limit"),
        ({"from_ns": 20, "to_ns": 10}, "from_ns"),
        ({"from_ns": 10, "to_ns": 10}, "from_ns"),
        ({"from_ns": -1}, "from_ns"),
        ({"to_ns": -1}, "to_ns"),
        ({"symbol": "XX1!"}, "symbol"),
    ],
)
async def test_list_trades_refuses_a_bad_field_with_invalid_argument_naming_it(
    stub: pb_grpc.TradeServiceStub, request_fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.ListTrades(pb.ListTradesRequest(**request_fields))
    assert bad_field(raised.value) == field


async def test_list_trades_filters_newest_first_without_histories(
    server: RunningServer, stub: pb_grpc.TradeServiceStub, orders: xpb_grpc.ExecutionServiceStub
) -> None:
    clock: TestClock = server.shell.clock  # type: ignore[assignment]
    await nq_long(orders, quantity=1)  # A, at OPENED
    play(server, "25010.00")
    await orders.ClosePosition(xpb.ClosePositionRequest(account_id="paper", symbol=NQ.id))
    clock.set_ns(OPENED + 2 * S)
    await nq_long(orders, quantity=1, stop="24990.00")  # B, still open (bought at 25010.25)
    clock.set_ns(OPENED + 3 * S)
    spec = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_SELL, type=xpb.ORDER_TYPE_MARKET, quantity=1)
    await orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=spec))  # C, ES short

    listed = (await stub.ListTrades(pb.ListTradesRequest())).trades
    a, b, c = (t.trade_id for t in reversed(listed))

    async def ids(**fields: Any) -> list[str]:
        return [t.trade_id for t in (await stub.ListTrades(pb.ListTradesRequest(**fields))).trades]

    assert await ids() == [c, b, a]
    assert await ids(open_only=True) == [c, b]
    assert await ids(closed_only=True) == [a]
    assert await ids(symbol="NQ1!") == [b, a]
    assert await ids(symbol="ESZ6") == [c]
    assert await ids(account_id="paper") == [c, b, a]
    assert await ids(from_ns=OPENED + 2 * S) == [c, b]
    assert await ids(to_ns=OPENED + S) == [a]
    assert await ids(limit=2) == [c, b]
    closed = (await stub.ListTrades(pb.ListTradesRequest(closed_only=True))).trades[0]
    # out at the 25010.00 bid: 10 points of the 25 risked
    assert (closed.status, closed.result_r, closed.exit_price, len(closed.events)) == (
        pb.TRADE_STATUS_CLOSED,
        "0.40",
        "25010.00",
        0,
    )


async def test_stream_sends_the_open_trades_first_then_each_stored_update(
    server: RunningServer, stub: pb_grpc.TradeServiceStub, orders: xpb_grpc.ExecutionServiceStub
) -> None:
    await nq_long(orders)
    play(server, "25010.00")
    await server.shell.writer.flush()

    call = stub.StreamTradeUpdates(pb.StreamTradeUpdatesRequest(send_open=True))
    seen: list[tuple[str, str, str]] = []

    async def read(count: int) -> None:
        async for response in call:
            seen.append((response.event.kind, response.event.r, response.trade.mfe_r))
            if len(seen) == count:
                return

    await read(1)
    play(server, "25025.00", "25000.00", at=2)
    await read(4)
    call.cancel()

    assert seen == [
        ("", "", "0.40"),  # the snapshot: no event
        ("new_high", "1.00", "1.00"),
        ("break_even_triggered", "1.00", "1.00"),
        ("stop_hit", "0.00", "1.00"),
    ]


async def test_stream_without_send_open_starts_with_the_next_update(
    server: RunningServer, stub: pb_grpc.TradeServiceStub, orders: xpb_grpc.ExecutionServiceStub
) -> None:
    await nq_long(orders)
    await server.shell.writer.flush()
    call = stub.StreamTradeUpdates(pb.StreamTradeUpdatesRequest())
    await eventually(lambda: server.bus.has_subscribers("trades.updates"))

    play(server, "24990.00")
    first: Sequence[Any] = []
    async for response in call:
        first = [response.event.kind, response.event.r, response.trade.mae_points]
        break
    call.cancel()

    assert first == ["new_low", "-0.40", "-10.00"]
