"""StreamOrderEvents and StreamAccount with since_seq, on a real server and PostgreSQL: a stream dropped mid-session
and resumed after the last seq it received gets exactly the events stored meanwhile, in order, then the live ones,
with no gap and no duplicate. The oracle is a second stream that stayed connected throughout.

Every stream refuses a since_seq that is negative or beyond the latest stored seq (INVALID_ARGUMENT naming it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest

from clients.sdk import VigilClient
from tests.integration.execution.desk import bad_field, order
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.eventually import eventually
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import (
    risk_pb2,
    signals_pb2,
    signals_pb2_grpc,
    strategies_pb2,
    strategies_pb2_grpc,
    trades_pb2,
    trades_pb2_grpc,
)

Seen = list[tuple[int, str, str]]  # (seq, kind, order id)


def _seen(response: pb.StreamOrderEventsResponse) -> tuple[int, str, str]:
    return response.seq, response.event.kind, response.event.order.order_id


async def _collect(call: Any, into: Seen) -> None:
    async for response in call:
        into.append(_seen(response))


async def _read_until(call: Any, into: Seen, done: Callable[[Seen], bool]) -> None:
    while not done(into):
        response = await call.read()
        if response is grpc.aio.EOF:
            raise AssertionError(f"the stream ended: {await call.code()} {await call.details()}")
        into.append(_seen(response))


def _has(kind: str, order_id: str) -> Callable[[Seen], bool]:
    return lambda seen: any(k == kind and o == order_id for _, k, o in seen)


async def _submit(rd: RiskDesk, spec: pb.OrderSpec) -> str:
    response = await rd.orders.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=spec))
    return str(response.order.order_id)


async def test_an_order_stream_resumed_after_a_seq_gets_what_it_missed_then_live(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        bus = rd.desk.running.bus
        subscribers = bus.subscriber_count()
        reference: Seen = []
        keeper = asyncio.create_task(_collect(rd.orders.StreamOrderEvents(pb.StreamOrderEventsRequest()), reference))
        first = rd.orders.StreamOrderEvents(pb.StreamOrderEventsRequest(account_id="paper"))
        await eventually(lambda: bus.subscriber_count() >= subscribers + 2)

        one = await _submit(rd, order())  # a market buy: fills at once
        seen: Seen = []
        await _read_until(first, seen, _has("filled", one))
        first.cancel()  # the client drops
        last = seen[-1][0]

        # While it is away: a resting limit order, then its cancel.
        two = await _submit(rd, order(pb.ORDER_SIDE_BUY, pb.ORDER_TYPE_LIMIT, limit_price="5990.00"))
        await rd.orders.CancelOrder(pb.CancelOrderRequest(order_id=two))
        await eventually(lambda: _has("cancelled", two)(reference))

        resumed = rd.orders.StreamOrderEvents(pb.StreamOrderEventsRequest(account_id="paper", since_seq=last))
        missed: Seen = []
        async with asyncio.timeout(30):
            await _read_until(resumed, missed, _has("cancelled", two))
        three = await _submit(rd, order(pb.ORDER_SIDE_SELL))  # live again
        live: Seen = []
        await _read_until(resumed, live, _has("filled", three))
        await eventually(lambda: _has("filled", three)(reference))
        resumed.cancel()
        keeper.cancel()

    assert [o for _, _, o in missed] and {o for _, _, o in missed} == {two}
    assert missed == [item for item in reference if last < item[0] and item[2] == two]  # exactly, in order
    assert (missed[0][1], missed[-1][1]) == ("accepted", "cancelled")
    assert live == [item for item in reference if item[2] == three]
    assert seen + missed + live == reference  # nothing lost, nothing twice, the same order as a stream that stayed
    seqs = [s for s, _, _ in reference]
    assert all(seqs) and seqs == sorted(set(seqs))


async def test_an_account_stream_resumed_after_a_seq_starts_with_the_snapshot_that_holds_what_it_missed(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        request = pb.StreamAccountRequest(account_id="paper", max_rate=20)
        first = rd.orders.StreamAccount(request)
        before = await first.read()
        first.cancel()
        assert not before.account.positions

        await _submit(rd, order(qty=2))  # while it is away: long 2 at 6000.25
        await rd.filled_to(2)
        stored = await rd.desk.running.execution.last_seq()

        request.since_seq = before.seq
        resumed = rd.orders.StreamAccount(request)
        caught_up = await resumed.read()
        await _submit(rd, order(pb.ORDER_SIDE_SELL, qty=2))  # live: flat again, selling at 6000.00
        async with asyncio.timeout(30):
            while True:
                flat = await resumed.read()
                if not any(p.quantity for p in flat.account.positions):
                    break
        resumed.cancel()

    assert caught_up.seq == stored > before.seq
    assert [(p.contract_id, p.quantity) for p in caught_up.account.positions] == [("ESZ2026", 2)]
    assert flat.seq > caught_up.seq
    # 2 contracts x 1 tick (12.50 dollars) lost, no commissions in this rig.
    assert flat.account.realized_pnl == "-25.00"


def _streams(rd: RiskDesk, channel: grpc.aio.Channel, since_seq: int) -> dict[str, Any]:
    signals = signals_pb2_grpc.SignalServiceStub(channel)
    strategies = strategies_pb2_grpc.StrategyServiceStub(channel)
    trades = trades_pb2_grpc.TradeServiceStub(channel)
    return {
        "orders": rd.orders.StreamOrderEvents(pb.StreamOrderEventsRequest(since_seq=since_seq)),
        "account": rd.orders.StreamAccount(pb.StreamAccountRequest(account_id="paper", since_seq=since_seq)),
        "trades": trades.StreamTradeUpdates(trades_pb2.StreamTradeUpdatesRequest(since_seq=since_seq)),
        "signals": signals.StreamSignalEvents(signals_pb2.StreamSignalEventsRequest(since_seq=since_seq)),
        "risk": rd.risk.StreamRiskEvents(risk_pb2.StreamRiskEventsRequest(since_seq=since_seq)),
        "strategies": strategies.StreamStrategyEvents(strategies_pb2.StreamStrategyEventsRequest(since_seq=since_seq)),
    }


@pytest.fixture
async def desk(database_url: str) -> AsyncIterator[tuple[RiskDesk, grpc.aio.Channel]]:
    async with open_risk_desk(database_url) as rd, grpc.aio.insecure_channel(rd.desk.running.address) as channel:
        await _submit(rd, order())  # something in every log it touches
        await rd.filled_to(1)
        yield rd, channel


@pytest.mark.parametrize("since_seq", [-1, 10**12])
async def test_every_stream_refuses_a_since_seq_out_of_range_naming_it(
    desk: tuple[RiskDesk, grpc.aio.Channel], since_seq: int
) -> None:
    refused = {}
    for name, call in _streams(*desk, since_seq).items():
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call.read()
        refused[name] = (caught.value.code(), bad_field(caught.value))
    assert refused == dict.fromkeys(refused, (grpc.StatusCode.INVALID_ARGUMENT, "since_seq"))
    assert len(refused) == 6


async def test_the_sdk_order_stream_resumes_after_a_reconnect_with_no_gap_or_repeat(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd, VigilClient(rd.desk.running.address) as client:
        bus = rd.desk.running.bus
        stream = client.stream_order_events("paper")
        received: Seen = []

        async def read_until(kind: str, order_id: str) -> None:
            async with asyncio.timeout(30):
                while not _has(kind, order_id)(received):
                    event = await anext(stream)
                    assert event.order is not None
                    received.append((event.seq, event.kind, event.order.order_id))

        subscribers = bus.subscriber_count()
        opening = asyncio.create_task(anext(stream))  # opens the call
        await eventually(lambda: bus.subscriber_count() > subscribers)
        one = await _submit(rd, order())
        first = await opening
        assert first.order is not None
        received.append((first.seq, first.kind, first.order.order_id))
        await read_until("filled", one)
        await client.reconnect()  # the stream drops; it reopens with since_seq on the next read
        two = await _submit(rd, order(pb.ORDER_SIDE_SELL))  # before the stream is back
        await read_until("filled", two)
        three = await _submit(rd, order())  # live
        await read_until("filled", three)
        await stream.aclose()
        stored = await rd.desk.running.execution.order_events_since("paper", 0, 1000)

    assert received == [(n.seq, *_kind_and_id(n)) for n in stored]  # every stored event once, in order
    assert {o for _, _, o in received} == {one, two, three}


def _kind_and_id(notice: Any) -> tuple[str, str]:
    from core_server.api.execution_convert import EVENT_KINDS

    return EVENT_KINDS[type(notice.event)], str(notice.order.order.order_id)
