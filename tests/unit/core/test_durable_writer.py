"""DurableWriter's failure rules with a sink that refuses on purpose: a refused batch is split until the refused
item is alone (set aside, the rest stored in order), a store going away in the middle of that keeps what is left
at the front with the same keys, and offer() drops and counts past the bound."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core_server.backoff import Backoff
from core_server.durable import DurableWriter, Sealed
from core_server.model.clock import TestClock
from core_server.model.errors import Unavailable


class Sink:
    def __init__(self) -> None:
        self.stored: list[int] = []
        self.tries: list[tuple[str, list[int]]] = []
        self.down_after = -1  # attempts left before the store goes away (-1: never)

    async def __call__(self, batch: Sealed[int]) -> None:
        self.tries.append((batch.key, list(batch)))
        if self.down_after == 0:
            raise Unavailable("store unavailable: connection refused")
        self.down_after -= 1
        if 5 in batch:
            raise ValueError("row refused: 5")
        self.stored.extend(batch)


def _writer(sink: Sink, **options: int) -> DurableWriter[int]:
    return DurableWriter("test", sink, TestClock(1), backoff=Backoff(0.001, 0.001, jitter=0.0), **options)  # type: ignore[arg-type]


async def test_a_refused_item_is_set_aside_and_every_other_stored_in_order() -> None:
    sink = Sink()
    writer = _writer(sink, poison_retries=1)
    for i in range(8):
        writer.put(i)

    assert await writer.drain()

    assert sink.stored == [0, 1, 2, 3, 4, 6, 7]
    assert [(reason, items) for reason, items in writer.dead_letters] == [("row refused: 5", [5])]
    status = writer.status()
    assert (status.queued, status.written, status.dead_letters, status.errors, status.available) == (0, 7, 1, 1, True)


async def test_the_store_going_away_while_a_refused_batch_is_split_keeps_the_rest_in_order_with_its_keys() -> None:
    sink = Sink()
    writer = _writer(sink, poison_retries=1)
    for i in range(8):
        writer.put(i)
    sink.down_after = 2  # the first try and the first half go through the sink, then it is down

    assert not await writer.drain()
    key = sink.tries[0][0]
    assert sink.tries == [
        (key, list(range(8))),
        (f"{key}.0", [0, 1, 2, 3]),
        (f"{key}.1", [4, 5, 6, 7]),
        (f"{key}.1", [4, 5, 6, 7]),
    ]  # the first half is stored; the second ran into the outage, and its retry too
    assert sink.stored == [0, 1, 2, 3]
    assert (writer.queued, writer.available) == (4, False)
    writer.put(8)

    assert not await writer.drain()  # still down
    assert sink.tries[-1] == (f"{key}.1", [4, 5, 6, 7]) and not writer.available
    sink.down_after = -1
    assert await writer.drain()

    assert sink.stored == [0, 1, 2, 3, 4, 6, 7, 8]
    assert [items for _, items in writer.dead_letters] == [[5]]


async def test_offer_past_the_bound_drops_and_counts() -> None:
    sink = Sink()
    writer = _writer(sink, max_items=3)

    assert [writer.offer(i) for i in range(5)] == [True, True, True, False, False]

    assert (writer.queued, writer.status().dropped) == (3, 2)
    assert await writer.drain()
    assert sink.stored == [0, 1, 2]


async def test_an_item_put_while_a_commit_is_being_stored_stays_queued() -> None:
    stored: list[list[int]] = []
    writer: DurableWriter[int]

    async def sink(batch: Sequence[int]) -> None:
        await asyncio.sleep(0)  # the store's round trip: the feed may put meanwhile
        if batch[-1] == 2:
            writer.put(3)
        stored.append(list(batch))

    writer = DurableWriter("test", sink, TestClock(1))
    writer.put(1)
    await writer.commit(2)

    assert stored == [[1, 2]] and writer.queued == 1
    await writer.flush()
    assert stored == [[1, 2], [3]]
