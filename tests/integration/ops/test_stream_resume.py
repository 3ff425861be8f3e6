"""StreamRiskEvents with since_seq: every stored entry after it, then live, with no gap and no duplicate."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from clients.sdk import VigilClient
from tests.integration.execution.desk import bad_field
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2 as pb
from vigil.v1 import signals_pb2 as signals_pb


async def _order(rd: RiskDesk) -> None:
    buy = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_MARKET, quantity=1)
    await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=buy))


async def test_a_stream_resumed_after_a_seq_replays_the_rest_then_goes_live(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        await rd.risk.SetRules(pb.SetRulesRequest(account_id="paper", preset="topstep_50k"))
        for _ in range(3):
            await _order(rd)

        async def stored() -> list[int]:
            records = await rd.desk.running.risk.recent("paper", 1000)
            return [r.seq for r in records] if len(records) >= 4 else []

        seqs = await eventually(stored)
        resume_after = seqs[1]
        stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(account_id="paper", since_seq=resume_after))
        received: list[int] = []
        async for update in stream:
            received.append(update.event.seq)
            if len(received) == len(seqs) - 2:
                break
        assert received == seqs[2:]  # exactly what came after, in order
        await _order(rd)  # a live entry after the replay
        async for update in stream:
            received.append(update.event.seq)
            break
        stream.cancel()
    assert received[-1] > seqs[-1]
    assert len(received) == len(set(received))


async def test_a_negative_since_seq_is_refused_naming_the_field(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(since_seq=-1))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            async for _ in stream:
                pass
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field(refused.value) == "since_seq"


# --- StreamSignalEvents ------------------------------------------------------------------------------------

from tests.integration.api.test_signal_service import clock, server, stub, submit  # noqa: E402  (fixtures)

assert clock and server and stub  # fixtures used by name below


async def _events_of(
    stream: object, signal: signals_pb.Signal, count: int = 0
) -> list[signals_pb.StreamSignalEventsResponse]:
    """Read until every event the signal had when it was submitted has come (`count` of them already have)."""
    seen: list[signals_pb.StreamSignalEventsResponse] = []
    while count < len(signal.events):
        update = await stream.read()  # type: ignore[attr-defined]
        seen.append(update)
        count += update.event.signal_id == signal.signal_id
    return seen


async def test_a_signal_stream_resumed_after_a_seq_replays_what_was_missed_then_goes_live(
    server: object, stub: object
) -> None:
    bus = server.bus  # type: ignore[attr-defined]
    subscribers = bus.subscriber_count()
    first = stub.StreamSignalEvents(signals_pb.StreamSignalEventsRequest())  # type: ignore[attr-defined]
    reading = asyncio.create_task(first.read())  # opens the call; a stream without since_seq starts at "now"
    await eventually(lambda: bus.subscriber_count() > subscribers)  # so the signal below comes after that "now"
    one = await submit(stub, strategy="one")  # type: ignore[arg-type]
    opened = await reading
    seen = [opened, *await _events_of(first, one.signal, int(opened.event.signal_id == one.signal.signal_id))]
    first.cancel()
    last = seen[-1].event.seq
    assert last > 0 and [u.event.seq for u in seen] == sorted({u.event.seq for u in seen})

    two = await submit(stub, strategy="two")  # type: ignore[arg-type]  # while no stream is open
    resumed = stub.StreamSignalEvents(  # type: ignore[attr-defined]
        signals_pb.StreamSignalEventsRequest(since_seq=last)
    )
    missed = await _events_of(resumed, two.signal)
    assert {u.event.signal_id for u in missed} == {two.signal.signal_id}
    assert [u.event.kind for u in missed] == [e.kind for e in two.signal.events]
    three = await submit(stub, strategy="three")  # type: ignore[arg-type]
    live = await _events_of(resumed, three.signal)
    resumed.cancel()
    seqs = [u.event.seq for u in (*missed, *live)]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) and seqs[0] > last
    assert {u.event.signal_id for u in live} == {three.signal.signal_id}


async def test_the_sdk_signal_stream_resumes_after_a_reconnect_with_no_gap_or_repeat(
    server: object, stub: object
) -> None:
    bus = server.bus  # type: ignore[attr-defined]
    async with VigilClient(server.address) as client:  # type: ignore[attr-defined]
        stream = client.stream_signal_events(send_pending=False)
        received: list[tuple[int, str, str]] = []

        async def read_until(signal: signals_pb.Signal, count: int = 0) -> None:
            while count < len(signal.events):
                update = await anext(stream)
                received.append((update.event.seq, update.event.signal_id, update.event.kind))
                count += update.event.signal_id == signal.signal_id

        subscribers = bus.subscriber_count()
        opening = asyncio.create_task(anext(stream))  # opens the call: a new stream starts from now
        await eventually(lambda: bus.subscriber_count() > subscribers)
        one = (await submit(stub, strategy="one")).signal  # type: ignore[arg-type]
        first = await opening
        received.append((first.event.seq, first.event.signal_id, first.event.kind))
        await read_until(one, int(first.event.signal_id == one.signal_id))
        await client.reconnect()  # the stream drops and resumes with since_seq on the new connection
        two = (await submit(stub, strategy="two")).signal  # type: ignore[arg-type]
        await read_until(two)
        await stream.aclose()
    seqs = [seq for seq, _, _ in received]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) and all(seqs)
    assert [kind for _, sid, kind in received if sid == two.signal_id] == [e.kind for e in two.events]
