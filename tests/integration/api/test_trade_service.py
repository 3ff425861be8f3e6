"""TradeService over a real server (scripted ticks, TestClock, real PostgreSQL): request validation field by
field, exact R/points/prices as text, the event history, filters, NOT_FOUND and the update stream.

NQ long, entry 25000.00, stop 24975.00: risk 25 points = 100 ticks, so each point is 0.04R.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from core_server.app import RunningServer, start
from core_server.excursions.live import TradeTracking
from core_server.excursions.model import Direction, TradeSpec
from core_server.excursions.tracked import TradeSource
from core_server.feeds.catalog import FeedPlan
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, NQ, ScriptedFeed, px, trade
from tests.kit.server import server_config
from tests.kit.time import utc
from vigil.v1 import trades_pb2 as pb
from vigil.v1 import trades_pb2_grpc as pb_grpc

S = NS_PER_SECOND
OPENED = utc(2026, 11, 19, 15, 0)


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    clock = TestClock(OPENED)
    plan = FeedPlan(ScriptedFeed([NQ, ES], clock=clock), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQZ2026", "ESZ2026")), clock=clock, feed_plan=plan)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def stub(server: RunningServer) -> AsyncIterator[pb_grpc.TradeServiceStub]:
    async with grpc.aio.insecure_channel(server.address) as channel:
        yield pb_grpc.TradeServiceStub(channel)


def tracking(server: RunningServer) -> TradeTracking:
    assert server.trades is not None
    return server.trades


def play(server: RunningServer, *prices: str, at: int = 1, contract: Any = NQ) -> None:
    server.engine.bindings[0].on_ticks([trade(contract, OPENED + (at + i) * S, p) for i, p in enumerate(prices)])


def nq_long(trade_id: str, opened: int = OPENED) -> TradeSpec:
    return TradeSpec(trade_id, NQ.id, Direction.LONG, 2, px(NQ, "25000.00"), px(NQ, "24975.00"), opened)


def bad_field(error: grpc.aio.AioRpcError) -> str:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    status = rpc_status.from_call(error)
    assert status is not None
    detail = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(detail)
    return detail.field_violations[0].field


async def test_a_break_even_scratch_comes_back_with_exact_values_and_its_history(
    server: RunningServer, stub: pb_grpc.TradeServiceStub
) -> None:
    tracking(server).open_trade(nq_long("T-1"), TradeSource.PAPER, account_id="acct-1")
    play(server, "24985.00", "25025.00", "25000.00")  # -0.6R, +1R (break-even), back to entry

    trade = (await stub.GetTrade(pb.GetTradeRequest(trade_id="T-1"))).trade

    assert (trade.trade_id, trade.signal_id, trade.account_id, trade.contract_id) == ("T-1", "", "acct-1", "NQZ2026")
    assert (trade.direction, trade.quantity, trade.status) == (pb.TRADE_DIRECTION_LONG, 2, pb.TRADE_STATUS_BREAK_EVEN)
    assert (trade.entry_price, trade.initial_stop, trade.current_stop, trade.target_price) == (
        "25000.00",
        "24975.00",
        "25000.00",
        "",
    )
    assert (trade.mfe_r, trade.mae_r, trade.mfe_points, trade.mae_points) == ("1.00", "-0.60", "25.00", "-15.00")
    assert (trade.result_r, trade.exit_price, trade.current_r) == ("0.00", "25000.00", "")
    assert (trade.opened_ns, trade.closed_ns) == (OPENED, OPENED + 3 * S)
    assert [(e.kind, e.ts_ns, e.price, e.r) for e in trade.events] == [
        ("new_low", OPENED + S, "24985.00", "-0.60"),
        ("new_high", OPENED + 2 * S, "25025.00", "1.00"),
        ("break_even_triggered", OPENED + 2 * S, "25025.00", "1.00"),
        ("stop_hit", OPENED + 3 * S, "25000.00", "0.00"),
    ]
    # The same from the store, once the trade has left memory.
    await eventually(lambda: tracking(server).open_trades() == [])
    assert (await stub.GetTrade(pb.GetTradeRequest(trade_id="T-1"))).trade == trade


async def test_an_open_trade_shows_its_current_r(server: RunningServer, stub: pb_grpc.TradeServiceStub) -> None:
    tracking(server).open_trade(nq_long("T-1"), TradeSource.MANUAL)
    play(server, "25020.00", "25015.00")

    trade = (await stub.GetTrade(pb.GetTradeRequest(trade_id="T-1"))).trade

    assert (trade.status, trade.mfe_r, trade.current_r, trade.result_r) == (pb.TRADE_STATUS_OPEN, "0.80", "0.60", "")


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
    server: RunningServer, stub: pb_grpc.TradeServiceStub
) -> None:
    trades = tracking(server)
    trades.open_trade(nq_long("A", OPENED), TradeSource.MANUAL)
    trades.open_trade(nq_long("B", OPENED + S), TradeSource.MANUAL)
    es = TradeSpec("C", ES.id, Direction.SHORT, 1, px(ES, "6000.00"), px(ES, "6010.00"), OPENED + 2 * S)
    trades.open_trade(es, TradeSource.MANUAL)
    play(server, "25010.00")
    trades.close_trade("B", px(NQ, "25010.00"), OPENED + 5 * S)

    async def ids(**fields: Any) -> list[str]:
        return [t.trade_id for t in (await stub.ListTrades(pb.ListTradesRequest(**fields))).trades]

    assert await ids() == ["C", "B", "A"]
    assert await ids(open_only=True) == ["C", "A"]
    assert await ids(closed_only=True) == ["B"]
    assert await ids(symbol="NQ1!") == ["B", "A"]
    assert await ids(symbol="ESZ6") == ["C"]
    assert await ids(from_ns=OPENED + S) == ["C", "B"]
    assert await ids(to_ns=OPENED + S) == ["A"]
    assert await ids(limit=2) == ["C", "B"]
    listed = (await stub.ListTrades(pb.ListTradesRequest(closed_only=True))).trades[0]
    assert (listed.status, listed.result_r, listed.mfe_r, listed.exit_price, len(listed.events)) == (
        pb.TRADE_STATUS_CLOSED,
        "0.40",
        "0.40",
        "25010.00",
        0,
    )


async def test_stream_sends_the_open_trades_first_then_each_stored_update(
    server: RunningServer, stub: pb_grpc.TradeServiceStub
) -> None:
    trades = tracking(server)
    trades.open_trade(nq_long("T-1"), TradeSource.MANUAL)
    play(server, "25010.00")
    await trades.flush()

    call = stub.StreamTradeUpdates(pb.StreamTradeUpdatesRequest(send_open=True))
    seen: list[tuple[str, str, str, str]] = []

    async def read(count: int) -> None:
        async for response in call:
            seen.append((response.trade.trade_id, response.event.kind, response.event.r, response.trade.mfe_r))
            if len(seen) == count:
                return

    await read(1)
    play(server, "25025.00", "25000.00", at=2)
    await read(4)
    call.cancel()

    assert seen == [
        ("T-1", "", "", "0.40"),  # the snapshot: no event
        ("T-1", "new_high", "1.00", "1.00"),
        ("T-1", "break_even_triggered", "1.00", "1.00"),
        ("T-1", "stop_hit", "0.00", "1.00"),
    ]


async def test_stream_without_send_open_starts_with_the_next_update(
    server: RunningServer, stub: pb_grpc.TradeServiceStub
) -> None:
    trades = tracking(server)
    trades.open_trade(nq_long("T-1"), TradeSource.MANUAL)
    await trades.flush()
    call = stub.StreamTradeUpdates(pb.StreamTradeUpdatesRequest())
    await eventually(lambda: server.bus.has_subscribers("trades.updates"))

    play(server, "24990.00")
    first: Sequence[Any] = []
    async for response in call:
        first = [response.trade.trade_id, response.event.kind, response.event.r, response.trade.mae_points]
        break
    call.cancel()

    assert first == ["T-1", "new_low", "-0.40", "-10.00"]
