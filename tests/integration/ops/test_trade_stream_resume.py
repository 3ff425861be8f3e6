"""StreamTradeUpdates with since_seq on a real server and PostgreSQL: dropped mid-trade and resumed after the last seq
it received, it gets exactly the updates stored meanwhile (their events, in order), then the live ones, with no gap
and no duplicate. The oracle is a stream that stayed connected throughout.

NQ long 2 at 25000.00, stop 24975.00 (100 ticks = 1R, so 25 points = 1R): 25010.00 is a new high at 0.40R, 25025.00
a new high at 1.00R (break-even moves the stop to 25000.00), 25000.00 then hits that stop at 0.00R."""

from __future__ import annotations

import asyncio
from typing import Any

from core_server.app import RunningServer
from tests.integration.api.test_trade_service import channel, nq_long, orders, play, server, stub  # noqa: F401
from tests.kit.eventually import eventually
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import trades_pb2 as pb
from vigil.v1 import trades_pb2_grpc as pb_grpc

Seen = list[tuple[int, str, str]]  # (seq, event kind, event R)


async def _collect(call: Any, into: Seen) -> None:
    async for response in call:
        into.append((response.seq, response.event.kind, response.event.r))


async def _read(call: Any, into: Seen, count: int) -> None:
    async with asyncio.timeout(30):
        while len(into) < count:
            response = await call.read()
            into.append((response.seq, response.event.kind, response.event.r))


async def test_a_trade_stream_resumed_after_a_seq_gets_what_it_missed_then_live(
    server: RunningServer,  # noqa: F811  (fixtures of test_trade_service)
    stub: pb_grpc.TradeServiceStub,  # noqa: F811
    orders: xpb_grpc.ExecutionServiceStub,  # noqa: F811
) -> None:
    bus = server.bus
    before = bus.subscriber_count()
    reference: Seen = []
    keeper = asyncio.create_task(_collect(stub.StreamTradeUpdates(pb.StreamTradeUpdatesRequest()), reference))
    first = stub.StreamTradeUpdates(pb.StreamTradeUpdatesRequest())
    await eventually(lambda: bus.subscriber_count() >= before + 2)

    await nq_long(orders)
    play(server, "25010.00")
    seen: Seen = []
    await _read(first, seen, 2)  # the trade opening, its first new high
    first.cancel()
    last = seen[-1][0]

    play(server, "25025.00", at=2)  # while away: a new high at 1R, break-even
    await eventually(lambda: len(reference) >= 4)
    resumed = stub.StreamTradeUpdates(pb.StreamTradeUpdatesRequest(since_seq=last))
    missed: Seen = []
    await _read(resumed, missed, 2)
    play(server, "25000.00", at=3)  # live: the stop at break-even
    live: Seen = []
    await _read(resumed, live, 1)
    await eventually(lambda: len(reference) >= 5)
    resumed.cancel()
    keeper.cancel()

    assert [(k, r) for _, k, r in seen] == [("", ""), ("new_high", "0.40")]
    assert [(k, r) for _, k, r in missed] == [("new_high", "1.00"), ("break_even_triggered", "1.00")]
    assert [(k, r) for _, k, r in live] == [("stop_hit", "0.00")]
    assert seen + missed + live == reference[: len(seen + missed + live)]
    seqs = [s for s, _, _ in reference]
    assert all(seqs) and seqs == sorted(set(seqs)) and missed[0][0] > last
